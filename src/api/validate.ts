/**
 * `validateSpec`: the one place that composes the checking steps, for the CLI, the Vite plugin
 * and programmatic users: text -> SpecDocument (src/spec/load.ts) -> schema validation
 * (src/spec/validate-schema.ts) -> semantic checks and the checked model (src/model/check/).
 * Never throws for any input text.
 */
import type { LayerRegistry } from '../layers/kind.js';
import type { CheckedModel } from '../model/ir.js';
import { checkModel } from '../model/check/index.js';
import { compareDiagnostics, hasErrors, type Diagnostic } from '../spec/diagnostic.js';
import type { SpecDocument } from '../spec/document.js';
import { loadSpecFile, loadSpecText, type LoadResult } from '../spec/load.js';
import { defaultRegistry, registryOf, type LayerKindsOption } from './registry.js';

export { defaultRegistry } from './registry.js';
/** The layer kinds to check against: a registry, or `{ layerKinds }` added to the built-ins. */
export type Kinds = LayerRegistry | LayerKindsOption;

export interface ValidateResult {
  /** The parsed spec, when the text is one well-formed YAML document. */
  document?: SpecDocument;
  /** The decoded text, when it passed the size and encoding checks (for code frames). */
  text?: string;
  /** The checked model, when there is no error. */
  model?: CheckedModel;
  /** Every problem found, sorted by position. */
  diagnostics: Diagnostic[];
}

/** Checks an already loaded document: schema, then (when schema-valid) the semantic checks. */
export function validateDocument(document: SpecDocument, kinds: Kinds = defaultRegistry()): ValidateResult {
  const checked = checkModel(document, registryOf(kinds));
  return { document, ...(checked.model ? { model: checked.model } : {}), diagnostics: checked.diagnostics };
}

/** Parses and checks a spec given as text (or raw bytes, checked for UTF-8). */
export function validateSpec(text: string | Uint8Array, file: string, kinds: Kinds = defaultRegistry()): ValidateResult {
  return finish(loadSpecText(text, file), registryOf(kinds));
}

/** Reads, parses and checks a spec file; an unreadable file is a diagnostic with code `io-error`. */
export function validateSpecFile(path: string, file: string = path, kinds: Kinds = defaultRegistry()): ValidateResult {
  return finish(loadSpecFile(path, file), registryOf(kinds));
}

function finish(loaded: LoadResult, registry: LayerRegistry): ValidateResult {
  const text = loaded.text !== undefined ? { text: loaded.text } : {};
  if (!loaded.document || hasErrors(loaded.diagnostics)) {
    return { ...(loaded.document ? { document: loaded.document } : {}), ...text, diagnostics: [...loaded.diagnostics].sort(compareDiagnostics) };
  }
  const result = validateDocument(loaded.document, registry);
  return { ...result, ...text, diagnostics: [...loaded.diagnostics, ...result.diagnostics].sort(compareDiagnostics) };
}
