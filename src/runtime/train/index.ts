export type * from './types.js';
export { trainModel, TrainingError, readAlphas, formatAlphas, identityLike, isCrossStitchLayer, METRICS_FILE, ALPHAS_FILE, RUN_FILE, MODEL_DIR } from './loop.js';
export { runTrainingCli, trainingHelp, kebabCase } from './cli.js';
export type { TrainingCliIO } from './cli.js';
export { createOptimizer } from './optimizers.js';
export { lossFunction, metricFunction } from './losses.js';
export { saveCheckpoint, findCheckpoint, readCheckpointState, CHECKPOINT_DIR } from './checkpoint.js';
export type { CheckpointState } from './checkpoint.js';
export { lazyConvGradients, ensureFusedConv2DGradient } from './conv-gradients.js';
