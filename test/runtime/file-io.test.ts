import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossStitch, fileSystemHandler, ModelFileError, registerFileSystemRouter } from 'mtlc/runtime';
import type { CrossStitchMode, SaveStep } from 'mtlc/runtime';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = mkdtempSync(path.join(tmpdir(), 'mtlc-file-io-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirCount = 0;
const freshDir = () => path.join(root, `m${dirCount++}`);

/** Two small towers stitched after a first layer with the given mode, then heads. */
function stitchedModel(mode: CrossStitchMode, seed: number): tf.LayersModel {
  const init = tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: mode === 'unit' ? [6] : [6, 6, 2], name: 'image' });
  const tower = (task: string, width: number): tf.SymbolicTensor =>
    mode === 'unit'
      ? (tf.layers.dense({ units: width, name: `${task}_fc1`, kernelInitializer: init }).apply(input) as tf.SymbolicTensor)
      : (tf.layers.conv2d({ filters: 3, kernelSize: 3, name: `${task}_conv1`, kernelInitializer: init }).apply(input) as tf.SymbolicTensor);
  const left = tower('left', 3);
  const right = tower('right', 5); // different widths in unit mode
  const mid = tower('mid', 4);
  const cs = new CrossStitch({ mode, name: 'cross_stitch_j0', init: mode === 'unit' ? { self: 0.8, other: 0.2 } : undefined });
  const stitched = cs.apply([left, right, mid]) as tf.SymbolicTensor[];
  const heads = stitched.map((t, i) => {
    const task = ['left', 'right', 'mid'][i]!;
    const flat = mode === 'unit' ? t : (tf.layers.flatten({ name: `${task}_flat` }).apply(t) as tf.SymbolicTensor);
    return tf.layers.dense({ units: 2, name: task, kernelInitializer: init }).apply(flat) as tf.SymbolicTensor;
  });
  const model = tf.model({ inputs: input, outputs: heads });
  // Non-default α so a load that silently re-initialises would be caught.
  const a = cs.getWeights()[0]!;
  cs.setWeights([tf.randomUniform(a.shape, -1, 1, 'float32', seed)]);
  return model;
}

function sampleInput(mode: CrossStitchMode): tf.Tensor {
  return tf.randomUniform(mode === 'unit' ? [4, 6] : [4, 6, 6, 2], -1, 1, 'float32', 11);
}

async function predictions(model: tf.LayersModel, x: tf.Tensor): Promise<number[][]> {
  const ys = model.predict(x) as tf.Tensor[];
  return Promise.all(ys.map(async (y) => Array.from(await y.data())));
}

