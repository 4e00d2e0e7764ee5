/**
 * Training and data: the `training:` and `data:` sections with their defaults filled in, and
 * the combinations the schema cannot see (α's step size under scale-free optimizers, data that
 * does not fit the input shape or the tasks).
 */
import type { Shape } from '../../layers/kind.js';
import type { DataPlan, OptimizerPlan, TaskPlan, TaskWeightingPlan, TrainingPlan } from '../../runtime/plan.js';
import { toPointer } from '../../spec/diagnostic.js';
import type { MtlSpec, Optimizer, TaskWeighting } from '../../spec/spec-types.generated.js';
import { DEFAULT_LEARNING_RATES, MULTIMNIST_INPUT_SHAPE, TRAINING_DEFAULTS } from '../defaults.js';
import { suggest } from '../names.js';
import { fmt, own, plural, round, type Diagnostics } from './diagnostics.js';
import type { TowerDraft } from './towers.js';

/** Optimizers whose step size does not scale with the gradient (per-weight normalised). */
const SCALE_FREE_OPTIMIZERS = ['adam', 'adamax', 'rmsprop'] as const;

export function checkTraining(
  spec: MtlSpec,
  specHash: string,
  name: string | undefined,
  input: { name: string; shape: Shape } | undefined,
  towers: readonly TowerDraft[],
  out: Diagnostics,
): TrainingPlan | undefined {
  const training = spec.training ?? {};
  const data = checkData(spec, input?.shape, towers, out);
  if (!data || !name || !input) return undefined;
  const optimizer = optimizerPlan(training.optimizer);
  const multiplier = training.crossStitchLearningRateMultiplier ?? TRAINING_DEFAULTS.crossStitchLearningRateMultiplier;
  checkAlphaStepSize(spec, optimizer, multiplier, out);
  const tasks: TaskPlan[] = towers.map((t) => ({
    name: t.task,
    loss: t.loss,
    lossWeight: t.lossWeight,
    metrics: t.metrics,
    outputShape: t.head ? [...t.head.outputShape] : [],
  }));
  return {
    modelName: name,
    specHash,
    input: { name: input.name, shape: [...input.shape] },
    tasks,
    backend: training.backend ?? TRAINING_DEFAULTS.backend,
    optimizer,
    crossStitchLearningRateMultiplier: multiplier,
    batchSize: training.batchSize ?? TRAINING_DEFAULTS.batchSize,
    epochs: training.epochs ?? TRAINING_DEFAULTS.epochs,
    validationSplit: training.validationSplit ?? TRAINING_DEFAULTS.validationSplit,
    seed: training.seed ?? TRAINING_DEFAULTS.seed,
    taskWeighting: taskWeightingPlan(training.taskWeighting),
    data,
  };
}

function optimizerPlan(optimizer: Optimizer | undefined): OptimizerPlan {
  if (optimizer === undefined) return { ...TRAINING_DEFAULTS.optimizer };
  const type = optimizer.type ?? 'sgd';
  const plan: { -readonly [K in keyof OptimizerPlan]: OptimizerPlan[K] } = { type, learningRate: DEFAULT_LEARNING_RATES[type] };
  for (const key of ['learningRate', 'momentum', 'beta1', 'beta2', 'epsilon', 'rho', 'decay'] as const) {
    const v = optimizer[key];
    if (v !== undefined) plan[key] = v;
  }
  if (type === 'momentum' && plan.momentum === undefined) plan.momentum = 0.9;
  return plan;
}

function taskWeightingPlan(weighting: TaskWeighting | undefined): TaskWeightingPlan {
  const type = weighting?.type ?? TRAINING_DEFAULTS.taskWeighting.type;
  if (type !== 'dwa') return { type };
  return { type: 'dwa', temperature: weighting?.temperature ?? TRAINING_DEFAULTS.dwaTemperature };
}

/**
 * Adam-like optimizers move each weight by about the learning rate per step whatever the
 * gradient's scale, so α (which starts near 0.9/0.1) moves by learningRate × multiplier a step:
 * well above 0.1 it jumps past its useful range at once and training diverges (measured: adam
 * 0.01 × 100 ends at chance). The paper's 10²–10³ assumes SGD fine-tuning at a small rate.
 */
