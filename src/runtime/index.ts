/**
 * What generated code imports (`mtlc/runtime`): the CrossStitch layer, backend selection, the
 * training loop, data loaders, wasm training kernels and the file:// IO handler.
 * The runtime never imports the compiler.
 */
export type * from './plan.js';
