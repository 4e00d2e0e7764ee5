/**
 * Experiment (bench/NOTES.md, "the cross-stitch forward runs twice a step"): one SGD step of the
 * stitched LeNet pair on wasm with the runtime's CrossStitch (a repeated call from tfjs-layers'
 * executor reuses the first call's outputs) against a subclass that computes on every call (the
 * behaviour before), interleaved A B A B ..., median of per-pair ratios; plus the junction kernel
 * calls per step of each, from tf.profile.
 *   node --conditions=source --import tsx bench/experiments/cross-stitch-once.ts [--reps 9] [--steps 10]
 */
import * as tf from '@tensorflow/tfjs';
import { CrossStitch, crossStitchMix } from '../../src/runtime/cross-stitch.js';
import type { CrossStitchCtor } from '../lib/optional.js';
import { useBackend } from '../lib/tf-setup.js';
import { makeTrainer, DEFAULT_STEP, type Trainer } from '../lib/train-step.js';
import { buildHandWritten } from '../peers/hand-written.js';
import { compareTimes, interleave, ratioCell, series } from '../figures/context.js';

/** The layer as it was: the mix computed on every call, however often the executor asks. */
class EveryCall extends CrossStitch {
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => crossStitchMix(this.mode, xs, this.weights[0]!.read()));
  }
}

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const reps = arg('reps', 9);
const steps = arg('steps', 10);
await useBackend('wasm');
const every = buildHandWritten({ crossStitch: EveryCall as unknown as CrossStitchCtor }).model;
const once = buildHandWritten({ crossStitch: CrossStitch as unknown as CrossStitchCtor }).model;
const ta = makeTrainer(every);
const tb = makeTrainer(once);
await ta.run(5);
await tb.run(5);

async function junctionCalls(t: Trainer): Promise<string> {
  const info = await tf.profile(async () => {
    await t.run(1);
  });
  const n = (name: string) => info.kernels.filter((k) => k.name === name).length;
  return `${n('MtlcCrossStitch')} forward + ${n('MtlcCrossStitchGrad')} backward junction kernels`;
}
process.stdout.write(`every call: ${await junctionCalls(ta)} a step\nonce:       ${await junctionCalls(tb)} a step\n`);

// Process CPU time beside wall time: on a machine other jobs keep busy, the time this process
// computes moves less than the time it waits for a core.
const cpu = { a: [] as number[], b: [] as number[] };
const timed = (t: Trainer, into: number[]) => async (): Promise<bigint> => {
  const c0 = process.cpuUsage();
  const ns = await t.run(steps);
  const c = process.cpuUsage(c0);
  into.push((c.user + c.system) * 1000);
  return ns;
};
const r = await interleave(reps, timed(ta, cpu.a), timed(tb, cpu.b));
const a = series('every call', r.a, steps, DEFAULT_STEP.batch);
const b = series('once', r.b, steps, DEFAULT_STEP.batch);
const [cpuA, cpuB] = [cpu.a.slice(1), cpu.b.slice(1)]; // interleave's warm-up pair is not in r
const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]! / steps / 1e6;
process.stdout.write(
  `every call (before): ${(a.time.median / steps).toFixed(2)} ms/step wall, ${med(cpuA).toFixed(2)} ms/step CPU\n` +
    `once (runtime):      ${(b.time.median / steps).toFixed(2)} ms/step wall, ${med(cpuB).toFixed(2)} ms/step CPU\n` +
    `speed-up, wall (every-call time / once time): ${ratioCell(compareTimes(r.a, r.b), 3)}\n` +
    `speed-up, CPU time:                           ${ratioCell(compareTimes(cpuA, cpuB), 3)}\n`,
);
ta.dispose();
tb.dispose();
every.dispose();
once.dispose();
