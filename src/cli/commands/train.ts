/**
 * `mtlc train <spec> [--data F] [--epochs N] [--batch-size N] [--backend B] [--out DIR]
 * [--resume] [--seed N] [--single-task T] [--init-from DIR] [--variant V]`: compiles the spec and
 * trains exactly what `mtlc compile` emits; with `--variant`, what it emits for that variant of
 * the checked model (src/model/variant.ts: independent, shared, split:<layer>, single-task:<task>). The generated files go to `.mtlc-cache/<kebab>/` in the
 * working directory, are transpiled TS -> ESM JS (`.mjs`) with the TypeScript bundled in
 * ts-morph, and imported; training runs through the `runTrainingCli` of the same `mtlc/runtime`
 * module instance the generated code imports (the cache points the generated imports at the
 * runtime and tfjs this CLI runs with; a one-line shim resolves the same), so layers, backend and
 * CrossStitch registration are shared. A missing tfjs (a peer dependency) is exit 3 with the
 * install command. Exit codes: 0, 1 invalid spec or bad
 * data, 2 usage/I/O, 3 backend or TensorFlow.js unavailable.
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileModel } from '../../api/compile.js';
import { validateSpecFile } from '../../api/validate.js';
import { formatPretty, type FileReport } from '../format/index.js';
import { CliError, ExitCode, useColor, type CliIO } from '../io.js';
import { applyVariant, parseVariant, VariantError } from '../../model/variant.js';
import { kebabCase } from '../../runtime/naming.js';
import type { CheckedModel } from '../../model/ir.js';
import { writeAtomic } from '../../runtime/files.js';
import { engineRefusal, flagArgv, FlagValueError, numericFlag, takes, TRAINING_FLAGS } from '../../runtime/train/flags.js';

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
import type { TrainingPlan } from '../../runtime/plan.js';
import type { LayerRegistry } from '../../layers/kind.js';
import { commandKinds } from '../config.js';
import type { RegisterCommand } from './index.js';
import type { TorchPackage } from '../../runtime/torch/index.js';
import { torchDiagnostics } from './compile.js';
import type { SpecDocument } from '../../spec/document.js';

export const CACHE_DIR = '.mtlc-cache';

interface GeneratedFile {
  path: string;
  content: string;
}

/** TS -> ESM JS; relative `./x.js` imports become `./x.mjs`. */
export async function transpileGenerated(source: string, fileName: string): Promise<string> {
  // Loaded lazily: TypeScript is large and only `train` needs it.
  const { ts } = await import('ts-morph');
  const out = ts.transpileModule(source, {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false, isolatedModules: true },
  }).outputText;
  return out.replace(/(from\s+['"])(\.\.?\/[^'"]+?)\.js(['"])/g, '$1$2.mjs$3').replace(/(import\(\s*['"])(\.\.?\/[^'"]+?)\.js(['"])/g, '$1$2.mjs$3');
}

/**
 * Plugin kinds' runtime classes are imported by absolute path (the config resolved them): a `.ts`
 * one is transpiled (on its own) into the cache, a `.js` one imported by file URL.
 */
async function pluginImportsInto(dir: string, js: string): Promise<string> {
  const absolute = [...js.matchAll(/(from\s+['"])(\/[^'"]+)(['"])/g)];
  for (const [, , file] of absolute) {
    let target = pathToFileURL(file!).href;
    if (/\.m?ts$/.test(file!)) {
      const source = await fs.readFile(file!, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new CliError(`cannot read the runtime layer module ${file}: ${e.code ?? e.message}`, ExitCode.usage);
      });
      const name = `plugin-${path.basename(file!).replace(/\.m?ts$/, '')}-${createHash('sha256').update(file!).digest('hex').slice(0, 8)}.mjs`;
      await writeAtomic(path.join(dir, name), await transpileGenerated(source, path.basename(file!)));
      target = `./${name}`;
    }
    await checkRuntimeClasses(file!, new URL(target, pathToFileURL(path.join(dir, 'model.mjs'))).href, js);
    js = js.split(`'${file}'`).join(`'${target}'`).split(`"${file}"`).join(`"${target}"`);
  }
  return js;
}

/**
 * A config's runtime class that is not exported by its module, or is not a layer class, is the
 * plugin's mistake: one error line naming the module and the export (it was an internal error
 * where the generated model imported or applied it).
 */
