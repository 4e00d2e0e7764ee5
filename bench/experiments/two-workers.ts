/**
 * Experiment: how much of the second core can wasm training use? Node runs tfjs-wasm on one
 * thread; two `worker_threads`, each with its own wasm backend and a copy of the stitched
 * LeNet pair, each training on half the batch (32) at the same time, bound what data-parallel
 * training would reach (the per-step gradient exchange, 44,000 floats, is not included).
 * Interleaved with the one-thread baseline (batch 64) A B A B ...
 *
 *   node --conditions=source --import tsx bench/experiments/two-workers.ts [--reps 5] [--steps 10]
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../lib/tf-setup.js';
import { runtimeCrossStitch } from '../lib/optional.js';
import { makeTrainer, DEFAULT_STEP } from '../lib/train-step.js';
import { buildHandWritten } from '../peers/hand-written.js';
import { compareTimes, ratioCell } from '../figures/context.js';
import { summarize } from '../lib/stats.js';

async function trainerFor(batch: number) {
  await useBackend('wasm');
  const { model } = buildHandWritten({ crossStitch: await runtimeCrossStitch() });
  return makeTrainer(model, { ...DEFAULT_STEP, batch });
}

if (!isMainThread) {
  const trainer = await trainerFor((workerData as { batch: number }).batch);
  await trainer.run(3);
  parentPort!.on('message', async (steps: number) => {
    if (steps === 0) {
      trainer.dispose();
      parentPort!.close();
      return;
    }
    parentPort!.postMessage(Number(await trainer.run(steps)));
  });
  parentPort!.postMessage('ready');
} else {
  const arg = (name: string, def: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  const reps = arg('reps', 5);
  const steps = arg('steps', 10);
  const one = await trainerFor(64);
  await one.run(3);
  // A worker does not inherit tsx's loader: register it in the worker, then import this file.
  const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const workers = [0, 1].map(
    () => new Worker(boot, { eval: true, workerData: { batch: 32 }, execArgv: ['--conditions=source'] }),
  );
  const next = (w: Worker) => new Promise<unknown>((resolve) => w.once('message', resolve));
  await Promise.all(workers.map(next));
  const single: number[] = [];
  const pair: number[] = [];
  for (let r = 0; r < reps; r++) {
    single.push(Number(await one.run(steps)));
    const t0 = process.hrtime.bigint();
    const done = workers.map(next);
    workers.forEach((w) => w.postMessage(steps));
    await Promise.all(done);
    pair.push(Number(process.hrtime.bigint() - t0));
  }
  workers.forEach((w) => w.postMessage(0));
  const eps = (ns: number[]) => summarize(ns.map((v) => (steps * 64) / (v / 1e9)));
  const s = eps(single);
  const p = eps(pair);
  const speedup = compareTimes(single, pair);
  process.stdout.write(
    `one thread, batch 64:           ${s.median.toFixed(0)} ex/s (spread ${(s.spread * 100).toFixed(0)}%)\n` +
      `two workers, batch 32 each:     ${p.median.toFixed(0)} ex/s (spread ${(p.spread * 100).toFixed(0)}%)\n` +
      `speed-up (one-thread time / two-worker time): ${ratioCell(speedup)}\n`,
  );
  one.dispose();
}
