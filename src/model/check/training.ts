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
  // Given: warned about when the measurements say it diverges. Not given: the largest stable one.
  const given = training.crossStitchLearningRateMultiplier;
  const multiplier = given ?? defaultAlphaMultiplier(spec, optimizer);
  checkAlphaStepSize(spec, optimizer, multiplier, out);
  checkAdadeltaRate(spec, optimizer, out);
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
 * Which α learning rates train, measured (bench/alpha-stability.ts over unit, scalar, channel and
 * conv-channel junctions × sgd, sgd+momentum, adam, rmsprop × multipliers 1–1000 × 3 seeds, and
 * docs/results.md on MultiMNIST; docs/training.md has the table). With α's learning rate
 * lr × multiplier:
 * - Adam, Adamax, RMSProp move α by about that much a step whatever the gradient: channel and
 *   scalar junctions train up to 0.1 (Adam 0.01 × 100 ends at chance on MultiMNIST), unit
 *   junctions (a Σd×Σd matrix, every output mixing every unit) only below 0.1 (3× the loss at 0.1).
 * - SGD's step scales with the gradient: channel and scalar junctions train below 10 (× 1000 at
 *   0.01 diverges); unit junctions also feel momentum's 1/(1 − m) amplification: below 10 for
 *   lr × multiplier / (1 − momentum) (0.01 × 100 with momentum 0.9 diverged in 1 of 3 seeds).
 * Returns why a multiplier is unstable for these junction modes, or undefined.
 */
function alphaStepProblem(optimizer: OptimizerPlan, multiplier: number, modes: ReadonlySet<string>): string | undefined {
  const alphaRate = optimizer.learningRate * multiplier;
  const eps = 1e-9;
  if ((SCALE_FREE_OPTIMIZERS as readonly string[]).includes(optimizer.type)) {
    if (modes.has('unit') && alphaRate >= 0.1 - eps) return `with ${optimizer.type}, α moves by about learningRate × crossStitchLearningRateMultiplier = ${round(alphaRate)} a step; a unit junction needs less than 0.1 (measured: 3× the loss at 0.1, divergence above)`;
    if (alphaRate > 0.1 + eps) return `with ${optimizer.type}, α moves by about learningRate × crossStitchLearningRateMultiplier = ${round(alphaRate)} a step; above 0.1 training diverges (measured: adam at 0.01 trained well at × 10, ended at chance at × 100)`;
    return undefined;
  }
  if (optimizer.type === 'adadelta') {
    // Its step is learningRate × RMS(past steps) / RMS(gradients): above 1 each step feeds a larger next one.
    if (alphaRate > 1 + eps) return `with adadelta, α's step grows from one step to the next when learningRate × crossStitchLearningRateMultiplier (${round(alphaRate)}) is above 1 (measured: diverged at 3, 5 and 10, trained at 1)`;
    return undefined;
  }
  if (optimizer.type !== 'sgd' && optimizer.type !== 'momentum') return undefined;
  const momentum = optimizer.momentum ?? 0;
  const effective = alphaRate / Math.max(1 - momentum, 1e-6);
  if (modes.has('unit') && effective >= 10 - eps) {
    return `α's learning rate ${round(alphaRate)}${momentum > 0 ? ` with momentum ${momentum} (an effective ${round(effective)})` : ''} makes a unit junction diverge (measured over 96 units: diverged at 10, trained at 1)`;
  }
  if (alphaRate >= 10 - eps) return `α's learning rate learningRate × crossStitchLearningRateMultiplier = ${round(alphaRate)} makes training diverge (measured: every junction mode diverged at 10 with sgd, trained at 1)`;
  return undefined;
}

/**
 * The junction modes whose α is trained. Other kinds count as the cross-stitch mode they are
 * closest to (a sluice mixes like scalar mode, NDDR like channel mode; not measured separately).
 */
