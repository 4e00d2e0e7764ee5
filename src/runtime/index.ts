/**
 * The Node runtime (`mtlc/runtime`, and `mtlc/runtime/train` under Node): the CrossStitch layer,
 * backend selection, the training loop, data loaders, wasm training kernels and the file:// IO
 * handler. A generated `train.ts` imports it; a generated `model.ts` imports only the
 * browser-safe `./model.js` (`mtlc/runtime/model`), which is also what `mtlc/runtime` is in a
 * browser bundle. The runtime never imports the compiler.
 */
export type * from './plan.js';
export { CrossStitch, crossStitch, crossStitchMix, registerCrossStitch, mixingMatrix, unitMatrix, DEFAULT_CROSS_STITCH_INIT } from './cross-stitch.js';
export type { CrossStitchArgs } from './cross-stitch.js';
export { Sluice, sluiceMix, sluiceOrthogonality, sluiceInit } from './sluice.js';
export type { SluiceArgs } from './sluice.js';
export { Nddr, nddrFuse, nddrInit } from './nddr.js';
export type { NddrArgs } from './nddr.js';
export { isJunctionLayer, RepeatedCall } from './junction.js';
export type { JunctionLayer, JunctionParameter, ReportedMix } from './junction.js';
export { fileSystemHandler, registerFileSystemRouter, ModelFileError, MODEL_JSON, WEIGHTS_BIN } from './io/index.js';
export type { FileSystemHandlerOptions, SaveStep } from './io/index.js';
export {
  selectBackend,
  parseBackendChoice,
  classifyLoadError,
  defaultModuleLoader,
  BackendUnavailableError,
  UnknownBackendError,
  BACKEND_ORDER,
  BACKEND_PACKAGES,
} from './backend.js';
export type { BackendSelection, SelectBackendOptions, SkippedBackend, ModuleLoader, BackendErrorCode } from './backend.js';
export * from './train/index.js';
export { registerWasmTrainingKernels, MISSING_WASM_KERNELS, REPLACED_WASM_KERNELS } from './wasm-kernels/index.js';
export type { WasmKernelRegistration, RegisterWasmKernelsOptions } from './wasm-kernels/index.js';
export { registerCopyingCpuCast, hasOwnStorage, withOwnStorage } from './tensor-storage.js';
export { withSeededRandom, withRng, Rng, deriveSeed } from './random.js';
export type { RngState } from './random.js';
export { loadData, makeMultiMnist, multiMnistTensors, DataError, TensorSource, DatasetSource, TabularSource, parseCsvRecord } from './data/index.js';
export type { Batch, BatchSource, LoadedData, TabularSpec, TabularTask } from './data/index.js';
export * from './torch/index.js';
