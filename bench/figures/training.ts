/**
 * Training-step figures: generated net vs PyTorch (wasm, cpu), cross-stitch overhead (wasm and
 * PyTorch), generated vs hand-written tfjs. Every comparison interleaves its two sides.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, type BenchBackend } from '../lib/tf-setup.js';
import { makeTrainer, makeParallelTrainer, DEFAULT_STEP, type Trainer } from '../lib/train-step.js';
import { TorchPeer } from '../lib/python.js';
import { fmtMedian } from '../lib/table.js';
import { firstLine } from '../lib/optional.js';
import { buildHandWritten, JUNCTION_POSITIONS } from '../peers/hand-written.js';
import { cleanPairs, compareTimes, disturbanceNote, interleave, judge, ratioCell, series, type BenchContext, type Counts } from './context.js';

const BATCH = DEFAULT_STEP.batch;

/** The generated MultiMNIST model, or the hand-written one standing in (with the reason). */
function stitchedModel(ctx: BenchContext): { model: tf.LayersModel; label: string; standIn?: string } {
  if ('build' in ctx.generated) return { model: ctx.generated.build().model, label: 'generated' };
  if (!ctx.crossStitch) throw new Error('neither the generated model nor the runtime CrossStitch exists yet');
  return {
    model: buildHandWritten({ crossStitch: ctx.crossStitch }).model,
    label: 'hand-written',
    standIn: `generated model not yet (${ctx.generated.missing}); the hand-written tfjs model stands in`,
  };
}

async function warm(t: Trainer, c: Counts): Promise<void> {
  if (c.warmup > 0) await t.run(c.warmup);
}

async function startPeer(ctx: BenchContext, junctions: readonly string[]): Promise<TorchPeer> {
  const peer = new TorchPeer(ctx.torch!.python, { junctions, batch: BATCH, threads: ctx.options.peerThreads });
  await peer.ready();
  return peer;
}

/** Figure: throughput of the stitched net on `backend` against PyTorch. */
export async function trainVsTorch(ctx: BenchContext, backend: BenchBackend): Promise<void> {
  const c = backend === 'wasm' ? ctx.wasm : ctx.cpu;
  const figure = `train ${backend} vs PyTorch`;
  // The goal for one wasm thread (0.75× PyTorch's throughput); cpu is for reference only.
  const target = backend === 'wasm' ? '≥ 0.75×' : '—';
  const info = await useBackend(backend);
  const { model, label, standIn } = stitchedModel(ctx);
  const trainer = makeTrainer(model);
  ctx.log(`${figure}: ${label} model (${trainer.params} params), ${c.reps}×${c.steps} steps after ${c.warmup} warm-up`);
  await warm(trainer, c);
  const notes = [standIn, backend === 'wasm' ? `wasm training kernels: ${info.trainingKernels}; threads: ${info.threads ? 'yes' : 'no (1 core)'}` : undefined];
  if (!ctx.torch) {
    const ns = [];
    for (let i = 0; i < c.reps; i++) ns.push(Number(await trainer.run(c.steps)));
    const a = series(`tfjs ${backend} (${label})`, ns, c.steps, BATCH);
    ctx.record(`train.${backend}`, { backend: info, a, peer: ctx.torchMissing });
    ctx.row({ figure, a: fmtMedian(a.throughput!.median, a.throughput!.spread, 'ex/s'), b: 'skipped', ratio: 'n/a', target, status: 'skipped', note: [ctx.torchMissing, ...notes].filter(Boolean).join('; ') });
  } else {
    const peer = await startPeer(ctx, JUNCTION_POSITIONS);
    try {
      // The peer runs at least the wasm figure's step count per repetition: a single PyTorch step
      // after sitting idle through a long cpu step runs cold (measured 2× slower).
      const peerSteps = Math.max(c.steps, ctx.wasm.steps);
      const r = await interleave(c.reps, () => trainer.run(c.steps), () => peer.runTimed(peerSteps));
      const clean = cleanPairs(r);
      const a = series(`tfjs ${backend} (${label})`, clean.a, c.steps, BATCH);
      const b = series(`PyTorch ${peer.info?.torch} (${peer.info?.threads} threads)`, clean.b, peerSteps, BATCH);
      // throughput A / throughput B = step time B / step time A, over the clean pairs
      const ratio = compareTimes(
        clean.b.map((ns) => ns / peerSteps),
        clean.a.map((ns) => ns / c.steps),
      );
      notes.push(disturbanceNote(r.check));
      if (peer.info && peer.info.params !== trainer.params) notes.push(`parameter counts differ: tfjs ${trainer.params}, PyTorch ${peer.info.params}`);
      ctx.record(`train.${backend}`, { backend: info, a, b, ratio, peer: peer.info, disturbance: { check: r.check, samples: r.samples } });
      ctx.row({
        figure,
        a: fmtMedian(a.throughput!.median, a.throughput!.spread, 'ex/s'),
        b: fmtMedian(b.throughput!.median, b.throughput!.spread, 'ex/s'),
        ratio: ratioCell(ratio),
        target,
        status: backend === 'wasm' ? judge(ratio, 0.75, 'higher', r.check) : r.check.refused ? `info (${r.check.refused})` : 'info',
        note: notes.filter(Boolean).join('; ') || undefined,
      });
    } finally {
      peer.close();
    }
  }
  trainer.dispose();
  model.dispose();
}

