import type { JunctionKind } from '../junctions/kind.js';
import type { TfjsLayerLowering } from '../targets/tfjs/lowering.js';

/**
 * The interface every layer kind implements, built-in or from a user's plugin. A kind says what
 * a layer is, in one `defineLayerKind({...})` call: its schema fragment, shape rule and parameter
 * count. How a target spells it is the target's business (src/targets/<target>/ holds the
 * lowerings of the built-in kinds); a plugin's kind, which no target knows, brings its own
 * lowerings along (`lowerings: { tfjs: ... }`).
 */

/** A JSON Schema (2020-12) object, as plain data. */
export type JsonSchema = { readonly [key: string]: unknown };

/** An activation's shape without the batch axis, e.g. [28, 28, 1]. */
export type Shape = readonly number[];

/** A layer as written in the spec (after schema validation): `type`, optional `name`, the rest. */
export type LayerConfig = { readonly type: string; readonly name?: string } & {
  readonly [key: string]: unknown;
};

/** A problem the shape rule found; located at `property` of the layer (or the layer itself). */
export interface LayerIssue {
  code: string;
  message: string;
  /** Name of the offending property of the layer config, e.g. `kernelSize`. */
  property?: string;
  hint?: string;
}

export type ShapeResult = { shape: Shape } | { error: LayerIssue };

export interface LayerKind {
  /** The spec's `type` value (camelCase), e.g. `conv2d`. */
  readonly type: string;
  /** One sentence; becomes the schema description of the layer object. */
  readonly description: string;
  /** JSON Schema of the kind's own properties (not `type` or `name`), each with a description. */
  readonly properties: { readonly [property: string]: JsonSchema };
  readonly required?: readonly string[];
  /** Output shape for an input shape (no batch axis), or the reason the layer cannot apply. */
  outputShape(config: LayerConfig, input: Shape): ShapeResult;
  /** Number of weights (trainable and not) the layer creates for this input shape. */
  paramCount(config: LayerConfig, input: Shape): number;
  /**
   * A plugin's lowerings, per target: how it is spelt in the code a target generates. A built-in
   * kind has none here (its targets know it). A kind without a lowering for the target a spec is
   * compiled for is a located error there (`no-tfjs-lowering`).
   */
  readonly lowerings?: LayerLowerings;
}

/** A plugin layer kind's lowering for each target it supports. */
export interface LayerLowerings {
  /** The TensorFlow.js target (generated TypeScript): the expression constructing the layer, and its class when tfjs lacks one. */
  readonly tfjs?: TfjsLayerLowering;
}

/** Identity helper that gives a kind's definition its type (and a place to validate it). */
export function defineLayerKind<K extends LayerKind>(kind: K): K {
  if (!/^[a-z][A-Za-z0-9]*$/.test(kind.type)) {
    throw new Error(`layer kind type must be camelCase, got ${JSON.stringify(kind.type)}`);
  }
  for (const reserved of ['type', 'name']) {
    if (reserved in kind.properties) {
      throw new Error(`layer kind ${kind.type}: property "${reserved}" is reserved`);
    }
  }
  // Kinds written before targets were rooms put the tfjs code on the kind itself.
  for (const moved of ['emit', 'runtimeClass']) {
    if (moved in kind) {
      throw new Error(`layer kind ${kind.type}: "${moved}" belongs to the kind's TensorFlow.js lowering now: write lowerings: { tfjs: { emit, runtimeClass } }`);
    }
  }
  return kind;
}

/**
 * The kinds a compilation uses: layer kinds and junction kinds (src/junctions/), the built-ins
 * plus any plugin's.
 */
export class LayerRegistry {
  readonly #kinds = new Map<string, LayerKind>();
  readonly #junctions = new Map<string, JunctionKind>();

  constructor(kinds: Iterable<LayerKind> = [], junctionKinds: Iterable<JunctionKind> = []) {
    for (const kind of kinds) this.register(kind);
    for (const kind of junctionKinds) this.registerJunction(kind);
  }

  registerJunction(kind: JunctionKind): this {
    if (this.#junctions.has(kind.kind)) throw new Error(`junction kind "${kind.kind}" is already registered`);
    this.#junctions.set(kind.kind, kind);
    return this;
  }

  junction(kind: string): JunctionKind | undefined {
    return this.#junctions.get(kind);
  }

  /** Junction kinds in registration order (the first is the default, crossStitch). */
  junctionKinds(): JunctionKind[] {
    return [...this.#junctions.values()];
  }

  /** A key that changes when kinds are added (caches of the compiled schema). */
  signature(): string {
    return `${this.types().join(',')};${[...this.#junctions.keys()].join(',')}`;
  }

  register(kind: LayerKind): this {
    if (this.#kinds.has(kind.type)) {
      throw new Error(`layer kind "${kind.type}" is already registered`);
    }
    this.#kinds.set(kind.type, kind);
    return this;
  }

  get(type: string): LayerKind | undefined {
    return this.#kinds.get(type);
  }

  /** Kinds in registration order (deterministic schema and docs). */
  list(): LayerKind[] {
    return [...this.#kinds.values()];
  }

  types(): string[] {
    return [...this.#kinds.keys()];
  }
}
