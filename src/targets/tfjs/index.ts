export { emitTfjs, modelFolder, headerLines, GENERATED_MARKER, tfjsLayerLowering, tfjsJunctionLowering, type EmitOptions } from './emit.js';
export type { RuntimeClass, TfjsEmitContext, TfjsJunctionLowering, TfjsLayerLowering } from './lowering.js';
export { TFJS_LAYER_LOWERINGS } from './layers.js';
export { TFJS_JUNCTION_LOWERINGS } from './junctions.js';
