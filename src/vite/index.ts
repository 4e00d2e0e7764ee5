/**
 * `mtlc/vite`: a Vite (and so Vitest) plugin that compiles `*.mtl.yaml` specs on import:
 *
 *     import { buildFace } from './face.mtl.yaml';
 *
 * The spec module re-exports two parts, `<spec>?mtlc-part=model` and `?mtlc-part=train`: the
 * `model.ts` and `train.ts` that `mtlc compile` would write, transpiled to JavaScript. Layer
 * kinds come from the project's `mtlc.config.*` (or `layerKinds`). A spec error is a Vite error
 * located at the first problem (`loc.line` 1-based, `loc.column` 0-based as in Rollup) with the
 * CLI's code frame of every problem. Editing the spec or the config reloads the modules (HMR).
 * With `dts: true` a declaration `<name>.mtl.d.yaml.ts` is written beside each spec, so
 * TypeScript (with `allowArbitraryExtensions`) knows what the import exports.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ModuleNode, Plugin } from 'vite';
import { compileSpec, type CompileResult } from '../api/compile.js';
import { writeAtomic } from '../runtime/files.js';
import { formatPretty } from '../cli/format/index.js';
import { configRegistry, ConfigError, loadProjectConfig, type LoadedConfig } from '../config/index.js';
import type { JunctionKind } from '../junctions/kind.js';
import type { LayerKind, LayerRegistry } from '../layers/kind.js';
import { createLayerRegistry } from '../layers/index.js';
import { hasErrors } from '../spec/diagnostic.js';

export interface MtlcViteOptions {
  /** Which imports are specs (default: files ending in `.mtl.yaml` or `.mtl.yml`). */
  readonly include?: RegExp;
  /** Extra layer kinds; when given (or junctionKinds), no config file is read. */
  readonly layerKinds?: readonly LayerKind[];
  /** Extra junction kinds; when given (or layerKinds), no config file is read. */
  readonly junctionKinds?: readonly JunctionKind[];
  /** A config file (relative to Vite's root) instead of searching from the root; `false`: none. */
  readonly configFile?: string | false;
  /** Write `<name>.mtl.d.yaml.ts` declarations beside the specs (default false). */
  readonly dts?: boolean;
}

const PART = 'mtlc-part';
const PARTS = ['model', 'train'] as const;
type Part = (typeof PARTS)[number];

/** Splits a module id into the spec file and the part it asks for (none: the spec module). */
function parseId(id: string): { file: string; part?: Part } {
  const q = id.indexOf('?');
  if (q < 0) return { file: id };
  const part = new URLSearchParams(id.slice(q + 1)).get(PART);
  return { file: id.slice(0, q), ...(part === 'model' || part === 'train' ? { part } : {}) };
}

const partId = (file: string, part: Part): string => `${file}?${PART}=${part}`;

