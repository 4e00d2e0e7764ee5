/**
 * The TensorFlow.js lowering of every built-in junction kind: its runtime layer in mtlc's
 * browser-safe runtime (src/runtime/cross-stitch.ts, sluice.ts, nddr.ts).
 */
import { crossStitch, nddr, sluice } from '../../junctions/index.js';
import type { TfjsJunctionLowering } from './lowering.js';

const MODEL_RUNTIME = 'mtlc/runtime/model';

/** By junction kind. */
export const TFJS_JUNCTION_LOWERINGS: Readonly<Record<string, TfjsJunctionLowering>> = {
  [crossStitch.kind]: { runtimeClass: { module: MODEL_RUNTIME, exportName: 'CrossStitch' } },
  [sluice.kind]: { runtimeClass: { module: MODEL_RUNTIME, exportName: 'Sluice' } },
  [nddr.kind]: { runtimeClass: { module: MODEL_RUNTIME, exportName: 'Nddr' } },
};
