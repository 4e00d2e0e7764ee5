import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { buildFace, faceTasks } from './face.mtl.yaml';

it('imports a spec, builds the model on cpu and predicts one tensor per task', async () => {
  await tf.setBackend('cpu');
  expect(faceTasks).toEqual(['smile', 'age']);
  const built = buildFace({ seed: 1 });
  expect(built.model.getLayer('smile_res').getClassName()).toBe('ResidualDense');
  const x = tf.ones([5, 8]);
  const out = built.predict(x);
  expect(out.smile.shape).toEqual([5, 2]);
  expect(out.age.shape).toEqual([5, 1]);
  const sums = (out.smile.sum(1).arraySync() as number[]).map((s) => Math.round(s * 1e5) / 1e5);
  expect(sums).toEqual([1, 1, 1, 1, 1]);
  built.model.dispose();
});

it('an invalid spec fails the import with the file, line and column of the problem', async () => {
  const error = await import('./broken.mtl.yaml').then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(Error);
  expect(error!.message).toContain('broken.mtl.yaml:7:41');
  expect(error!.message).toMatch(/units/);
});

it('the model part alone can be imported (?mtlc-part=model) and is the same module the spec re-exports', async () => {
  const part = await import('./face.mtl.yaml?mtlc-part=model');
  expect(part.buildFace).toBe(buildFace);
  expect('trainFace' in part).toBe(false);
});
