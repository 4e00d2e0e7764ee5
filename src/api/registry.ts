/**
 * How API callers choose the layer and junction kinds: a ready `registry`, or `layerKinds` /
 * `junctionKinds` added to the built-ins (a plugin's, e.g. from `loadProjectConfig`). Registries
 * built from the same arrays are reused, so the compiled schema is too.
 */
import type { JunctionKind } from '../junctions/kind.js';
import { createLayerRegistry } from '../layers/index.js';
import { LayerRegistry, type LayerKind } from '../layers/kind.js';

export interface LayerKindsOption {
  /** The kinds to use (built-ins included); wins over `layerKinds` and `junctionKinds`. */
  readonly registry?: LayerRegistry;
  /** Extra layer kinds registered after the built-ins; a type already registered throws. */
  readonly layerKinds?: readonly LayerKind[];
  /** Extra junction kinds registered after the built-ins; a kind already registered throws. */
  readonly junctionKinds?: readonly JunctionKind[];
}

let builtins: LayerRegistry | undefined;
const byKinds = new WeakMap<object, LayerRegistry>();
const byJunctionKinds = new WeakMap<object, WeakMap<object, LayerRegistry>>();
const NONE: readonly never[] = [];

/** The registry of the built-in layer kinds (one instance, so the compiled schema is cached). */
export function defaultRegistry(): LayerRegistry {
  builtins ??= createLayerRegistry();
  return builtins;
}

export function registryOf(option: LayerRegistry | LayerKindsOption | undefined): LayerRegistry {
  if (option instanceof LayerRegistry) return option;
  if (option?.registry) return option.registry;
  const kinds = option?.layerKinds ?? NONE;
  const junctions = option?.junctionKinds ?? NONE;
  if (kinds.length === 0 && junctions.length === 0) return defaultRegistry();
  if (junctions.length === 0) {
    let registry = byKinds.get(kinds);
    if (!registry) byKinds.set(kinds, (registry = createLayerRegistry(kinds)));
    return registry;
  }
  let forKinds = byJunctionKinds.get(kinds);
  if (!forKinds) byJunctionKinds.set(kinds, (forKinds = new WeakMap()));
  let registry = forKinds.get(junctions);
  if (!registry) forKinds.set(junctions, (registry = createLayerRegistry(kinds, junctions)));
  return registry;
}
