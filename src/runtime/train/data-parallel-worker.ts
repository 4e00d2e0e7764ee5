/**
 * A data-parallel training worker (data-parallel.ts): rebuilds the model from its topology on
 * the main thread's backend, then for each step sets the weights it is sent, computes the
 * objective and the gradients of one shard, and replies with them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend.js';
import { registerCrossStitch } from '../cross-stitch.js';
// The built-in junction layers register themselves with tfjs serialization on import.
import '../sluice.js';
import '../nddr.js';
import type { BackendChoice } from '../plan.js';
import { lazyConvGradients } from './conv-gradients.js';
import type { TensorPayload, WorkerInit, WorkerReply, WorkerStep } from './data-parallel.js';
import { objective, outputIndex, taskRuntimes } from './objective.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const reply = (r: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(r, transfer);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function setUp(): Promise<(step: WorkerStep) => void> {
  await selectBackend(init.backend as BackendChoice);
  registerCrossStitch();
  const model = await tf.models.modelFromJSON({ modelTopology: init.modelTopology as tf.io.ModelJSON['modelTopology'] });
  const copy = model.weights.map((w) => ({ name: w.originalName, shape: [...w.shape] as number[] }));
  if (JSON.stringify(copy) !== JSON.stringify(init.weights)) throw new Error('the rebuilt model does not have the weights of the original');
  lazyConvGradients(model);
  const weightVars = model.weights.map((w) => w.read() as tf.Variable);
  const logVars: Record<string, tf.Variable> = Object.fromEntries(init.logVarTasks.map((t) => [t, tf.variable(tf.scalar(0), true)]));
  const gradVars = [...init.gradWeights.map((i) => weightVars[i]!), ...init.logVarTasks.map((t) => logVars[t]!)];
  const tasks = taskRuntimes(init.tasks);
  const outIdx = outputIndex(model, init.modelTasks);
  const tensor = (p: TensorPayload) => tf.tensor(p.values, p.shape, p.dtype);

  return (step: WorkerStep) => {
    tf.tidy(() => {
      step.weights.forEach((values, i) => weightVars[i]!.assign(tf.tensor(values, weightVars[i]!.shape)));
      for (const [t, v] of Object.entries(step.logVars)) logVars[t]?.assign(tf.scalar(v));
    });
    const xs = tensor(step.xs);
    const ys = Object.fromEntries(Object.entries(step.ys).map(([k, p]) => [k, tensor(p)]));
    const labels = step.labels && { masks: Object.fromEntries(Object.entries(step.labels.masks).map(([k, p]) => [k, tensor(p) as tf.Tensor1D])), denominators: step.labels.denominators };
    let kept: { losses: tf.Tensor; metrics: tf.Tensor | null } | null = null;
    try {
      const { value, grads } = tf.variableGrads(() => {
        const o = objective({ model, tasks, outIdx, logVars, dynamic: step.dynamic }, xs, ys, (task) => new Error(`the data has no targets for task '${task}'`), labels);
        kept = { losses: o.losses, metrics: o.metrics };
        return o.total;
      }, gradVars);
      const k = kept as unknown as { losses: tf.Tensor; metrics: tf.Tensor | null };
      const out = {
        grads: gradVars.map((v) => (grads[v.name] ? (grads[v.name]!.dataSync() as Float32Array).slice() : new Float32Array(v.size))),
        losses: (k.losses.dataSync() as Float32Array).slice(),
        metrics: k.metrics ? (k.metrics.dataSync() as Float32Array).slice() : null,
        total: value.dataSync()[0]!,
      };
      tf.dispose([value, k.losses, k.metrics, ...Object.values(grads)].filter((t): t is tf.Tensor => t !== null));
      reply({ type: 'step', ...out }, [...out.grads.map((g) => g.buffer as ArrayBuffer), out.losses.buffer as ArrayBuffer, ...(out.metrics ? [out.metrics.buffer as ArrayBuffer] : [])]);
    } finally {
      tf.dispose([xs, ...Object.values(ys), ...Object.values(labels?.masks ?? {})]);
    }
  };
}

try {
  const run = await setUp();
  port.on('message', (step: WorkerStep) => {
    try {
      run(step);
    } catch (e) {
      reply({ type: 'error', message: message(e) });
    }
  });
  reply({ type: 'ready' });
} catch (e) {
  reply({ type: 'error', message: message(e) });
}