describe('file:// save and load round trip', () => {
  for (const mode of ['channel', 'scalar', 'unit'] as const) {
    it(`model with a CrossStitch junction predicts the same after save/load; mode=${mode}`, async () => {
      const dir = freshDir();
      const model = stitchedModel(mode, 1);
      const x = sampleInput(mode);
      const before = await predictions(model, x);
      await model.save(`file://${dir}`);
      expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
      const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
      expect(JSON.stringify(json.modelTopology)).toContain('"class_name":"CrossStitch"');
      expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toContain('cross_stitch_j0/alpha');

      const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
      const layer = loaded.getLayer('cross_stitch_j0');
      expect(layer).toBeInstanceOf(CrossStitch);
      expect((layer as CrossStitch).mode).toBe(mode);
      expect(loaded.outputNames).toEqual(['left', 'right', 'mid']);
      expect(await predictions(loaded, x)).toEqual(before);
    });
  }

  it('loads from a directory path too and via the handler directly', async () => {
    const dir = freshDir();
    const model = stitchedModel('scalar', 2);
    await model.save(fileSystemHandler(dir));
    const loaded = await tf.loadLayersModel(fileSystemHandler(dir));
    const x = sampleInput('scalar');
    expect(await predictions(loaded, x)).toEqual(await predictions(model, x));
  });

  it('registering the router again is a no-op (one save handler for file://)', () => {
    expect(registerFileSystemRouter()).toBe(false);
    expect(tf.io.getSaveHandlers('file:///tmp/x')).toHaveLength(1);
    expect(tf.io.getLoadHandlers('file:///tmp/x/model.json')).toHaveLength(1);
    const httpHandlers = tf.io.getSaveHandlers('http://example.com/x');
    expect(httpHandlers.map((h) => h.constructor.name)).not.toContain('FileSystemHandler');
  });

  it('defers to tfjs-node when its backend is registered (no second file:// handler)', () => {
    // What importing @tensorflow/tfjs-node does: register a 'tensorflow' backend (and its own
    // file:// routers, which would make ours a duplicate that model.save() rejects).
    tf.registerBackend('tensorflow', () => new MathBackendCPU(), 0);
    try {
      expect(tf.io.getSaveHandlers('file:///tmp/x')).toHaveLength(0);
      expect(tf.io.getLoadHandlers('file:///tmp/x/model.json')).toHaveLength(0);
    } finally {
      tf.removeBackend('tensorflow');
    }
    expect(tf.io.getSaveHandlers('file:///tmp/x')).toHaveLength(1);
  });

  it('keeps trainingConfig and user metadata', async () => {
    const dir = freshDir();
    const model = stitchedModel('unit', 3);
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    await model.fit(sampleInput('unit'), [tf.zeros([4, 2]), tf.zeros([4, 2]), tf.zeros([4, 2])], { epochs: 1, verbose: 0 });
    model.setUserDefinedMetadata({ epoch: 3, specHash: 'abc' });
    await model.save(`file://${dir}`, { includeOptimizer: true });
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.trainingConfig.loss).toBe('mean_squared_error');
    expect(json.format).toBe('layers-model');
    const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
    expect(loaded.getUserDefinedMetadata()).toEqual({ epoch: 3, specHash: 'abc' });
    expect(loaded.optimizer?.getClassName()).toBe('Adam');
    const x = sampleInput('unit');
    expect(await predictions(loaded, x)).toEqual(await predictions(model, x));
  });
});

describe('crash-safe saving', () => {
  const steps: SaveStep[] = ['temp-written', 'previous-repointed', 'weights-renamed', 'model-renamed'];
  for (const step of steps) {
    it(`a crash at step ${step} leaves a loadable, consistent model (old or new)`, async () => {
      const dir = freshDir();
      const oldModel = stitchedModel('channel', 4);
      const newModel = stitchedModel('channel', 5);
      const x = sampleInput('channel');
      const oldP = await predictions(oldModel, x);
      const newP = await predictions(newModel, x);
      expect(newP).not.toEqual(oldP);
      await oldModel.save(fileSystemHandler(dir));
      const crash = fileSystemHandler(dir, {
        beforeStep: (s) => {
          if (s === step) throw new Error(`simulated kill at ${s}`);
        },
      });
      await expect(newModel.save(crash)).rejects.toThrow(`simulated kill at ${step}`);
      const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
      const got = await predictions(loaded, x);
      // Before the switch (model.json renamed) the old model must be intact; after it, the new one.
      expect(got).toEqual(step === 'model-renamed' ? newP : oldP);
      // The next save succeeds and cleans up the leftovers of the interrupted one.
      await newModel.save(`file://${dir}`);
      expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
      expect(await predictions(await tf.loadLayersModel(`file://${dir}/model.json`), x)).toEqual(newP);
    });
  }
});

