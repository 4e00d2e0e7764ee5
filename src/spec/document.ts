import type { SourceRange } from './diagnostic.js';

/**
 * A parsed spec: the plain value (aliases expanded, no prototype pollution) plus a way back
 * from any JSON pointer to the source text. Produced by `loadSpecText` in `src/spec/load.ts`.
 */
export interface SpecDocument {
  /** The file name as the user gave it (used in diagnostics). */
  readonly file: string;
  readonly text: string;
  /** sha256 of the text (hex); generated code carries it in its header. */
  readonly sha256: string;
  /** The plain data: objects created with a null-safe builder, so `__proto__` is an own key. */
  readonly data: unknown;
  /**
   * Range of the node at `pointer`; where that node does not exist (a missing property), the
   * range of its closest existing ancestor. Nodes reached through an alias are located at the
   * anchored node they resolve to.
   */
  locate(pointer: string): SourceRange;
  /**
   * Range of the key of the object member at `pointer` (e.g. `filter:` for an unknown property);
   * where there is no key (array items, the root, a missing member), what `locate` gives.
   */
  locateKey?(pointer: string): SourceRange;
}
