/**
 * What a lowering to TensorFlow.js is: how the tfjs target spells one layer or junction kind in
 * the generated TypeScript. The built-in kinds' lowerings are in this room (./layers.ts,
 * ./junctions.ts); a plugin's kind brings its own as `lowerings: { tfjs: ... }` (the kinds'
 * contracts, src/layers/kind.ts and src/junctions/kind.ts, refer to these types).
 */
import type { LayerConfig } from '../../layers/kind.js';

/** A class generated code imports: a package (`mtlc/runtime/model`, `my-layers`) or an absolute file, and its export. */
export interface RuntimeClass {
  readonly module: string;
  readonly exportName: string;
}

/** What a layer's lowering is given. */
export interface TfjsEmitContext {
  /** Identifier of the `@tensorflow/tfjs` namespace import in the generated file (`tf`). */
  readonly tf: string;
  /** The unique tfjs layer name chosen for this layer. */
  readonly layerName: string;
  /** Renders a plain value as a safe TypeScript literal (strings escaped, keys quoted). */
  literal(value: unknown): string;
  /** Identifier under which the lowering's `runtimeClass` was imported, when it has one. */
  readonly runtimeClass?: string;
}

export interface TfjsLayerLowering {
  /** A TypeScript expression that constructs the layer, e.g. `tf.layers.dense({...})`. */
  emit(config: LayerConfig, ctx: TfjsEmitContext): string;
  /** For layers tfjs lacks: the layer class generated code imports (`ctx.runtimeClass` names it). */
  readonly runtimeClass?: RuntimeClass;
}

export interface TfjsJunctionLowering {
  /**
   * The junction's runtime layer: a tfjs Layer taking the N stitched tensors and returning N,
   * constructed with `{ name, ...options, trainable }` (options: what the kind's `check`
   * resolved). It implements the junction-layer contract (mtlc/runtime/model `JunctionLayer`)
   * so the training loop finds its parameters.
   */
  readonly runtimeClass: RuntimeClass;
}
