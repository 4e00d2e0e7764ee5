/**
 * `compileSpec`: text -> checked model -> generated files, pure (no file system). The CLI's
 * `compile`, `train` and the Vite plugin call it; `writeCompiled` (./write.ts) is the fs shell.
 */
import { emitModel, type GeneratedFile } from '../codegen/emit.js';
import type { LayerRegistry } from '../layers/kind.js';
import type { CheckedModel } from '../model/ir.js';
import { hasErrors, type Diagnostic } from '../spec/diagnostic.js';
import { defaultRegistry, validateSpec } from './validate.js';

export type { GeneratedFile } from '../codegen/emit.js';

export interface CompileOptions {
  /** Layer kinds (built-ins by default). */
  readonly registry?: LayerRegistry;
  /** Spec path for the generated header (default `file`, with posix slashes). */
  readonly specPath?: string;
}

export interface CompileResult {
  /** Paths relative to the output directory: `<kebab>/model.ts`, ... Empty when invalid. */
  files: GeneratedFile[];
  diagnostics: Diagnostic[];
  model?: CheckedModel;
  /** The decoded spec text (for code frames). */
  text?: string;
}

export function compileSpec(text: string | Uint8Array, file: string, options: CompileOptions = {}): CompileResult {
  const registry = options.registry ?? defaultRegistry();
  const checked = validateSpec(text, file, registry);
  const base = { diagnostics: checked.diagnostics, ...(checked.text !== undefined ? { text: checked.text } : {}) };
  if (!checked.model || hasErrors(checked.diagnostics)) return { files: [], ...base };
  return compileModel(checked.model, { ...options, registry }, base);
}

/** Emits an already checked model. */
export function compileModel(
  model: CheckedModel,
  options: CompileOptions = {},
  base: { diagnostics: Diagnostic[]; text?: string } = { diagnostics: [] },
): CompileResult {
  const files = emitModel(model, options.registry ?? defaultRegistry(), {
    specPath: (options.specPath ?? model.specFile).replace(/\\/g, '/'),
  });
  return { ...base, files, model };
}
