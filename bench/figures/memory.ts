/**
 * Memory figure: a short training run on wasm (epochs of steps through the same step as the
 * throughput figures), recording after each epoch the process RSS, the peak RSS so far, and
 * the live tfjs tensors and bytes. A tensor count that grows epoch over epoch is a leak.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../lib/tf-setup.js';
import { makeTrainer } from '../lib/train-step.js';
import { buildHandWritten } from '../peers/hand-written.js';
import type { BenchContext } from './context.js';

export interface EpochMemory {
  epoch: number;
  rssMB: number;
  peakRssMB: number;
  tensors: number;
  tensorMB: number;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export async function memoryFigure(ctx: BenchContext): Promise<void> {
  const figure = 'memory across epochs (wasm)';
  let model: tf.LayersModel;
  let label: string;
  await useBackend('wasm');
  if ('build' in ctx.generated) {
    model = ctx.generated.build().model;
    label = 'generated';
  } else if (ctx.crossStitch) {
    model = buildHandWritten({ crossStitch: ctx.crossStitch }).model;
    label = 'hand-written (generated not yet)';
  } else {
    ctx.row({ figure, a: 'not yet', b: '—', ratio: '—', target: 'flat tensor count', status: 'not yet', note: 'no model with junctions yet' });
    return;
  }
  const epochs = ctx.options.quick ? 3 : 5;
  const steps = ctx.options.quick ? 5 : 20;
  ctx.log(`${figure}: ${epochs} epochs × ${steps} steps, ${label} model`);
  const trainer = makeTrainer(model);
  const rows: EpochMemory[] = [];
  for (let e = 1; e <= epochs; e++) {
    await trainer.run(steps);
    const m = tf.memory();
    rows.push({
      epoch: e,
      rssMB: mb(process.memoryUsage().rss),
      peakRssMB: mb(process.resourceUsage().maxRSS * 1024),
      tensors: m.numTensors,
      tensorMB: mb(m.numBytes),
    });
  }
  trainer.dispose();
  model.dispose();
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const grew = last.tensors - first.tensors;
  ctx.record('memory.wasm', { model: label, epochs, stepsPerEpoch: steps, perEpoch: rows, tensorsAfterDispose: tf.memory().numTensors });
  ctx.row({
    figure,
    a: `peak RSS ${last.peakRssMB} MB`,
    b: `tensors ${rows.map((r) => r.tensors).join('→')}`,
    ratio: '—',
    target: 'flat tensor count',
    status: grew === 0 ? 'met' : 'unmet',
    note: `${label}; RSS by epoch ${rows.map((r) => r.rssMB).join(', ')} MB; tensor bytes ${last.tensorMB} MB${grew ? `; ${grew} tensors leaked over ${epochs - 1} epochs` : ''}`,
  });
}