/** Figure: stitched / unstitched step time, on wasm (hand-written towers) and in PyTorch. */
export async function crossStitchOverhead(ctx: BenchContext): Promise<void> {
  const c = ctx.wasm;
  const figure = 'cross-stitch overhead (wasm)';
  if (!ctx.crossStitch) {
    ctx.row({ figure, a: 'not yet', b: 'not yet', ratio: 'n/a', target: '≤ 1.10×', status: 'not yet', note: 'runtime CrossStitch not exported yet' });
    return;
  }
  await useBackend('wasm');
  const stitched = buildHandWritten({ crossStitch: ctx.crossStitch });
  const bare = buildHandWritten({ junctions: [] });
  const ts = makeTrainer(stitched.model);
  const tb = makeTrainer(bare.model);
  await warm(ts, c);
  await warm(tb, c);
  ctx.log(`${figure}: ${c.reps}×${c.steps} steps each`);
  const r = await interleave(c.reps, () => ts.run(c.steps), () => tb.run(c.steps));
  const clean = cleanPairs(r);
  const a = series('stitched (3 junctions)', clean.a, c.steps, BATCH);
  const b = series('towers only', clean.b, c.steps, BATCH);
  const ratio = compareTimes(clean.a, clean.b);
  ctx.record('overhead.wasm', { a, b, ratio, disturbance: { check: r.check, samples: r.samples } });
  ctx.row({
    figure,
    a: fmtMedian(a.time.median / c.steps, a.time.spread, 'ms/step', 1),
    b: fmtMedian(b.time.median / c.steps, b.time.spread, 'ms/step', 1),
    ratio: ratioCell(ratio, 3),
    target: '≤ 1.10×',
    status: judge(ratio, 1.1, 'lower', r.check),
    note: disturbanceNote(r.check),
  });
  for (const t of [ts, tb]) t.dispose();
  stitched.model.dispose();
  bare.model.dispose();

  const pfigure = 'cross-stitch overhead (PyTorch)';
  if (!ctx.torch) {
    ctx.row({ figure: pfigure, a: 'skipped', b: 'skipped', ratio: 'n/a', target: 'reference', status: 'skipped', note: ctx.torchMissing });
    return;
  }
  const ps = await startPeer(ctx, JUNCTION_POSITIONS);
  const pb = await startPeer(ctx, []);
  try {
    const pr = await interleave(c.reps, () => ps.run(c.steps), () => pb.run(c.steps));
    const pa = series('PyTorch stitched', pr.a, c.steps, BATCH);
    const pbs = series('PyTorch towers only', pr.b, c.steps, BATCH);
    const pratio = compareTimes(pr.a, pr.b);
    ctx.record('overhead.torch', { a: pa, b: pbs, ratio: pratio });
    ctx.row({
      figure: pfigure,
      a: fmtMedian(pa.time.median / c.steps, pa.time.spread, 'ms/step', 1),
      b: fmtMedian(pbs.time.median / c.steps, pbs.time.spread, 'ms/step', 1),
      ratio: ratioCell(pratio, 3),
      target: 'reference',
      status: 'info',
    });
  } finally {
    ps.close();
    pb.close();
  }
}

