/**
 * `compileSpec`: text -> checked model -> generated files, pure (no file system). The CLI's
 * `compile`, `train` and the Vite plugin call it; `writeCompiled` (./write.ts) is the fs shell.
 */
import * as path from 'node:path';
import { emitModel, modelFolder, type GeneratedFile } from '../codegen/emit.js';
import type { CheckedModel } from '../model/ir.js';
import { hasErrors, type Diagnostic } from '../spec/diagnostic.js';
import { registryOf, type LayerKindsOption } from './registry.js';
import { validateSpec } from './validate.js';

export type { GeneratedFile } from '../codegen/emit.js';

export interface CompileOptions extends LayerKindsOption {
  /**
   * Where the files will be written. A plugin kind whose runtime class module is an absolute file
   * is then imported by a path relative to the model's folder (`.ts` written as `.js`); without
   * it the absolute path is used (fine for bundlers, e.g. the Vite plugin).
   */
  readonly outDir?: string;
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
  const registry = registryOf(options);
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
  const outDir = options.outDir;
  const files = emitModel(model, registryOf(options), {
    specPath: (options.specPath ?? model.specFile).replace(/\\/g, '/'),
    ...(outDir !== undefined ? { importSpecifier: (module: string) => relativeImport(module, path.resolve(outDir, modelFolder(model))) } : {}),
  });
  return { ...base, files, model };
}

/** An absolute module file as imported from `folder` (posix, `./`-prefixed, TS extensions as JS). */
export function relativeImport(module: string, folder: string): string {
  if (!path.isAbsolute(module)) return module;
  let rel = path.relative(folder, module).split(path.sep).join('/');
  if (!rel.startsWith('../')) rel = `./${rel}`;
  return rel.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs').replace(/\.tsx$/, '.js');
}
