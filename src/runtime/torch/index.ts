/** The torch engine's Node side (Node only): data hand-over, job, launching PyTorch. */
export { runTorchTrainingCli, torchTrainingHelp, type TorchPackage } from './cli.js';
export { findTorchPython, launch, launchArgs, pythonRuntimeDir, TORCH_INSTALL_HINT, EVENT_PREFIX } from './launch.js';
export type { TorchPython, TorchEvent, LaunchOptions, LaunchResult } from './launch.js';
export { writeShard, saveInitialModel, writeJob, TORCH_DIR, JOB_FILE, JOB_VERSION } from './handover.js';
export type { ShardMeta, TorchJob } from './handover.js';
