/**
 * Plain data that generated code hands to the runtime: what to train and how. No TensorFlow.js
 * import here, so the compiler may import these types (the compiler never
 * imports TensorFlow.js; the runtime never imports the compiler).
 */

export type BackendName = 'gpu' | 'node' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';

export type CrossStitchMode = 'channel' | 'scalar' | 'unit';

/** α initialisation: self weight on the diagonal, `other / (N-1)` off it; or a full matrix. */
export type CrossStitchInit =
  | { readonly self: number; readonly other: number }
  | { readonly matrix: readonly (readonly number[])[] };

export interface OptimizerPlan {
  readonly type: 'sgd' | 'momentum' | 'adam' | 'rmsprop' | 'adagrad' | 'adamax' | 'adadelta';
  readonly learningRate: number;
  /** sgd with momentum > 0 uses the momentum optimizer. */
  readonly momentum?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  readonly rho?: number;
  readonly decay?: number;
}

export interface TaskWeightingPlan {
  /** fixed: lossWeight; uncertainty: Kendall et al. 2018; dwa: Liu et al. 2019. */
  readonly type: 'fixed' | 'uncertainty' | 'dwa';
  /** DWA temperature T. */
  readonly temperature?: number;
}

export type DataPlan =
  | {
      readonly format: 'multimnist';
      /** Examples drawn for training and for test (disjoint digit sources). */
      readonly trainSize?: number;
      readonly testSize?: number;
      /**
       * The spec's tasks in order (first = upper-left digit, second = lower-right), when the
       * model trains fewer of them (a single-task variant); default the plan's tasks.
       */
      readonly specTasks?: readonly string[];
      /** Where the digits sit (how much they overlap): fixed (0,0)/(8,8), senerKoltun (0,0)/(6,6), random 0..8 shifts. */
      readonly placement?: 'fixed' | 'senerKoltun' | 'random';
      /** The second digit's class always differs from the first's. */
      readonly distinctClasses?: boolean;
      /**
       * Per task (spec task names), the share of training examples that carry its label, in
       * (0, 1] (default 1): a seeded subset; the others are unlabelled for that task. The test
       * part stays fully labelled.
       */
      readonly labelFraction?: { readonly [task: string]: number };
    }
  | {
      readonly format: 'jsonl' | 'csv';
      readonly path: string;
      /** Field(s) holding the input: one field with an array, or one field per value. */
      readonly input: string | readonly string[];
      /** Field per task. */
      readonly targets: { readonly [task: string]: string };
      readonly testPath?: string;
    };

export interface TaskPlan {
  readonly name: string;
  readonly loss: string;
  readonly lossWeight: number;
  readonly metrics: readonly string[];
  /** Shape of the task's output without the batch axis (its head's units). */
  readonly outputShape: readonly number[];
}

export interface TrainingPlan {
  readonly modelName: string;
  /** sha256 of the spec text the plan was compiled from; checkpoints record it. */
  readonly specHash: string;
  readonly input: { readonly name: string; readonly shape: readonly number[] };
  readonly tasks: readonly TaskPlan[];
  readonly backend: BackendChoice;
  readonly optimizer: OptimizerPlan;
  readonly crossStitchLearningRateMultiplier: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly validationSplit: number;
  readonly seed: number;
  readonly taskWeighting: TaskWeightingPlan;
  readonly data: DataPlan;
}