async function checkRuntimeClasses(file: string, url: string, js: string): Promise<void> {
  const names = [...js.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)]
    .filter((m) => m[2] === file)
    .flatMap((m) => m[1]!.split(',').map((n) => n.trim().split(/\s+as\s+/)[0]!).filter((n) => n !== ''));
  if (names.length === 0) return;
  const mod = (await peerRequired(() => import(url) as Promise<Record<string, unknown>>).catch((e: unknown) => {
    if (e instanceof CliError) throw e;
    throw new CliError(`the runtime layer module ${file} (a runtimeClass in your mtlc.config) failed to load: ${String((e as Error).message ?? e).split('\n')[0]}`, ExitCode.usage);
  })) as Record<string, unknown>;
  for (const name of names) {
    const cls = mod[name];
    if (typeof cls !== 'function' || typeof (cls.prototype as { apply?: unknown } | undefined)?.apply !== 'function') {
      const what = cls === undefined ? `has no export '${name}'` : `exports '${name}', which is not a TensorFlow.js layer class (extend tf.layers.Layer)`;
      throw new CliError(`the runtime layer module ${file} ${what}; it is the runtimeClass { module, exportName } of a kind in your mtlc.config`, ExitCode.usage);
    }
  }
}

/**
 * Generated code imports `mtlc/runtime/*` and `@tensorflow/tfjs` by package name. In the cache they
 * point at this CLI's own runtime files and at the tfjs that runtime resolves, so the layers and
 * kernels the runtime registers are those the generated model uses: one tfjs instance whatever the
 * layout (npm, pnpm, a global install, a folder linked with its own node_modules).
 */
