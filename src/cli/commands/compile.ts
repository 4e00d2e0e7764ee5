/**
 * `mtlc compile <spec...> [--out DIR] [--check] [--watch] [--format F]`: generates
 * `<out>/<kebab-name>/{model,train,index}.ts` per valid spec (invalid ones are reported like
 * `validate`, the valid ones still compile). Exit codes: 0 ok; 1 an invalid spec, or with
 * `--check` output that is stale or missing; 2 usage/I/O errors, including a file in the way
 * that lacks the generated header (it is never overwritten; nothing of that spec is written).
 */
import { watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { compileModel, targetDiagnostics } from '../../api/compile.js';
import { validateSpecFile } from '../../api/validate.js';
import { findOrphans, writeCompiled } from '../../api/write.js';
import { promises as fsp } from 'node:fs';
import { hasErrors } from '../../spec/diagnostic.js';
import { formatJson, formatReports, FORMATS, type FileReport, type Format } from '../format/index.js';
import { CliError, ExitCode, useColor, type CliIO } from '../io.js';
import type { LayerRegistry } from '../../layers/kind.js';
import { commandKinds } from '../config.js';
import type { RegisterCommand } from './index.js';
import { emitTorch, type TorchProblem } from '../../targets/torch/index.js';
import { defaultRegistry } from '../../api/registry.js';
import type { Diagnostic } from '../../spec/diagnostic.js';
import type { SpecDocument } from '../../spec/document.js';

export type Target = 'tfjs' | 'torch';
export const TARGETS: readonly Target[] = ['tfjs', 'torch'];

/** Problems of the torch lowering as diagnostics located in the spec. */
export function torchDiagnostics(problems: readonly TorchProblem[], file: string, document: SpecDocument | undefined): Diagnostic[] {
  return targetDiagnostics(problems, file, document);
}

export interface CompileCliOptions {
  /** What to generate: TypeScript for TensorFlow.js (default) or a PyTorch package. */
  target?: Target;
  out?: string;
  check?: boolean;
  format?: Format;
  /** Layer kinds (built-ins by default; the command passes the project config's). */
  registry?: LayerRegistry;
  /** Watch mode: reloads the config's kinds before each run; `files` are watched too. */
  reloadKinds?: () => Promise<{ registry: LayerRegistry; files: readonly string[] }>;
}

const posix = (p: string) => p.split(path.sep).join('/');

/** Compiles and writes (or checks) the given specs; returns stdout, stderr and the exit code. */
export async function runCompile(
  specs: readonly string[],
  options: CompileCliOptions,
  io: CliIO,
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const target = options.target ?? 'tfjs';
  const outDir = path.resolve(io.cwd, options.out ?? (target === 'torch' ? path.join('generated', 'torch') : 'generated'));
  const rel = path.relative(io.cwd, outDir);
  const outShown = rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? posix(outDir) : posix(rel);
  const reports: FileReport[] = [];
  const lines: string[] = [];
  const errors: string[] = [];
  /** What happened to each output file (the JSON format's `files`). */
  const outcomes: { path: string; spec: string; status: 'written' | 'removed' | 'unchanged' | 'stale' | 'conflict' }[] = [];
  let exitCode: number = ExitCode.ok;
  const folders = new Map<string, string>();
  const compiledSpecs = new Set<string>();
  for (const spec of specs) {
    const abs = path.resolve(io.cwd, spec);
    const checked = validateSpecFile(abs, spec, options.registry);
    const text = checked.text ?? checked.document?.text;
    reports.push({ file: spec, ...(text !== undefined ? { text } : {}), diagnostics: checked.diagnostics });
    if (checked.diagnostics.some((d) => d.code === 'io-error')) {
      exitCode = Math.max(exitCode, ExitCode.usage);
      continue;
    }
    if (!checked.model || hasErrors(checked.diagnostics)) {
      exitCode = Math.max(exitCode, ExitCode.invalid);
      continue;
    }
    const specPath = posix(path.relative(io.cwd, abs)) || posix(spec);
    // Each target gives its files, or the located problems that keep the model from compiling to it.
    let files, problems;
    if (target === 'torch') {
      const emitted = emitTorch(checked.model, options.registry ?? defaultRegistry(), { specPath });
      ({ files } = emitted);
      problems = targetDiagnostics(emitted.problems, spec, checked.document);
    } else {
      const document = checked.document ? { document: checked.document } : {};
      ({ files, diagnostics: problems } = compileModel(checked.model, { specPath, outDir, ...(options.registry ? { registry: options.registry } : {}) }, { diagnostics: [], ...document }));
    }
    if (problems.length > 0) {
      const report = reports[reports.length - 1]!;
      reports[reports.length - 1] = { ...report, diagnostics: [...report.diagnostics, ...problems] };
      exitCode = Math.max(exitCode, ExitCode.invalid);
      continue;
    }
    const folder = files[0]?.path.split('/')[0] ?? '';
    const previous = folders.get(folder);
    if (previous !== undefined) {
      errors.push(`${spec}: model ${checked.model.name} writes ${outShown}/${folder}/, as ${previous} does; rename one of the models`);
      exitCode = Math.max(exitCode, ExitCode.usage);
      continue;
    }
    folders.set(folder, spec);
    compiledSpecs.add(specPath);
    let result;
    try {
      result = await writeCompiled(files, outDir, { check: options.check ?? false });
    } catch (e) {
      errors.push(`${spec}: cannot write ${outShown}/${folder}/: ${(e as Error).message}`);
      exitCode = Math.max(exitCode, ExitCode.usage);
      continue;
    }
    const shown = (p: string) => `${outShown}/${p}`;
    if (result.conflicts.length > 0) {
      for (const c of result.conflicts) {
        outcomes.push({ path: shown(c), spec, status: 'conflict' });
        errors.push(`${shown(c)} exists and was not generated by mtlc (no generated header); not overwriting it. Move it away or delete it, then compile ${spec} again`);
      }
      exitCode = Math.max(exitCode, ExitCode.usage);
      continue;
    }
    for (const p of result.unchanged) outcomes.push({ path: shown(p), spec, status: 'unchanged' });
    if (options.check) {
      for (const p of result.stale) lines.push(`stale: ${shown(p)} (from ${spec})`);
      for (const p of result.removed) lines.push(`stale: ${shown(p)} is no longer produced by ${spec}`);
      for (const p of [...result.stale, ...result.removed]) outcomes.push({ path: shown(p), spec, status: 'stale' });
      if (result.stale.length + result.removed.length > 0) exitCode = Math.max(exitCode, ExitCode.invalid);
    } else {
      for (const p of result.written) outcomes.push({ path: shown(p), spec, status: 'written' });
      for (const p of result.removed) outcomes.push({ path: shown(p), spec, status: 'removed' });
      for (const p of result.written) lines.push(`wrote ${shown(p)}`);
      for (const p of result.removed) lines.push(`removed ${shown(p)}`);
      if (result.written.length + result.removed.length === 0) lines.push(`${spec}: ${outShown}/${folder}/ is up to date`);
    }
  }
  // Output of these specs under another folder (the model was renamed): stale.
  const orphans = await findOrphans(outDir, compiledSpecs, new Set(folders.keys()), target === 'torch' ? '.py' : '.ts');
  for (const p of orphans) {
    outcomes.push({ path: `${outShown}/${p}`, spec: '', status: options.check ? 'stale' : 'removed' });
    if (options.check) {
      lines.push(`stale: ${outShown}/${p} was generated from a spec compiled here but is no longer produced`);
      exitCode = Math.max(exitCode, ExitCode.invalid);
    } else {
      await fsp.rm(path.join(outDir, ...p.split('/')), { force: true });
      await fsp.rmdir(path.join(outDir, p.split('/')[0]!)).catch(() => undefined);
      lines.push(`removed ${outShown}/${p}`);
    }
  }
  if (options.check && exitCode === ExitCode.ok) lines.push(`${outShown}/ is up to date with ${specs.length} spec${specs.length === 1 ? '' : 's'}`);
  if (options.check && exitCode === ExitCode.invalid && lines.some((l) => l.startsWith('stale'))) {
    lines.push(`run \`mtlc compile${target === 'torch' ? ' --target torch' : ''}\` without --check to regenerate`);
  }
  const format = options.format ?? 'pretty';
  // Diagnostics are printed only when there are some, but then for every spec, so the summary
  // ("3 specs valid, 1 warning") counts all of them.
  if (format === 'json') {
    // One object with everything the pretty output says: diagnostics, files, errors, the verdict.
    return { stdout: formatJson(reports, { files: outcomes, errors, messages: lines, exitCode }), stderr: '', exitCode };
  }
  const diagnostics = reports.some((r) => r.diagnostics.length > 0) ? formatReports(format, reports, { color: useColor(io) }) : '';
  const stdout = diagnostics + lines.map((l) => `${l}\n`).join('');
  const stderr = errors.map((e) => `error: ${e}\n`).join('');
  return { stdout, stderr, exitCode };
}

/** Recompiles whenever one of the specs changes (debounced); resolves when `signal` aborts. */
export async function watchCompile(specs: readonly string[], options: CompileCliOptions, io: CliIO, signal?: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const watchers: FSWatcher[] = [];
  const watchedConfigs = new Set<string>();
  let stopped = false;
  const run = () => {
    running = running.then(async () => {
      let registry = options.registry;
      if (options.reloadKinds) {
        try {
          const kinds = await options.reloadKinds();
          registry = kinds.registry;
          for (const file of kinds.files) {
            if (stopped || watchedConfigs.has(file)) continue;
            watchedConfigs.add(file);
            watchOne(file);
          }
        } catch (e) {
          if (!(e instanceof CliError)) throw e;
          io.stderr(`error: ${e.message}\n[watch] waiting for a change\n`);
          return;
        }
      }
      const r = await runCompile(specs, { ...options, ...(registry ? { registry } : {}) }, io);
      io.stdout(r.stdout);
      io.stderr(r.stderr);
      io.stdout(`[watch] ${r.exitCode === 0 ? 'ok' : `exit ${r.exitCode}`}; watching ${specs.length} spec${specs.length === 1 ? '' : 's'} (Ctrl-C to stop)\n`);
    });
  };
  const watchOne = (spec: string) => {
    const abs = path.resolve(io.cwd, spec);
    // Watch the folder: editors replace files by rename, which ends a watch on the file itself.
    try {
      const w = watch(path.dirname(abs), (_event, name) => {
        if (name !== null && name !== path.basename(abs)) return;
        clearTimeout(timer);
        timer = setTimeout(run, 100);
      });
      watchers.push(w);
    } catch (e) {
      io.stderr(`error: cannot watch ${spec}: ${(e as Error).message}\n`);
    }
  };
  for (const dir of new Set(specs)) watchOne(dir);
  run();
  await new Promise<void>((resolve) => {
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      for (const w of watchers) w.close();
      void running.then(resolve);
    };
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    if (!signal) process.once('SIGINT', stop);
  });
}

