/**
 * What the checked model fills in where the spec is silent. One place, so the schema's
 * `default`s, the docs and the checker can agree (src/spec may import these). A junction kind's
 * own defaults live with the kind (src/junctions/).
 */
import type { BackendChoice, OptimizerPlan } from '../runtime/plan.js';

import { OPTIMIZERS } from '../spec/schema.js';

// The enumerations live with the schema (src/spec/schema.ts); re-exported for the model's users.
export { BACKENDS, CROSS_STITCH_MODES, DATA_FORMATS, OPTIMIZERS, TASK_WEIGHTINGS } from '../spec/schema.js';
export type OptimizerType = (typeof OPTIMIZERS)[number];

/** Learning rate per optimizer when the spec gives none (the usual defaults of each method). */
export const DEFAULT_LEARNING_RATES: Readonly<Record<OptimizerType, number>> = {
  sgd: 0.01,
  momentum: 0.01,
  adam: 0.001,
  rmsprop: 0.001,
  adagrad: 0.01,
  adamax: 0.002,
  adadelta: 0.001,
};


export const TRAINING_DEFAULTS = {
  backend: 'auto' as BackendChoice,
  optimizer: { type: 'sgd', learningRate: 0.01 } as OptimizerPlan,
  /**
   * α learns with a larger learning rate than the towers (Misra et al. scale it by 10²–10³);
   * 100 keeps that behaviour when the spec does not say.
   */
  crossStitchLearningRateMultiplier: 100,
  batchSize: 32,
  epochs: 10,
  validationSplit: 0,
  seed: 42,
  taskWeighting: { type: 'fixed' as const },
  /** Liu et al. 2019 use T = 2 for dynamic weight averaging. */
  dwaTemperature: 2,
  /** The built-in demo data when the spec has no `data:` section. */
  data: { format: 'multimnist' as const },
};

export const DEFAULT_LOSS_WEIGHT = 1;
export const MULTIMNIST_INPUT_SHAPE = [28, 28, 1] as const;
