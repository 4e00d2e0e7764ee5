/**
 * Where a LeNet-pair training step goes on wasm: `tf.profile` of one step (after warm-up),
 * kernel time summed by kernel name, for the net with its three cross-stitch junctions and for
 * the bare towers. Run: node --conditions=source --import tsx bench/profile.ts [--steps N]
 * Prints Markdown tables (used in bench/NOTES.md) and the difference between the two.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from './lib/tf-setup.js';
import { runtimeCrossStitch } from './lib/optional.js';
import { makeTrainer } from './lib/train-step.js';
import { buildHandWritten } from './peers/hand-written.js';

export interface KernelTotals {
  totalMs: number;
  wallMs: number;
  kernels: number;
  byName: Map<string, { ms: number; count: number }>;
}

async function profileStep(model: tf.LayersModel, steps: number): Promise<KernelTotals> {
  const trainer = makeTrainer(model);
  await trainer.run(5);
  const byName = new Map<string, { ms: number; count: number }>();
  let totalMs = 0;
  let kernels = 0;
  let wallMs = 0;
  for (let s = 0; s < steps; s++) {
    const t0 = process.hrtime.bigint();
    const info = await tf.profile(async () => {
      await trainer.run(1);
    });
    wallMs += Number(process.hrtime.bigint() - t0) / 1e6;
    for (const k of info.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      // `*__op` entries are op-level spans whose time includes the kernels inside them.
      if (k.name.endsWith('__op')) continue;
      const e = byName.get(k.name) ?? { ms: 0, count: 0 };
      e.ms += ms;
      e.count += 1;
      byName.set(k.name, e);
      totalMs += ms;
      kernels += 1;
    }
  }
  trainer.dispose();
  for (const e of byName.values()) {
    e.ms /= steps;
    e.count /= steps;
  }
  return { totalMs: totalMs / steps, wallMs: wallMs / steps, kernels: kernels / steps, byName };
}

function table(t: KernelTotals, top = 12): string {
  const rows = [...t.byName.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const lines = ['| kernel | calls/step | ms/step | share |', '| --- | ---: | ---: | ---: |'];
  let rest = 0;
  let restCalls = 0;
  rows.forEach(([name, e], i) => {
    if (i < top) lines.push(`| ${name} | ${e.count} | ${e.ms.toFixed(1)} | ${((e.ms / t.totalMs) * 100).toFixed(0)}% |`);
    else {
      rest += e.ms;
      restCalls += e.count;
    }
  });
  if (rows.length > top) lines.push(`| ${rows.length - top} other kernel names | ${restCalls} | ${rest.toFixed(1)} | ${((rest / t.totalMs) * 100).toFixed(0)}% |`);
  lines.push(`| **total kernel time** (${t.kernels} kernel calls) | | **${t.totalMs.toFixed(1)}** | |`);
  lines.push(`| wall time of the profiled step (profiler overhead included) | | ${t.wallMs.toFixed(1)} | |`);
  return lines.join('\n');
}

function diff(a: KernelTotals, b: KernelTotals, top = 10): string {
  const names = new Set([...a.byName.keys(), ...b.byName.keys()]);
  const rows = [...names]
    .map((n) => ({ n, d: (a.byName.get(n)?.ms ?? 0) - (b.byName.get(n)?.ms ?? 0), dc: (a.byName.get(n)?.count ?? 0) - (b.byName.get(n)?.count ?? 0) }))
    .sort((x, y) => y.d - x.d);
  const lines = ['| kernel | extra calls/step | extra ms/step |', '| --- | ---: | ---: |'];
  for (const r of rows.slice(0, top)) lines.push(`| ${r.n} | ${r.dc} | ${r.d.toFixed(1)} |`);
  lines.push(`| **total** | ${a.kernels - b.kernels} | **${(a.totalMs - b.totalMs).toFixed(1)}** |`);
  return lines.join('\n');
}

const stepsArg = process.argv.indexOf('--steps');
const steps = stepsArg > 0 ? Number(process.argv[stepsArg + 1]) : 5;
const info = await useBackend('wasm');
const CrossStitch = await runtimeCrossStitch();
if (!CrossStitch) {
  process.stderr.write('profile: the runtime has no CrossStitch yet\n');
  process.exit(2);
}
const stitched = buildHandWritten({ crossStitch: CrossStitch });
const bare = buildHandWritten({ junctions: [] });
// Alternate the two so load drift hits both alike.
const a: KernelTotals[] = [];
const b: KernelTotals[] = [];
for (let r = 0; r < 2; r++) {
  a.push(await profileStep(stitched.model, steps));
  b.push(await profileStep(bare.model, steps));
}
const pick = (xs: KernelTotals[]) => xs.reduce((m, x) => (x.totalMs < m.totalMs ? x : m));
const A = pick(a);
const B = pick(b);
process.stdout.write(`backend wasm (training kernels: ${info.trainingKernels}, simd ${info.simd}, threads ${info.threads}); batch 64; ${steps} profiled steps per run, best of 2 runs\n\n`);
process.stdout.write(`### With three channel junctions (pool1, pool2, fc1)\n\n${table(A)}\n\n`);
process.stdout.write(`### Towers only\n\n${table(B)}\n\n`);
process.stdout.write(`### What the junctions add\n\n${diff(A, B)}\n`);