/** Figure: generated model step time / hand-written model step time, on wasm. */
export async function generatedVsHand(ctx: BenchContext): Promise<void> {
  const figure = 'generated vs hand-written (wasm)';
  if (!('build' in ctx.generated) || !ctx.crossStitch) {
    const why = 'build' in ctx.generated ? 'runtime CrossStitch not exported yet' : ctx.generated.missing;
    ctx.row({ figure, a: 'not yet', b: 'not yet', ratio: 'n/a', target: '≤ 1.02×', status: 'not yet', note: why });
    return;
  }
  await useBackend('wasm');
  // More pairs than the other figures: the ratio sits near 1 and the machine is shared.
  const c = { ...ctx.wasm, reps: ctx.wasm.reps * 2 - 1 };
  let gen: tf.LayersModel;
  try {
    gen = ctx.generated.build().model;
  } catch (error) {
    ctx.row({ figure, a: 'error', b: 'n/a', ratio: 'n/a', target: '≤ 1.02×', status: 'not yet', note: `buildMultiMnist() failed: ${firstLine(error)}` });
    return;
  }
  const hand = buildHandWritten({ crossStitch: ctx.crossStitch }).model;
  // A/A control: a second copy of the hand-written model, measured in the same rotation, shows
  // how far from 1.00 two identical models land: the resolution of this figure.
  const control = buildHandWritten({ crossStitch: ctx.crossStitch }).model;
  const tg = makeTrainer(gen);
  const th = makeTrainer(hand);
  const tc = makeTrainer(control);
  const notes: string[] = [];
  if (tg.params !== th.params) notes.push(`parameter counts differ: generated ${tg.params}, hand-written ${th.params}`);
  for (const t of [tg, th, tc]) await warm(t, c);
  ctx.log(`${figure}: ${c.reps}×${c.steps} steps each, with an A/A control`);
  const r = { a: [] as number[], b: [] as number[], c: [] as number[] };
  for (const t of [tg, th, tc]) await t.run(c.steps); // one untimed round, as interleave() does
  for (let i = 0; i < c.reps; i++) {
    r.a.push(Number(await tg.run(c.steps)));
    r.b.push(Number(await th.run(c.steps)));
    r.c.push(Number(await tc.run(c.steps)));
  }
  const a = series('generated', r.a, c.steps, BATCH);
  const b = series('hand-written', r.b, c.steps, BATCH);
  const ratio = compareTimes(r.a, r.b);
  const controlRatio = compareTimes(r.c, r.b);
  notes.push(`A/A control (hand-written vs a copy of itself): ${ratioCell(controlRatio, 3)}`);
  ctx.record('generated.wasm', {
    a,
    b,
    ratio,
    control: { series: series('hand-written copy', r.c, c.steps, BATCH), ratio: controlRatio },
    layers: { generated: gen.layers.length, hand: hand.layers.length },
  });
  ctx.row({
    figure,
    a: fmtMedian(a.time.median / c.steps, a.time.spread, 'ms/step', 1),
    b: fmtMedian(b.time.median / c.steps, b.time.spread, 'ms/step', 1),
    ratio: ratioCell(ratio, 3),
    target: '≤ 1.02×',
    status: judge(ratio, 1.02, 'lower'),
    note: notes.join('; ') || undefined,
  });
  for (const t of [tg, th, tc]) t.dispose();
  for (const m of [gen, hand, control]) m.dispose();
}

