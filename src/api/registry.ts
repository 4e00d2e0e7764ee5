/**
 * How API callers choose the layer kinds: a ready `registry`, or `layerKinds` added to the
 * built-ins (a plugin's, e.g. from `loadProjectConfig`). Registries built from the same array are
 * reused, so the compiled schema is too.
 */
import { createLayerRegistry } from '../layers/index.js';
import { LayerRegistry, type LayerKind } from '../layers/kind.js';

export interface LayerKindsOption {
  /** The layer kinds to use (built-ins included); wins over `layerKinds`. */
  readonly registry?: LayerRegistry;
  /** Extra kinds registered after the built-ins; a type already registered throws. */
  readonly layerKinds?: readonly LayerKind[];
}

let builtins: LayerRegistry | undefined;
const byKinds = new WeakMap<readonly LayerKind[], LayerRegistry>();

/** The registry of the built-in layer kinds (one instance, so the compiled schema is cached). */
export function defaultRegistry(): LayerRegistry {
  builtins ??= createLayerRegistry();
  return builtins;
}

export function registryOf(option: LayerRegistry | LayerKindsOption | undefined): LayerRegistry {
  if (option instanceof LayerRegistry) return option;
  if (option?.registry) return option.registry;
  const kinds = option?.layerKinds;
  if (!kinds || kinds.length === 0) return defaultRegistry();
  let registry = byKinds.get(kinds);
  if (!registry) byKinds.set(kinds, (registry = createLayerRegistry(kinds)));
  return registry;
}