export const registerCompile: RegisterCommand = (program, io, setExit) => {
  program
    .command('compile')
    .description('generate typed TensorFlow.js code (model.ts, train.ts, index.ts) or, with --target torch, a PyTorch package from specs')
    .argument('<spec...>', 'spec files (YAML); use your shell for globs, e.g. specs/*.yaml')
    .option('-o, --out <dir>', 'output directory (default generated/, or generated/torch/ for --target torch)')
    .addOption(new Option('-t, --target <target>', 'what to generate: tfjs (TypeScript) or torch (a PyTorch package)').choices(TARGETS).default('tfjs'))
    .option('--check', 'write nothing; exit 1 when the output is stale or missing')
    .option('-w, --watch', 'recompile when a spec changes')
    .addOption(new Option('-f, --format <format>', 'diagnostics format').choices(FORMATS).default('pretty'))
    .addHelpText(
      'after',
      `
Each spec writes <out>/<kebab-name>/{model,train,index}.ts (--target torch:
<out>/<snake_name>/{__init__,model,train}.py). Unchanged files are not rewritten;
generated files the spec no longer produces are removed; a file without the generated header is
never overwritten.
Exit codes: 0 ok, 1 invalid spec or (--check) stale output, 2 usage/I/O error or a hand-written
file in the way.`,
    )
    .action(async (specs: string[], cliOptions: { out?: string; target: Target; check?: boolean; watch?: boolean; format: Format }, command: Command) => {
      if (cliOptions.watch) {
        // The config is read again on each run, so editing a plugin recompiles the specs.
        const reloadKinds = async () => {
          const kinds = await commandKinds(command, io);
          return { registry: kinds.registry, files: kinds.config?.files ?? [] };
        };
        await watchCompile(specs, { ...cliOptions, reloadKinds }, io);
        return;
      }
      const r = await runCompile(specs, { ...cliOptions, registry: (await commandKinds(command, io)).registry }, io);
      io.stdout(r.stdout);
      io.stderr(r.stderr);
      setExit(r.exitCode);
    });
};
