/**
 * Register-tile sizes of the SIMD convolution kernels: builds of kernels.cc with other tile
 * limits (clang -DFWD_P=.. -DFWD_V=.. etc., see the file's head) called directly on the same
 * tfjs-wasm tensors (LeNet shapes, batch 64), interleaved variant by variant, process CPU time
 * per call (median) and whether each variant's outputs equal the first's bit for bit.
 *
 * Run: node --conditions=source --import tsx bench/experiments/tile-variants.ts [--face] --reps 15 a.wasm b.wasm ...
 * (--face: the face-attributes spec's 3×3 "same" shapes, batch 32, instead of LeNet's)
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { median } from '../lib/stats.js';

const repsAt = process.argv.indexOf('--reps');
const REPS = repsAt >= 0 ? Number(process.argv[repsAt + 1]) : 15;
const files = process.argv.slice(2).filter((a, i, all) => a.endsWith('.wasm') && all[i - 1] !== '--reps');
await tf.setBackend('wasm');
await tf.ready();
const backend = tf.backend() as unknown as { wasm: { asm: { memory: unknown } }; dataIdMap: { get(id: object): { memoryOffset: number } } };
const rnd = (n: number, seed: number): tf.Tensor => tf.randomUniform([n + 4], -1, 1, 'float32', seed);
const B = 64;
const T = {
  x1: rnd(B * 28 * 28, 1), w1: rnd(250, 2), b1: rnd(10, 3), y1: rnd(B * 24 * 24 * 10, 4),
  x2: rnd(B * 12 * 12 * 10, 5), w2: rnd(5000, 6), b2: rnd(20, 7), y2: rnd(B * 8 * 8 * 20, 8), wt2: rnd(5000, 9),
};
const outs = { o1: rnd(B * 24 * 24 * 10, 10), o2: rnd(B * 8 * 8 * 20, 11), dw1: rnd(250, 12), dw2: rnd(5000, 13), dx2: rnd(B * 12 * 12 * 10, 14) };
const p = (t: tf.Tensor): number => backend.dataIdMap.get(t.dataId).memoryOffset;
type K = Record<string, (...a: number[]) => void>;
// This project's TypeScript lib has no DOM types; the WebAssembly JS API is Node's global.
const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: unknown } } }).WebAssembly;
const mods = files.map((f) => new WA.Instance(new WA.Module(readFileSync(f)), { env: { memory: backend.wasm.asm.memory } }).exports as unknown as K);
const F = {
  x1: rnd(32 * 66 * 66 * 3, 21), w1: rnd(3 * 3 * 3 * 16, 22), y1: rnd(32 * 64 * 64 * 16, 23), o1: rnd(32 * 64 * 64 * 16, 24), dw1: rnd(432, 25),
  x2: rnd(32 * 34 * 34 * 16, 26), w2: rnd(3 * 3 * 16 * 32, 27), y2: rnd(32 * 32 * 32 * 32, 28), o2: rnd(32 * 32 * 32 * 32, 29), dw2: rnd(4608, 30), dx2: rnd(32 * 34 * 34 * 16, 31),
};
const face: [string, (k: K) => void, tf.Tensor][] = [
  ['face forward 3×3×3→16 (XNNPACK in use)', (k) => k.conv2d_forward!(p(F.x1), 32, 66, 66, 3, p(F.w1), 0, 3, 3, 1, 1, 1, 1, p(F.o1), 64, 64, 16, 0), F.o1],
  ['face filter grad 3×3×3→16', (k) => k.conv2d_backprop_filter!(p(F.x1), 32, 66, 66, 3, p(F.y1), 64, 64, 16, 3, 3, 1, 1, 1, 1, p(F.dw1)), F.dw1],
  ['face filter grad 3×3×16→32', (k) => k.conv2d_backprop_filter!(p(F.x2), 32, 34, 34, 16, p(F.y2), 32, 32, 32, 3, 3, 1, 1, 1, 1, p(F.dw2)), F.dw2],
  ['face input grad 3×3×16→32', (k) => {
    k.zero_f32!(p(F.dx2), 32 * 34 * 34 * 16);
    k.conv2d_backprop_input!(p(F.y2), 32, 32, 32, 32, p(F.w2), 3, 3, 1, 1, 1, 1, p(F.dx2), 34, 34, 16);
  }, F.dx2],
];
const lenet: [string, (k: K) => void, tf.Tensor][] = [
  ['forward conv1 5×5×1→10', (k) => k.conv2d_forward!(p(T.x1), B, 28, 28, 1, p(T.w1), p(T.b1), 5, 5, 1, 1, 1, 1, p(outs.o1), 24, 24, 10, 0), outs.o1],
  ['forward conv2 5×5×10→20', (k) => k.conv2d_forward!(p(T.x2), B, 12, 12, 10, p(T.w2), p(T.b2), 5, 5, 1, 1, 1, 1, p(outs.o2), 8, 8, 20, 0), outs.o2],
  ['filter grad conv1', (k) => k.conv2d_backprop_filter!(p(T.x1), B, 28, 28, 1, p(T.y1), 24, 24, 10, 5, 5, 1, 1, 1, 1, p(outs.dw1)), outs.dw1],
  ['filter grad conv2', (k) => k.conv2d_backprop_filter!(p(T.x2), B, 12, 12, 10, p(T.y2), 8, 8, 20, 5, 5, 1, 1, 1, 1, p(outs.dw2)), outs.dw2],
  ['input grad conv2', (k) => {
    k.zero_f32!(p(outs.dx2), B * 12 * 12 * 10);
    k.conv2d_backprop_input!(p(T.y2), B, 8, 8, 20, p(T.wt2), 5, 5, 1, 1, 1, 1, p(outs.dx2), 12, 12, 10);
  }, outs.dx2],
];
const cases = process.argv.includes('--face') ? face : lenet;
const cpu = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const times = cases.map(() => mods.map(() => [] as number[]));
const same = cases.map(() => mods.map(() => true));
for (let r = 0; r < REPS + 2; r++) {
  for (let vi = 0; vi < mods.length; vi++) {
    const v = (vi + r) % mods.length;
    cases.forEach(([, run], ci) => {
      const c0 = cpu();
      for (let k = 0; k < 3; k++) run(mods[v]!);
      if (r >= 2) times[ci]![v]!.push((cpu() - c0) / 3);
    });
  }
  // bitwise comparison against the first variant
  if (r === 0) cases.forEach(([, run, out], ci) => {
    run(mods[0]!);
    const ref = new Uint32Array((out.dataSync() as Float32Array).buffer.slice(0));
    mods.forEach((m, v) => {
      run(m);
      const got = new Uint32Array((out.dataSync() as Float32Array).buffer.slice(0));
      same[ci]![v] = ref.every((x, i) => x === got[i]);
    });
  });
}
console.log(`| kernel | ${files.map((f) => f.split('/').pop()).join(' | ')} |\n| --- |${files.map(() => ' ---: |').join('')}`);
cases.forEach(([name], ci) => console.log(`| ${name} | ${mods.map((_, v) => `${median(times[ci]![v]!).toFixed(2)}${same[ci]![v] ? '' : ' (≠)'}`).join(' | ')} |`));