function trainedModes(spec: MtlSpec): Set<string> {
  return new Set(
    (spec.crossStitch ?? [])
      .filter((j) => j.trainable !== false)
      .map((j) => {
        const entry = j as { kind?: string; mode?: string };
        if (entry.kind === undefined || entry.kind === 'crossStitch') return entry.mode ?? 'channel';
        return entry.kind === 'sluice' ? 'scalar' : 'channel';
      }),
  );
}

const DEFAULT_MULTIPLIERS = [100, 10, 1] as const;

/**
 * The default α multiplier: the largest of 100, 10, 1 the measured rule deems stable for this
 * spec's optimizer and junctions (100 for most specs, as in the paper).
 */
export function defaultAlphaMultiplier(spec: MtlSpec, optimizer: OptimizerPlan): number {
  const modes = trainedModes(spec);
  return DEFAULT_MULTIPLIERS.find((m) => alphaStepProblem(optimizer, m, modes) === undefined) ?? 1;
}

/** A given multiplier the measurements say is unstable: a warning with the largest stable one. */
function checkAlphaStepSize(spec: MtlSpec, optimizer: OptimizerPlan, multiplier: number, out: Diagnostics): void {
  const modes = trainedModes(spec);
  if (modes.size === 0) return;
  const problem = alphaStepProblem(optimizer, multiplier, modes);
  if (!problem) return;
  const stable = [1000, 100, 10, 1, 0.1, 0.01].find((m) => m < multiplier && alphaStepProblem(optimizer, m, modes) === undefined);
  const training = spec.training;
  const pointer = training?.crossStitchLearningRateMultiplier !== undefined ? '/training/crossStitchLearningRateMultiplier' : training?.optimizer !== undefined ? '/training/optimizer' : training !== undefined ? '/training' : '';
  out.warn('alpha-step-large', pointer, problem, stable !== undefined ? `use crossStitchLearningRateMultiplier: ${stable} (or a smaller learning rate); see "Choosing the multiplier" in docs/training.md` : 'lower the learning rate');
}

/**
 * Adadelta at learning rate 1 (Keras' old default) diverged in every measured run with a trained
 * junction, at every α multiplier, × 1 included (bench/alpha-stability.ts, docs/training.md): the
 * towers' rate is the problem, so no multiplier fixes it. Smaller rates were not measured.
 */
function checkAdadeltaRate(spec: MtlSpec, optimizer: OptimizerPlan, out: Diagnostics): void {
  if (optimizer.type !== 'adadelta' || optimizer.learningRate < 1 || trainedModes(spec).size === 0) return;
  out.warn(
    'learning-rate-large',
    '/training/optimizer/learningRate',
    `adadelta at learningRate ${round(optimizer.learningRate)} diverged in every measured run with a trained junction, whatever α's multiplier (× 1 included)`,
    'lower learningRate (TensorFlow.js\'s adadelta default is 0.001); see "Choosing the multiplier" in docs/training.md',
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
    const taskNames = towers.map((t) => t.task);
    const fractions = data.labelFraction ?? {};
    let ok = true;
    for (const key of Object.keys(fractions)) {
      if (!taskNames.includes(key)) {
        out.keyError('unknown-tower', toPointer(['data', 'labelFraction', key]), `data.labelFraction names "${key}", which is not a task`, suggest(key, taskNames, 'task'));
        ok = false;
      }
    }
    if (!ok) return undefined;
    return {
      format: 'multimnist',
      ...(data.trainSize !== undefined ? { trainSize: data.trainSize } : {}),
      ...(data.testSize !== undefined ? { testSize: data.testSize } : {}),
      ...(data.placement !== undefined && data.placement !== 'fixed' ? { placement: data.placement } : {}),
      ...(data.distinctClasses ? { distinctClasses: true } : {}),
      ...(Object.keys(fractions).length > 0 ? { labelFraction: Object.fromEntries(taskNames.filter((t) => own(fractions, t) !== undefined).map((t) => [t, fractions[t]!])) } : {}),
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