export function mtlc(options: MtlcViteOptions = {}): Plugin {
  const include = options.include ?? /\.mtl\.ya?ml$/;
  let root = process.cwd();
  let kinds: Promise<{ registry: LayerRegistry; config?: LoadedConfig }> | undefined;
  const compiled = new Map<string, { text: string; result: CompileResult }>();
  let ts: typeof import('ts-morph').ts | undefined;
  let configFiles: readonly string[] = [];

  const loadKinds = () => {
    kinds ??= (async () => {
      if (options.layerKinds || options.junctionKinds) return { registry: createLayerRegistry(options.layerKinds, options.junctionKinds) };
      const config = await loadProjectConfig(root, options.configFile !== undefined ? { configFile: options.configFile } : {});
      configFiles = config?.files ?? [];
      return { registry: configRegistry(config), ...(config ? { config } : {}) };
    })();
    return kinds;
  };

  /** Compiles the spec's current text (cached by text, so an edit recompiles). */
  async function compile(file: string): Promise<CompileResult & { text: string; config?: LoadedConfig }> {
    const text = await fs.readFile(file, 'utf8');
    const { registry, config } = await loadKinds();
    const hit = compiled.get(file);
    if (hit && hit.text === text) return { ...hit.result, text, ...(config ? { config } : {}) };
    const specPath = path.relative(root, file).split(path.sep).join('/') || path.basename(file);
    const result = compileSpec(text, specPath, { registry });
    compiled.set(file, { text, result });
    return { ...result, text, ...(config ? { config } : {}) };
  }

  const fileOf = (result: CompileResult, part: Part) => result.files.find((f) => f.path.endsWith(`/${part}.ts`));

  return {
    name: 'mtlc',
    enforce: 'pre',
    configResolved(config) {
      root = config.root;
    },
    resolveId(id) {
      const { file, part } = parseId(id);
      return part && include.test(file) && path.isAbsolute(file) ? id : null;
    },
    async load(id) {
      const { file, part } = parseId(id);
      if (!include.test(file)) return null;
      let result: Awaited<ReturnType<typeof compile>>;
      try {
        result = await compile(file);
      } catch (e) {
        if (e instanceof ConfigError) this.error(`mtlc config ${e.message}`);
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') this.error(`mtlc: cannot read ${file}`);
        throw e;
      }
      for (const f of result.config?.files ?? []) this.addWatchFile(f);
      if (hasErrors(result.diagnostics)) {
        const shown = path.relative(root, file).split(path.sep).join('/');
        const errors = result.diagnostics.filter((d) => d.severity === 'error');
        const first = errors[0]!;
        const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
        this.error({
          message: `${shown}:${first.line}:${first.column}: ${first.message} [${first.code}]${more}`,
          id: file,
          loc: { file, line: first.line, column: first.column - 1 },
          frame: formatPretty([{ file: shown, text: result.text, diagnostics: result.diagnostics }], { color: false }),
        });
      }
      if (!part) {
        if (options.dts) await writeDeclaration(file, result);
        return PARTS.map((p) => `export * from ${JSON.stringify(partId(file, p))};`).join('\n') + '\n';
      }
      const source = fileOf(result, part);
      if (!source) this.error(`mtlc: the compiler emitted no ${part}.ts for ${file}`);
      ts ??= (await import('ts-morph')).ts;
      const js = ts.transpileModule(source.content, {
        fileName: `${part}.ts`,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true, verbatimModuleSyntax: false },
      }).outputText;
      // The parts import each other as ./model.js / ./train.js: point those at the sibling part.
      return js.replace(/(from\s+)(['"])\.\/(model|train)\.js\2/g, (_m, from: string, _q, p: Part) => `${from}${JSON.stringify(partId(file, p))}`);
    },
    handleHotUpdate({ file, server, modules }) {
      const specModules = (): ModuleNode[] =>
        [...server.moduleGraph.idToModuleMap.values()].filter((m) => m.id !== null && include.test(parseId(m.id).file));
      if (include.test(file)) {
        compiled.delete(file);
        return [...new Set([...modules, ...(server.moduleGraph.getModulesByFile(file) ?? [])])];
      }
      if (!options.layerKinds && !options.junctionKinds && isConfigFile(file)) {
        // A plugin's kinds changed: reload them and every compiled spec.
        kinds = undefined;
        compiled.clear();
        return [...new Set([...modules, ...specModules()])];
      }
      return undefined;
    },
  };

  /** The loaded config or one of its plugins, or a config file that may now be found. */
  function isConfigFile(file: string): boolean {
    return configFiles.includes(file) || /(^|[\\/])mtlc\.config\.(ts|mts|js|mjs|json)$/.test(file);
  }
}

/**
 * Writes `<name>.mtl.d.yaml.ts` (what `import './<name>.mtl.yaml'` exports, for TypeScript with
 * `allowArbitraryExtensions`), from the generated code's declarations; unchanged text is not
 * rewritten.
 */
async function writeDeclaration(file: string, result: CompileResult): Promise<void> {
  const { ts } = await import('ts-morph');
  const parts = PARTS.map((part) => result.files.find((f) => f.path.endsWith(`/${part}.ts`))!);
  const declarations = parts.map(
    (f) => ts.transpileDeclaration(f.content, { fileName: path.basename(f.path), compilerOptions: { module: ts.ModuleKind.NodeNext, strict: true } }).outputText,
  );
  const header = parts[0]!.content.slice(0, parts[0]!.content.indexOf('\n\n') + 1);
  const body = declarations
    .map((d) => d.replace(/^import .* from '\.\/(model|train)\.js';\n/gm, ''))
    .join('\n');
  const ext = path.extname(file);
  const target = path.join(path.dirname(file), `${path.basename(file, ext)}.d${ext}.ts`);
  const content = `${header}\n${body}`;
  const existing = await fs.readFile(target, 'utf8').catch(() => undefined);
  if (existing !== content) await writeAtomic(target, content);
}

export default mtlc;
