/**
 * The interface every junction kind implements, built-in or from a user's plugin: the twin of
 * `LayerKind` (src/layers/kind.ts). A junction sits after a layer in two or more towers and hands
 * each stitched tower a new activation of the same shape, made from all stitched activations.
 * A kind is defined in one place, one `defineJunctionKind({...})`: its schema fragment, its
 * checks and shape rule, its parameter count. How a target spells it is the target's business
 * (src/targets/<target>/ holds the lowerings of the built-in kinds, e.g. the tfjs runtime layer
 * class); a plugin's kind brings its own (`lowerings: { tfjs: { runtimeClass } }`). How the
 * runtime trains a junction's parameters (learning-rate group, weight decay, report) is declared
 * by its runtime layer (src/runtime/junction.ts), so the training loop never looks at class names.
 */
import type { JsonSchema, Shape } from '../layers/kind.js';
import type { TfjsJunctionLowering } from '../targets/tfjs/lowering.js';

/** A junction entry as written in the spec (after schema validation). */
export type JunctionConfig = { readonly kind?: string; readonly name?: string } & { readonly [key: string]: unknown };

/** A problem the kind found; located at `property` of the junction entry (or at its `after`). */
export interface JunctionIssue {
  code: string;
  message: string;
  /** Path below the junction entry, e.g. `init/matrix/1`; default: `after` (the stitched activations). */
  property?: string;
  hint?: string;
}

/** What a kind is told about the activations it stitches. */
export interface JunctionInput {
  /** The stitched tasks, in tower (spec) order. */
  readonly towers: readonly string[];
  /** Their activation shapes at the junction (no batch axis), in the same order. */
  readonly shapes: readonly Shape[];
}

/** A kind's options with its defaults filled in: what its runtime layer is built with (plain data). */
export type JunctionOptions = { readonly [key: string]: unknown };

export interface JunctionResult<O extends JunctionOptions = JunctionOptions> {
  /** The kind's options with defaults filled in; the IR stores them as the junction's `options`. */
  readonly options: O;
  /** Weights (trainable and not) the junction creates. */
  readonly params: number;
  /** Problems that do not stop compilation. */
  readonly warnings?: readonly JunctionIssue[];
}

/** `O`: the kind's resolved options (`JunctionOptions` when the kind does not type them). */
export interface JunctionKind<O extends JunctionOptions = JunctionOptions> {
  /** The spec's `kind:` value (camelCase), e.g. `sluice`. */
  readonly kind: string;
  /** One sentence; becomes the schema description of the junction object. */
  readonly description: string;
  /** JSON Schema of the kind's own properties (not name, kind, after, towers, trainable). */
  readonly properties: { readonly [property: string]: JsonSchema };
  readonly required?: readonly string[];
  /** Checks the stitched activations and the options; the resolved options and parameter count, or the problems. */
  check(config: JunctionConfig, input: JunctionInput): JunctionResult<O> | { errors: readonly JunctionIssue[] };
  /** A short label for `inspect` and `graph`, e.g. `crossStitch (channel)`. */
  label(options: O): string;
  /**
   * A plugin's lowerings, per target. A built-in kind has none here (its targets know it). A kind
   * without a lowering for the target a spec is compiled for is a located error there.
   */
  readonly lowerings?: JunctionLowerings;
}

/** A plugin junction kind's lowering for each target it supports. */
export interface JunctionLowerings {
  /** The TensorFlow.js target: the runtime layer class (implementing the junction-layer contract) generated code constructs. */
  readonly tfjs?: TfjsJunctionLowering;
}

/** Properties every junction has, whatever its kind (a kind may not redefine them). */
export const COMMON_JUNCTION_PROPERTIES = ['kind', 'name', 'after', 'towers', 'trainable'] as const;

/**
 * A junction's options typed through its kind, e.g. `junctionOptions(crossStitch, j)?.mode`;
 * undefined for a junction of another kind.
 */
export function junctionOptions<O extends JunctionOptions>(kind: JunctionKind<O>, junction: { readonly kind: string; readonly options: JunctionOptions }): O | undefined {
  return junction.kind === kind.kind ? (junction.options as O) : undefined;
}

/** Identity helper that gives a kind's definition its type (and a place to validate it). */
export function defineJunctionKind<K extends JunctionKind>(kind: K): K {
  if (!/^[a-z][A-Za-z0-9]*$/.test(kind.kind)) throw new Error(`junction kind must be camelCase, got ${JSON.stringify(kind.kind)}`);
  for (const reserved of COMMON_JUNCTION_PROPERTIES) {
    if (reserved in kind.properties) throw new Error(`junction kind ${kind.kind}: property "${reserved}" is reserved`);
  }
  if ('runtimeClass' in kind) throw new Error(`junction kind ${kind.kind}: "runtimeClass" belongs to the kind's TensorFlow.js lowering: write lowerings: { tfjs: { runtimeClass } }`);
  return kind;
}
