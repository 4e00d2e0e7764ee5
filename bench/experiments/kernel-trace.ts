/**
 * Every kernel one MultiMNIST training step runs on wasm, in order, with its input shapes:
 * what the ~300 kernel calls a step are (bench/NOTES.md, the per-step overhead sections).
 * Run: node --conditions=source --import tsx bench/experiments/kernel-trace.ts [--counts]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/runtime/backend.js';
import { buildMultiMnist } from '../../generated/multi-mnist/model.js';
import { makeTrainer } from '../lib/train-step.js';

await selectBackend('wasm');
const trace: string[] = [];
let tracing = false;
for (const k of tf.getKernelsForBackend('wasm')) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, 'wasm');
  tf.registerKernel({
    ...k,
    kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
      if (tracing) {
        const shapes = Object.entries(args.inputs).filter(([, t]) => t !== undefined && t !== null).map(([n, t]) => `${n}[${(t as tf.TensorInfo).shape.join(',')}]`);
        trace.push(`${k.kernelName} ${shapes.join(' ')}`);
      }
      return inner(args);
    }) as tf.KernelFunc,
  });
}
const trainer = makeTrainer(buildMultiMnist().model);
await trainer.run(3);
tracing = true;
await trainer.run(1);
tracing = false;
if (process.argv.includes('--counts')) {
  const counts = new Map<string, number>();
  for (const t of trace) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const [t, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${n}\t${t}`);
} else trace.forEach((t, i) => console.log(`${i}\t${t}`));
console.log(`${trace.length} kernel calls`);
trainer.dispose();