/**
 * Figure: the stitched net on wasm with data-parallel training over two threads (the runtime's
 * `workers: 2`) against PyTorch, and against the same code on one thread.
 */
export async function trainParallelVsTorch(ctx: BenchContext, threads = 2): Promise<void> {
  const c = ctx.wasm;
  const figure = `train wasm ×${threads} threads vs PyTorch`;
  // The goal for both cores: level with PyTorch.
  const target = '≥ 1.0×';
  const info = await useBackend('wasm');
  const many = stitchedModel(ctx);
  const one = stitchedModel(ctx);
  const tm = await makeParallelTrainer(many.model, threads);
  const t1 = await makeParallelTrainer(one.model, 1);
  try {
    await warm(tm, c);
    await warm(t1, c);
    ctx.log(`${figure}: ${many.label} model, data-parallel (runtime workers ${threads}), ${c.reps}×${c.steps} steps`);
    const notes = [many.standIn, `wasm training kernels: ${info.trainingKernels}; batch ${BATCH} split over ${threads} threads (main + ${threads - 1} worker_threads)`];
    // Speed-up over one thread, same code.
    const s = await interleave(c.reps, () => tm.run(c.steps), () => t1.run(c.steps));
    const sc = cleanPairs(s);
    const speedup = compareTimes(sc.b, sc.a);
    const sa = series(`${threads} threads`, sc.a, c.steps, BATCH);
    const sb = series('1 thread', sc.b, c.steps, BATCH);
    ctx.record(`train.wasm.threads${threads}.speedup`, { a: sa, b: sb, ratio: speedup, disturbance: { check: s.check, samples: s.samples } });
    ctx.row({
      figure: `train wasm ×${threads} threads vs 1 thread`,
      a: fmtMedian(sa.time.median / c.steps, sa.time.spread, 'ms/step', 1),
      b: fmtMedian(sb.time.median / c.steps, sb.time.spread, 'ms/step', 1),
      ratio: ratioCell(speedup),
      target: 'info',
      status: s.check.refused ? `info (${s.check.refused})` : 'info',
      note: `throughput ratio (one-thread time / multi-thread time), the same step code; ${disturbanceNote(s.check)}`,
    });
    if (!ctx.torch) {
      ctx.row({ figure, a: 'measured above', b: 'skipped', ratio: 'n/a', target, status: 'skipped', note: ctx.torchMissing });
      return;
    }
    const peer = await startPeer(ctx, JUNCTION_POSITIONS);
    try {
      const r = await interleave(c.reps, () => tm.run(c.steps), () => peer.runTimed(c.steps));
      const clean = cleanPairs(r);
      const a = series(`tfjs wasm ×${threads} threads (${many.label})`, clean.a, c.steps, BATCH);
      const b = series(`PyTorch ${peer.info?.torch} (${peer.info?.threads} threads)`, clean.b, c.steps, BATCH);
      const ratio = compareTimes(
        clean.b.map((ns) => ns / c.steps),
        clean.a.map((ns) => ns / c.steps),
      );
      notes.push(disturbanceNote(r.check));
      if (peer.info && peer.info.params !== tm.params) notes.push(`parameter counts differ: tfjs ${tm.params}, PyTorch ${peer.info.params}`);
      ctx.record(`train.wasm.threads${threads}`, { backend: info, a, b, ratio, peer: peer.info, disturbance: { check: r.check, samples: r.samples } });
      ctx.row({
        figure,
        a: fmtMedian(a.throughput!.median, a.throughput!.spread, 'ex/s'),
        b: fmtMedian(b.throughput!.median, b.throughput!.spread, 'ex/s'),
        ratio: ratioCell(ratio),
        target,
        status: judge(ratio, 1.0, 'higher', r.check),
        note: notes.filter(Boolean).join('; ') || undefined,
      });
    } finally {
      peer.close();
    }
  } finally {
    tm.dispose();
    t1.dispose();
    many.model.dispose();
    one.model.dispose();
  }
}