function packageImports(): (js: string) => string {
  const here = fileURLToPath(import.meta.url);
  const ext = path.extname(here); // .js in dist, .ts when run from the sources
  const runtimeFile = (entry: string) => path.join(path.dirname(here), '..', '..', 'runtime', `${entry}${ext}`);
  const runtime = (entry: string) => pathToFileURL(runtimeFile(entry)).href;
  const tfjs = pathToFileURL(createRequire(runtimeFile('index')).resolve('@tensorflow/tfjs')).href;
  return (js) =>
    js
      .replace(/(['"])mtlc\/runtime(\/train)?\1/g, `'${runtime('index')}'`)
      .replace(/(['"])mtlc\/runtime\/model\1/g, `'${runtime('model')}'`)
      .replace(/(['"])@tensorflow\/tfjs\1/g, `'${tfjs}'`);
}

/** The TensorFlow.js version mtlc is built against (its peer dependency). */
function tfjsVersion(): string {
  const pkg = createRequire(import.meta.url)('../../../package.json') as { peerDependencies?: Record<string, string> };
  return pkg.peerDependencies?.['@tensorflow/tfjs'] ?? 'latest';
}

/**
 * Runs `load`; a TensorFlow.js package that cannot be found (tfjs is a peer dependency: the user's
 * project installs it beside mtlc) becomes an error that names it and the install command.
 */
function peerRequired<T>(load: () => T): T {
  const missing = (e: unknown): CliError | undefined => {
    const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
    const pkg = /['"](@tensorflow\/[a-z0-9-]+)['"]/.exec(String(message))?.[1];
    if (!pkg) return undefined;
    const version = tfjsVersion();
    return new CliError(
      `${pkg} is not installed. mtlc train runs the generated code on TensorFlow.js, a peer dependency your project installs beside mtlc:\n  npm i @tensorflow/tfjs@${version}    (pnpm add / yarn add @tensorflow/tfjs@${version})`,
      ExitCode.backendUnavailable,
    );
  };
  try {
    const result = load();
    if (result instanceof Promise) return result.catch((e: unknown) => Promise.reject(missing(e) ?? e)) as T;
    return result;
  } catch (e) {
    throw missing(e) ?? e;
  }
}

interface TrainingModule {
  runTrainingCli: (plan: unknown, build: unknown, argv: readonly string[], io?: unknown) => Promise<number>;
  runTorchTrainingCli: (plan: unknown, build: unknown, argv: readonly string[], io: unknown, pkg: TorchPackage) => Promise<number>;
}

export type Engine = 'tfjs' | 'torch';

/**
 * The generated PyTorch package of a model, written (when changed) to
 * `.mtlc-cache/<kebab>/torch-<hash>/<package>/`; located problems (a layer kind without a torch
 * lowering) are printed like validation errors.
 */
async function torchPackageFor(model: CheckedModel, specPath: string, text: string | undefined, document: SpecDocument | undefined, registry: LayerRegistry | undefined, io: CliIO): Promise<TorchPackage | number> {
  const { emitTorch } = await import('../../targets/torch/index.js');
  const { defaultRegistry } = await import('../../api/registry.js');
  const { files, problems } = emitTorch(model, registry ?? defaultRegistry(), { specPath });
  if (problems.length > 0) {
    io.stderr(formatPretty([{ file: specPath, ...(text !== undefined ? { text } : {}), diagnostics: torchDiagnostics(problems, specPath, document) }], { color: useColor(io) }));
    return ExitCode.invalid;
  }
  const hash = createHash('sha256').update(files.map((f) => `${f.path}\0${f.content}`).join('\0')).digest('hex').slice(0, 12);
  const root = path.join(io.cwd, CACHE_DIR, path.basename(specPath).replace(/\.[^.]*$/, ''), `torch-${hash}`);
  for (const f of files) {
    const file = path.join(root, ...f.path.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    if (!existsSync(file)) await writeAtomic(file, f.content);
  }
  return { root, name: files[0]!.path.split('/')[0]! };
}

/** The checked model as `variant` builds it; a bad variant string is a usage error (exit 2). */
export function variantModel(model: CheckedModel, variant: string): CheckedModel {
  try {
    return applyVariant(model, parseVariant(variant, model));
  } catch (e) {
    if (e instanceof VariantError) throw new CliError(`--variant: ${e.message}`, ExitCode.usage);
    throw e;
  }
}

export async function trainSpec(specPath: string, argv: readonly string[], io: CliIO, variant?: string, registry?: LayerRegistry, engine: Engine = 'tfjs'): Promise<number> {
  const abs = path.resolve(io.cwd, specPath);
  const checked = validateSpecFile(abs, specPath, registry);
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (!checked.model || errors.length > 0) {
    const report: FileReport = { file: specPath, ...(checked.text !== undefined ? { text: checked.text } : {}), diagnostics: checked.diagnostics };
    io.stderr(formatPretty([report], { color: useColor(io) }));
    return checked.diagnostics.some((d) => d.code === 'io-error') ? ExitCode.usage : ExitCode.invalid;
  }
  let model = checked.model;
  if (variant !== undefined) {
    const single = argv.indexOf('--single-task');
    model = variantModel(checked.model, variant);
    if (single >= 0 && `single-task:${argv[single + 1]}` !== variant) {
      throw new CliError(`--single-task ${argv[single + 1]} and --variant ${variant} disagree; give one of them`, ExitCode.usage);
    }
    // Each baseline gets its own default run folder (runs/<name>-<variant>/), so training them one
    // after another does not run into the spec's own run.
    if (!argv.some((a) => a === '--out' || a.startsWith('--out='))) {
      argv = [...argv, '--out', path.join('runs', `${kebabCase(model.name)}-${variant.replace(/[^A-Za-z0-9-]+/g, '-')}`)];
    }
  }
  const compiled = compileModel(model, { specPath, ...(registry ? { registry } : {}) }, { diagnostics: [], ...(checked.document ? { document: checked.document } : {}) });
  if (compiled.diagnostics.length > 0) {
    // A kind without a TensorFlow.js lowering (the torch engine builds the tfjs model too).
    io.stderr(formatPretty([{ file: specPath, ...(checked.text !== undefined ? { text: checked.text } : {}), diagnostics: compiled.diagnostics }], { color: useColor(io) }));
    return ExitCode.invalid;
  }
  const { files } = compiled;
  if (engine === 'torch') {
    const pkg = await torchPackageFor(model, specPath, checked.text, checked.document, registry, io);
    if (typeof pkg === 'number') return pkg;
    return runGenerated(files, abs, model.name, argv, io, pkg);
  }
  return runGenerated(files, abs, model.name, argv, io, undefined, specLocator(model, specPath, checked.document));
}

/** `file:line:col` of a model layer (`<task>_<layer>`) or junction (its layer name) in the spec. */
function specLocator(model: CheckedModel, specPath: string, document: SpecDocument | undefined): (layerName: string) => string | undefined {
  const pointers = new Map<string, string>();
  for (const t of model.towers) for (const l of t.layers) pointers.set(l.layerName, l.pointer);
  for (const j of model.junctions) pointers.set(j.layerName, j.pointer);
  return (layerName) => {
    const pointer = pointers.get(layerName);
    const at = pointer !== undefined ? document?.locate(pointer) : undefined;
    return at ? `${specPath}:${at.line}:${at.column}` : undefined;
  };
}

/**
 * Writes generated files to `.mtlc-cache/<kebab>/<hash>/` under `io.cwd`, transpiles and imports
 * them, and trains through `runTrainingCli` (resolved the way the generated code resolves
 * `mtlc/runtime`). `specFile` is absolute: the spec's data paths are relative to it.
 */
export async function runGenerated(
  files: readonly GeneratedFile[],
  specFile: string,
  modelName: string,
  argv: readonly string[],
  io: CliIO,
  torch?: TorchPackage,
  locate?: (layerName: string) => string | undefined,
): Promise<number> {
  const specPath = path.relative(io.cwd, specFile) || specFile;
  const abs = specFile;
  const ts = files.filter((f) => f.path.endsWith('.ts'));
  const trainFile = ts.find((f) => path.basename(f.path) === 'train.ts');
  const modelFile = ts.find((f) => path.basename(f.path) === 'model.ts');
  if (!trainFile || !modelFile) throw new CliError(`the code generator did not emit train.ts and model.ts for ${specPath}`, ExitCode.usage);
  const kebab = path.basename(path.dirname(trainFile.path)) || 'model';
  const hash = createHash('sha256').update(ts.map((f) => f.content).join('\0')).digest('hex').slice(0, 12);
  const dir = path.join(io.cwd, CACHE_DIR, kebab, hash);
  await fs.mkdir(dir, { recursive: true });
  const toPackages = peerRequired(packageImports);
  for (const f of ts) {
    const name = path.basename(f.path).replace(/\.ts$/, '.mjs');
    await writeAtomic(path.join(dir, name), toPackages(await pluginImportsInto(dir, await transpileGenerated(f.content, path.basename(f.path)))));
  }
  await writeAtomic(path.join(dir, 'runtime-shim.mjs'), toPackages("export { runTrainingCli, runTorchTrainingCli } from 'mtlc/runtime';\n"));
  const load = (file: string) => peerRequired(() => import(pathToFileURL(path.join(dir, file)).href) as Promise<Record<string, unknown>>);
  const train = await load('train.mjs');
  const model = await load('model.mjs');
  const { runTrainingCli, runTorchTrainingCli } = (await load('runtime-shim.mjs')) as unknown as TrainingModule;
  const plan = Object.values(train).find((v) => typeof v === 'object' && v !== null && 'modelName' in v && 'tasks' in v);
  const build = model[`build${modelName}`] ?? Object.entries(model).find(([k, v]) => k.startsWith('build') && typeof v === 'function')?.[1];
  if (!plan || typeof build !== 'function') throw new CliError(`generated code for ${specPath} lacks the training plan or build${modelName}()`, ExitCode.usage);
  // The spec's data paths are relative to the spec file.
  const specDir = path.dirname(abs);
  const p = plan as TrainingPlan;
  const resolved: TrainingPlan =
    p.data.format === 'multimnist'
      ? p
      : { ...p, data: { ...p.data, path: path.resolve(specDir, p.data.path), ...(p.data.testPath ? { testPath: path.resolve(specDir, p.data.testPath) } : {}) } };
  const cliIO = { stdout: io.stdout, stderr: io.stderr, isTTY: io.isTTY, cwd: io.cwd, ...(locate ? { locate } : {}) };
  if (torch) return runTorchTrainingCli(resolved, build, argv, cliIO, torch);
  return runTrainingCli(resolved, build, argv, cliIO);
}

export const registerTrain: RegisterCommand = (program, io, setExit) => {
  const command = program
    .command('train')
    .description('compile a spec and train it (defaults from its training: section)')
    .argument('<spec>', 'the spec file');
  // The training flags of both engines (declared once, in the runtime), passed through; the
  // engine refuses the other's (--nproc without --engine torch is refused here, before compiling).
  for (const f of TRAINING_FLAGS) {
    const only = f.engines?.length === 1 ? `--engine ${f.engines[0]}: ` : '';
    command.option(`--${f.name}${f.value ? ` <${f.value.toLowerCase()}${f.multiple ? '...' : ''}>` : ''}`, `${only}${f.description}${f.cliDefaultText ? ` (default ${f.cliDefaultText})` : ''}`);
  }
  command
    .option('--variant <variant>', 'cross-stitch | independent | shared | split:<layer> | single-task:<task> (baselines from the same spec)')
    .option('--engine <engine>', 'tfjs (default) | torch (PyTorch under torchrun; see --nproc, --python)')
    .action(async (spec: string, opts: Record<string, string | boolean | string[] | undefined>, command: Command) => {
      // Numeric flags are checked before the spec is compiled, as both engines check them.
      for (const f of TRAINING_FLAGS) {
        const given = opts[camel(f.name)];
        if (!f.range || typeof given !== 'string') continue;
        try {
          numericFlag(f.name, given);
        } catch (e) {
          if (e instanceof FlagValueError) throw new CliError(e.message, ExitCode.usage);
          throw e;
        }
      }
      const { registry } = await commandKinds(command, io);
      const argv = flagArgv(opts);
      const engine = opts['engine'] ?? 'tfjs';
      if (engine !== 'tfjs' && engine !== 'torch') throw new CliError(`--engine: expected tfjs or torch, got '${String(engine)}'`, ExitCode.usage);
      if (engine === 'tfjs') {
        const torchOnly = TRAINING_FLAGS.find((f) => !takes(f, 'tfjs') && opts[camel(f.name)] !== undefined);
        if (torchOnly) throw new CliError(engineRefusal(torchOnly, 'tfjs'), ExitCode.usage);
      }
      setExit(await trainSpec(spec, argv, io, typeof opts['variant'] === 'string' ? opts['variant'] : undefined, registry, engine));
    });
};
