/**
 * Where a wasm training step's CPU time goes, measured as process CPU time (not wall time, which
 * other jobs on a shared machine disturb): every wasm kernel is wrapped to add its exclusive CPU
 * time (nested kernel calls subtracted) by kernel name; what the step costs outside kernels is
 * JavaScript overhead (dispatch, gradient tape, tidy, the layers executor, the optimizer's JS).
 *
 * Run: node --conditions=source --import tsx bench/experiments/cpu-profile.ts [--steps 20] [--no-simd]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/runtime/backend.js';
import { useWasmSimdKernels } from '../../src/runtime/wasm-kernels/index.js';
import { buildMultiMnist } from '../../generated/multi-mnist/model.js';
import { makeTrainer } from '../lib/train-step.js';

const STEPS = process.argv.includes('--steps') ? Number(process.argv[process.argv.indexOf('--steps') + 1]) : 20;
await selectBackend('wasm');
if (process.argv.includes('--no-simd')) useWasmSimdKernels(false);

const byName = new Map<string, { us: number; calls: number }>();
const stack: number[] = []; // child CPU time accumulated per open frame
const cpu = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
let wrapping = false;
for (const k of tf.getKernelsForBackend('wasm')) {
  const inner = k.kernelFunc;
  const name = k.kernelName;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    ...k,
    kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
      if (!wrapping) return inner(args);
      stack.push(0);
      const t0 = cpu();
      const out = inner(args);
      const total = cpu() - t0;
      const children = stack.pop()!;
      if (stack.length) stack[stack.length - 1]! += total;
      const e = byName.get(name) ?? { us: 0, calls: 0 };
      e.us += total - children;
      e.calls++;
      byName.set(name, e);
      return out;
    }) as tf.KernelFunc,
  });
}

const trainer = makeTrainer(buildMultiMnist().model);
await trainer.run(10);
wrapping = true;
const c0 = cpu();
await trainer.run(STEPS);
const stepUs = (cpu() - c0) / STEPS;
wrapping = false;
const rows = [...byName.entries()].map(([n, e]) => ({ n, ms: e.us / 1000 / STEPS, calls: e.calls / STEPS })).sort((a, b) => b.ms - a.ms);
const kernelMs = rows.reduce((s, r) => s + r.ms, 0);
console.log(`| kernel | calls/step | CPU ms/step | share |\n| --- | ---: | ---: | ---: |`);
for (const r of rows.slice(0, 18)) console.log(`| ${r.n} | ${r.calls.toFixed(0)} | ${r.ms.toFixed(2)} | ${((100 * r.ms) / (stepUs / 1000)).toFixed(0)} % |`);
const rest = rows.slice(18);
console.log(`| ${rest.length} other kernels | ${rest.reduce((s, r) => s + r.calls, 0).toFixed(0)} | ${rest.reduce((s, r) => s + r.ms, 0).toFixed(2)} | |`);
console.log(`| **kernels** | ${rows.reduce((s, r) => s + r.calls, 0).toFixed(0)} | **${kernelMs.toFixed(1)}** | ${((100 * kernelMs) / (stepUs / 1000)).toFixed(0)} % |`);
console.log(`| **outside kernels** (JS: dispatch, tape, tidy, executor, optimizer) | | **${(stepUs / 1000 - kernelMs).toFixed(1)}** | ${((100 * (stepUs / 1000 - kernelMs)) / (stepUs / 1000)).toFixed(0)} % |`);
console.log(`| **step** (process CPU time, ${STEPS} steps; the wrapper's own cost included) | | **${(stepUs / 1000).toFixed(1)}** | |`);
trainer.dispose();
