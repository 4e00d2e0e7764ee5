/**
 * The checked model (IR): what a valid spec means, with every default filled in, every shape
 * inferred and every parameter counted. Produced by `checkModel` (src/model/check/) from a
 * schema-valid spec document; consumed by the targets (src/targets/), `inspect` and `graph`.
 * Plain, immutable data.
 */
import type { JunctionOptions } from '../junctions/kind.js';
import type { LayerConfig, Shape } from '../layers/kind.js';
import type { TrainingPlan } from '../runtime/plan.js';

export interface CheckedModel {
  /** Spec file as the user named it, and the sha256 of its text. */
  readonly specFile: string;
  readonly specHash: string;
  /** PascalCase model name: the builder is `build${name}`. */
  readonly name: string;
  readonly description?: string;
  readonly input: { readonly name: string; readonly shape: Shape };
  /** In spec order; this is the order of the model's outputs. */
  readonly towers: readonly Tower[];
  /** In spec order. */
  readonly junctions: readonly Junction[];
  /**
   * The order in which layers and junctions apply (src/model/order.ts `applyOrder`): every target
   * and `graph` follow it. Recomputed by every transform that changes towers or junctions.
   */
  readonly order: readonly ApplyStep[];
  /** Training defaults from the spec's `training:` and `data:` sections. */
  readonly training: TrainingPlan;
}

/**
 * One step of building the model, by indices into `towers` and `junctions`:
 * `layer` applies `towers[tower].layers[layer]` to the tower's activation; `share` gives tower
 * `tower` the activation of tower `from` after its layer `layer` (a variant's shared layer, whose
 * node in `tower` has `sharedFrom`); `junction` applies `junctions[junction]` to its towers'
 * activations; `head` applies the tower's head (its output).
 */
export type ApplyStep =
  | { readonly op: 'layer'; readonly tower: number; readonly layer: number }
  | { readonly op: 'share'; readonly tower: number; readonly from: number; readonly layer: number }
  | { readonly op: 'junction'; readonly junction: number }
  | { readonly op: 'head'; readonly tower: number };

export interface Tower {
  /** The task name (camelCase identifier); also the name of its head layer and of its output. */
  readonly task: string;
  readonly description?: string;
  readonly layers: readonly LayerNode[];
  /** The task's head: a dense layer named after the task. */
  readonly head: LayerNode;
  readonly loss: string;
  readonly lossWeight: number;
  readonly metrics: readonly string[];
}

export interface LayerNode {
  /** The layer kind's `type`. */
  readonly type: string;
  /** Name in the spec, or a generated one (`${type}${index+1}`) unique in its tower. */
  readonly name: string;
  /**
   * The layer's name in the model, unique: `${task}_${name}`; a head is named `${task}`. Every
   * target names the layer after it, and weights files store its weights under it.
   */
  readonly layerName: string;
  /** Position in the tower's `layers` (the head: `layers.length`). */
  readonly index: number;
  /** The layer's config as written (validated); each target's lowering of the kind reads it. */
  readonly config: LayerConfig;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly params: number;
  /** JSON pointer of the layer in the spec (for diagnostics and tooling). */
  readonly pointer: string;
  /**
   * Set by a sharing variant (src/model/variant.ts): this node is the layer at the same index of
   * tower `task`, applied once; its output is that tower's output there and its `params` are 0
   * (counted once, on the owner).
   */
  readonly sharedFrom?: { readonly task: string; readonly layerName: string };
}

export interface Junction {
  /** From the spec, or `stitch${index+1}`. */
  readonly name: string;
  /** The junction kind (src/junctions/): `crossStitch`, `sluice`, `nddr`, or a plugin's. */
  readonly kind: string;
  /**
   * The kind's options with its defaults filled in (what its runtime layer is built with), e.g. a
   * crossStitch junction's mode and α init. Read them typed through the kind:
   * `junctionOptions(crossStitch, junction)` (src/junctions/kind.ts).
   */
  readonly options: JunctionOptions;
  /** The kind's short description of this junction, e.g. `crossStitch (channel)`. */
  readonly label: string;
  /**
   * The junction's layer name in the model, unique, like `LayerNode.layerName`:
   * `cross_stitch_${name}` whatever its kind (weights files and the report know it by this name).
   */
  readonly layerName: string;
  readonly index: number;
  /** The stitched tasks, in tower (spec) order. */
  readonly towers: readonly string[];
  /** Per stitched task: the layer after which the unit sits, and its index in that tower. */
  readonly after: { readonly [task: string]: { readonly layer: string; readonly index: number } };
  readonly trainable: boolean;
  /** Per stitched task, the activation shape at the junction (output shapes equal inputs). */
  readonly shapes: { readonly [task: string]: Shape };
  readonly params: number;
  readonly pointer: string;
}
