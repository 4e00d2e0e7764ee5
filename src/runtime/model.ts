/**
 * `mtlc/runtime/model`: what a generated `model.ts` imports, and nothing more: the CrossStitch
 * layer (registered with tfjs serialization when this module loads), seeded initialisation and
 * the model types. Browser-safe: it imports `@tensorflow/tfjs` and nothing of Node, so a web
 * bundler (Vite) takes it whole. Training, file I/O, workers and progress are in `mtlc/runtime`
 * (Node; its browser build is this module) and `mtlc/runtime/train`.
 */
export type { BuildOptions, BuiltModel, JunctionInfo, ModelBuilder } from './train/types.js';
export type { CrossStitchInit, CrossStitchMode } from './plan.js';
export { CrossStitch, crossStitch, crossStitchMix, registerCrossStitch, mixingMatrix, unitMatrix, DEFAULT_CROSS_STITCH_INIT } from './cross-stitch.js';
export type { CrossStitchArgs } from './cross-stitch.js';
export { Sluice, sluiceMix, sluiceOrthogonality, sluiceInit } from './sluice.js';
export type { SluiceArgs } from './sluice.js';
export { Nddr, nddrFuse, nddrInit } from './nddr.js';
export type { NddrArgs } from './nddr.js';
export { isJunctionLayer, RepeatedCall } from './junction.js';
export type { JunctionLayer, JunctionParameter, ReportedMix } from './junction.js';
export { withSeededRandom, withRng, Rng, deriveSeed } from './random.js';
export type { RngState } from './random.js';