describe('a real SIGKILL mid-save (child process)', () => {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const steps: SaveStep[] = ['temp-written', 'previous-repointed', 'weights-renamed', 'model-renamed'];
  for (const step of steps) {
    it(`killed at step ${step}: the directory still loads, and the next save cleans up`, async () => {
      const dir = freshDir();
      const oldModel = stitchedModel('unit', 12);
      const x = sampleInput('unit');
      const oldP = await predictions(oldModel, x);
      await oldModel.save(`file://${dir}`);
      // The child builds another model and saves it over `dir`, killing itself with SIGKILL
      // (no cleanup, no catch) right before `step`.
      const child = `
        const tf = await import('@tensorflow/tfjs');
        const { CrossStitch, fileSystemHandler } = await import('./src/runtime/index.ts');
        await tf.setBackend('cpu');
        const input = tf.input({ shape: [6] });
        const a = tf.layers.dense({ units: 3, name: 'left_fc1' }).apply(input);
        const b = tf.layers.dense({ units: 5, name: 'right_fc1' }).apply(input);
        const [sa, sb] = new CrossStitch({ mode: 'unit', name: 'cross_stitch_j0' }).apply([a, b]);
        const model = tf.model({ inputs: input, outputs: [sa, sb] });
        await model.save(fileSystemHandler(${JSON.stringify(dir)}, {
          beforeStep: (s) => { if (s === ${JSON.stringify(step)}) process.kill(process.pid, 'SIGKILL'); },
        }));
        console.log('not killed');
      `;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
      expect(r.signal, r.stderr).toBe('SIGKILL');
      const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
      if (step === 'model-renamed') {
        // The switch happened: the child's model (two outputs) is the one on disk, complete.
        expect(loaded.outputs).toHaveLength(2);
      } else {
        expect(await predictions(loaded, x)).toEqual(oldP);
      }
      await oldModel.save(`file://${dir}`);
      expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    });
  }
});

describe('leftovers of interrupted saves', () => {
  it('temp files of dead processes are removed by the next save; a live process keeps its own', async () => {
    const dir = freshDir();
    await stitchedModel('scalar', 7).save(`file://${dir}`);
    const dead = 'weights.bin.mtlc-tmp-2147483646-deadbeef0000';
    const live = `model.json.mtlc-tmp-${process.ppid}-0123456789ab`;
    writeFileSync(path.join(dir, dead), 'partial');
    writeFileSync(path.join(dir, live), 'in flight');
    await stitchedModel('scalar', 8).save(`file://${dir}`);
    expect(readdirSync(dir).sort()).toEqual([live, 'model.json', 'weights.bin'].sort());
  });
});

describe('clear errors for missing and corrupt files', () => {
  it('missing model.json', async () => {
    const dir = freshDir();
    await expect(tf.loadLayersModel(`file://${dir}/model.json`)).rejects.toThrow(`cannot read model file ${dir}/model.json: no such file`);
  });

  it('model.json that is not JSON', async () => {
    const dir = freshDir();
    await stitchedModel('scalar', 6).save(`file://${dir}`);
    writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": {"class_na');
    const err = await tf.loadLayersModel(`file://${dir}/model.json`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect((err as ModelFileError).code).toBe('model-json-invalid');
    expect((err as Error).message).toMatch(/model\.json is not valid JSON .* corrupt/);
  });

  it('JSON that is not a model', async () => {
    const dir = freshDir();
    await stitchedModel('scalar', 6).save(`file://${dir}`);
    writeFileSync(path.join(dir, 'model.json'), '{"hello": 1}');
    await expect(tf.loadLayersModel(`file://${dir}/model.json`)).rejects.toThrow(/has no "modelTopology"/);
  });

  it('missing weights.bin', async () => {
    const dir = freshDir();
    await stitchedModel('scalar', 6).save(`file://${dir}`);
    rmSync(path.join(dir, 'weights.bin'));
    await expect(tf.loadLayersModel(`file://${dir}/model.json`)).rejects.toThrow(`cannot read weights file ${dir}/weights.bin named by ${dir}/model.json: no such file`);
  });

  it('truncated weights.bin', async () => {
    const dir = freshDir();
    await stitchedModel('scalar', 6).save(`file://${dir}`);
    const w = readFileSync(path.join(dir, 'weights.bin'));
    writeFileSync(path.join(dir, 'weights.bin'), w.subarray(0, w.length - 8));
    await expect(tf.loadLayersModel(`file://${dir}/model.json`)).rejects.toThrow(
      new RegExp(`hold ${w.length - 8} bytes but its manifest describes ${w.length} bytes; the weights file is truncated`),
    );
  });

  it('saving onto a path that is a file', async () => {
    const file = path.join(root, 'plain-file');
    writeFileSync(file, 'x');
    await expect(stitchedModel('scalar', 6).save(`file://${file}`)).rejects.toThrow(/not a directory|cannot create directory/);
    expect(existsSync(file)).toBe(true);
  });
});