function checkAlphaStepSize(spec: MtlSpec, optimizer: OptimizerPlan, multiplier: number, out: Diagnostics): void {
  if (!spec.crossStitch || spec.crossStitch.length === 0) return;
  if (!(SCALE_FREE_OPTIMIZERS as readonly string[]).includes(optimizer.type)) return;
  const step = optimizer.learningRate * multiplier;
  if (step <= 0.1) return;
  const training = spec.training;
  const pointer =
    training?.crossStitchLearningRateMultiplier !== undefined
      ? '/training/crossStitchLearningRateMultiplier'
      : training?.optimizer !== undefined
        ? '/training/optimizer'
        : training !== undefined
          ? '/training'
          : '';
  out.warn(
    'alpha-step-large',
    pointer,
    `with ${optimizer.type}, α moves by about learningRate × crossStitchLearningRateMultiplier = ${round(step)} a step, which makes training diverge`,
    `keep the product at most 0.1 (measured: adam at 0.01 trained well at × 10, diverged at × 100), e.g. crossStitchLearningRateMultiplier: ${round(0.1 / optimizer.learningRate)}`,
  );
}

/** `inputShape` is undefined when the input is invalid: only the checks that do not need it run. */
function checkData(spec: MtlSpec, inputShape: Shape | undefined, towers: readonly TowerDraft[], out: Diagnostics): DataPlan | undefined {
  const data = spec.data;
  const at = '/data';
  const isMnistShape = !inputShape || (inputShape.length === 3 && inputShape.every((d, i) => d === MULTIMNIST_INPUT_SHAPE[i]));
  if (data === undefined) {
    if (!isMnistShape) {
      out.warn(
        'no-data',
        '/input/shape',
        `the spec has no data: section, so training uses the built-in multimnist demo data, whose images are ${fmt(MULTIMNIST_INPUT_SHAPE)}, not ${fmt(inputShape)}`,
        'add data: { format: jsonl, path: ..., input: ..., targets: { ... } }',
      );
    }
    return { ...TRAINING_DEFAULTS.data };
  }
  if (data.format === 'multimnist') {
    if (!isMnistShape) {
      out.warn('data-input-shape', `${at}/format`, `multimnist images are ${fmt(MULTIMNIST_INPUT_SHAPE)}, but input.shape is ${fmt(inputShape)}`, 'use input: { shape: [28, 28, 1] }');
    }
    return {
      format: 'multimnist',
      ...(data.trainSize !== undefined ? { trainSize: data.trainSize } : {}),
      ...(data.testSize !== undefined ? { testSize: data.testSize } : {}),
    };
  }
  let ok = true;
  if (Array.isArray(data.input) && inputShape) {
    const size = inputShape.reduce((p, d) => p * d, 1);
    if (data.input.length !== size) {
      out.error('data-input-size', `${at}/input`, `data.input lists ${plural(data.input.length, 'field')}, but input.shape ${fmt(inputShape)} holds ${size} values`);
      ok = false;
    }
  }
  const targets = data.targets;
  const taskNames = towers.map((t) => t.task);
  for (const key of Object.keys(targets)) {
    if (!taskNames.includes(key)) {
      out.keyError('unknown-tower', toPointer(['data', 'targets', key]), `data.targets names "${key}", which is not a task`, suggest(key, taskNames, 'task'));
      ok = false;
    }
  }
  const missing = taskNames.filter((t) => own(targets, t) === undefined);
  if (missing.length > 0) {
    out.error('missing-target', `${at}/targets`, `data.targets gives no field for ${missing.length === 1 ? 'task' : 'tasks'} ${missing.join(', ')}`, `add ${missing.map((t) => `${t}: <field>`).join(', ')}`);
    ok = false;
  }
  if (!ok) return undefined;
  return {
    format: data.format,
    path: data.path,
    input: Array.isArray(data.input) ? [...data.input] : data.input,
    targets: Object.fromEntries(taskNames.map((t) => [t, targets[t]!])),
    ...(data.testPath !== undefined ? { testPath: data.testPath } : {}),
  };
}
