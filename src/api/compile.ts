/**
 * `compileSpec`: text -> checked model -> generated files, pure (no file system). The CLI's
 * `compile`, `train` and the Vite plugin call it; `writeCompiled` (./write.ts) is the fs shell.
 */
import * as path from 'node:path';
import type { CheckedModel } from '../model/ir.js';
import { hasErrors, type Diagnostic } from '../spec/diagnostic.js';
import type { SpecDocument } from '../spec/document.js';
import type { TargetProblem } from '../targets/output.js';
import { emitTfjs, modelFolder } from '../targets/tfjs/emit.js';
import { registryOf, type LayerKindsOption } from './registry.js';
import { validateSpec } from './validate.js';

export type { GeneratedFile } from '../targets/output.js';
import type { GeneratedFile } from '../targets/output.js';

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
  /**
   * Paths relative to the output directory: `<kebab>/model.ts`, ... Empty when the spec is
   * invalid or a kind has no TensorFlow.js lowering (a `no-tfjs-lowering` diagnostic).
   */
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
  return compileModel(checked.model, { ...options, registry }, { ...base, ...(checked.document ? { document: checked.document } : {}) });
}

/**
 * Emits an already checked model for TensorFlow.js. A kind without a tfjs lowering is an error
 * diagnostic (located in `base.document` when given) and no files.
 */
export function compileModel(
  model: CheckedModel,
  options: CompileOptions = {},
  base: { diagnostics: Diagnostic[]; text?: string; document?: SpecDocument } = { diagnostics: [] },
): CompileResult {
  const outDir = options.outDir;
  const { document, ...rest } = base;
  const { files, problems } = emitTfjs(model, registryOf(options), {
    specPath: (options.specPath ?? model.specFile).replace(/\\/g, '/'),
    ...(outDir !== undefined ? { importSpecifier: (module: string) => relativeImport(module, path.resolve(outDir, modelFolder(model))) } : {}),
  });
  const diagnostics = [...rest.diagnostics, ...targetDiagnostics(problems, model.specFile, document)];
  return { ...rest, diagnostics, files, model };
}

/** A target's problems as error diagnostics, located in the spec when its document is at hand. */
export function targetDiagnostics(problems: readonly TargetProblem[], file: string, document: SpecDocument | undefined): Diagnostic[] {
  return problems.map((p) => {
    const at = document?.locate(p.pointer) ?? { line: 1, column: 1, endLine: 1, endColumn: 1 };
    return { file, ...at, severity: 'error' as const, code: p.code, message: p.message, path: p.pointer, ...(p.hint ? { hint: p.hint } : {}) };
  });
}

/** An absolute module file as imported from `folder` (posix, `./`-prefixed, TS extensions as JS). */
export function relativeImport(module: string, folder: string): string {
  if (!path.isAbsolute(module)) return module;
  let rel = path.relative(folder, module).split(path.sep).join('/');
  if (!rel.startsWith('../')) rel = `./${rel}`;
  return rel.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs').replace(/\.tsx$/, '.js');
}
