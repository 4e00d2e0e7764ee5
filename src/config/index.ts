/**
 * Project configuration (`mtlc.config.ts` / `.mts` / `.js` / `.mjs` / `.json`): where a user's
 * layer-kind and junction-kind plugins come from. Found from the working directory upward, stopping
 * at the package or repository root; a `.ts` config is transpiled with the TypeScript that ts-morph
 * bundles (no extra dependency) into a temporary `.mjs` beside it, so its relative imports and
 * package imports resolve as they would for the config itself (relatively imported `.ts` files
 * are transpiled the same way). Every problem is a `ConfigError`
 * that names the file.
 */
import { existsSync, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtinJunctionKinds } from '../junctions/index.js';
import { defineJunctionKind, type JunctionKind } from '../junctions/kind.js';
import { createLayerRegistry, builtinLayerKinds } from '../layers/index.js';
import { defineLayerKind, type LayerKind, type LayerRegistry } from '../layers/kind.js';
import { compiledSchema } from '../spec/validate-schema.js';

/** What a config file exports (as its default export). */
export interface MtlcConfig {
  /** Extra layer kinds, defined with `defineLayerKind` like the built-in ones. */
  readonly layerKinds?: readonly LayerKind[];
  /** Extra junction kinds (a spec picks one with `kind:` on an entry of `crossStitch:`), defined with `defineJunctionKind`. */
  readonly junctionKinds?: readonly JunctionKind[];
  /** Modules (relative to the config, or package names) whose default export is an `MtlcConfig`. */
  readonly plugins?: readonly string[];
}

/** Identity helper that types a config file's default export. */
export function defineConfig(config: MtlcConfig): MtlcConfig {
  return config;
}

/** A config as loaded: its file, the kinds it adds and every file it was read from (for watching). */
export interface LoadedConfig {
  readonly file: string;
  readonly layerKinds: readonly LayerKind[];
  readonly junctionKinds: readonly JunctionKind[];
  readonly files: readonly string[];
}

/** A problem with a config file or one of its plugins; the message starts with the file. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Config file names, in the order they are looked for in each folder. */
export const CONFIG_FILES = ['mtlc.config.ts', 'mtlc.config.mts', 'mtlc.config.js', 'mtlc.config.mjs', 'mtlc.config.json'] as const;

/**
 * The config file for `cwd`: the first of `CONFIG_FILES` in `cwd` or a parent folder. The search
 * ends at the first folder holding `package.json` or `.git` (the project root) or at `/`.
 */
export function findConfigFile(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    for (const name of CONFIG_FILES) {
      const file = path.join(dir, name);
      if (existsSync(file)) return file;
    }
    if (existsSync(path.join(dir, 'package.json')) || existsSync(path.join(dir, '.git'))) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface ConfigOptions {
  /** A config file (relative to `cwd`) instead of searching; `false`: no config at all. */
  readonly configFile?: string | false;
}

/** The project's config for `cwd` (searched, or `options.configFile`), or undefined when none. */
export async function loadProjectConfig(cwd: string, options: ConfigOptions = {}): Promise<LoadedConfig | undefined> {
  if (options.configFile === false) return undefined;
  const file = options.configFile !== undefined ? path.resolve(cwd, options.configFile) : findConfigFile(cwd);
  if (file === undefined) return undefined;
  if (!existsSync(file)) throw new ConfigError(options.configFile || file, 'config file not found');
  return loadConfigFile(file);
}

/** Loads one config file and its plugins; the kinds are checked (not yet against the built-ins). */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  const files: string[] = [];
  const { layerKinds, junctionKinds } = await loadInto(path.resolve(file), files, []);
  return { file: path.resolve(file), layerKinds, junctionKinds, files };
}

/**
 * The registry for a loaded config: the built-in kinds, then the config's. A kind clashing with a
 * built-in or another plugin's kind, or with a schema fragment ajv cannot compile, is a ConfigError.
 */
export function configRegistry(config: LoadedConfig | undefined): LayerRegistry {
  if (!config || config.layerKinds.length + config.junctionKinds.length === 0) return createLayerRegistry();
  const unique = (what: string, names: readonly string[], builtins: readonly string[], property: string) => {
    const seen = new Set<string>();
    for (const name of names) {
      if (builtins.includes(name)) throw new ConfigError(config.file, `${what} "${name}" clashes with the built-in kind of that name; choose another ${property}`);
      if (seen.has(name)) throw new ConfigError(config.file, `${what} "${name}" is defined twice`);
      seen.add(name);
    }
  };
  unique('layer kind', config.layerKinds.map((k) => k.type), builtinLayerKinds.map((k) => k.type), 'type');
  unique('junction kind', config.junctionKinds.map((k) => k.kind), builtinJunctionKinds.map((k) => k.kind), 'kind');
  const registry = createLayerRegistry(config.layerKinds, config.junctionKinds);
  try {
    compiledSchema(registry);
  } catch (e) {
    throw new ConfigError(config.file, `a kind's schema fragment is not valid JSON Schema: ${(e as Error).message}`);
  }
  return registry;
}

async function loadInto(file: string, files: string[], chain: readonly string[]): Promise<{ layerKinds: LayerKind[]; junctionKinds: JunctionKind[] }> {
  if (chain.includes(file)) throw new ConfigError(file, `plugins include each other (${[...chain, file].map((f) => path.basename(f)).join(' -> ')})`);
  files.push(file);
  const config = await importConfig(file, files);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConfigError(file, `the default export must be a config object (defineConfig({ layerKinds: [...] })), got ${describe(config)}`);
  }
  const { layerKinds, junctionKinds, plugins, ...rest } = config as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ConfigError(file, `unknown config key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (expected layerKinds, junctionKinds, plugins)`);
  const kinds = { layerKinds: [] as LayerKind[], junctionKinds: [] as JunctionKind[] };
  if (plugins !== undefined) {
    if (!Array.isArray(plugins) || !plugins.every((p) => typeof p === 'string')) throw new ConfigError(file, 'plugins must be an array of module specifiers');
    for (const specifier of plugins as string[]) {
      const plugin = await loadInto(resolveModule(specifier, file), files, [...chain, file]);
      kinds.layerKinds.push(...plugin.layerKinds);
      kinds.junctionKinds.push(...plugin.junctionKinds);
    }
  }
  if (layerKinds !== undefined) {
    if (!Array.isArray(layerKinds)) throw new ConfigError(file, `layerKinds must be an array of layer kinds, got ${describe(layerKinds)}`);
    layerKinds.forEach((kind, i) => kinds.layerKinds.push(checkKind(kind, i, file)));
  }
  if (junctionKinds !== undefined) {
    if (!Array.isArray(junctionKinds)) throw new ConfigError(file, `junctionKinds must be an array of junction kinds, got ${describe(junctionKinds)}`);
    junctionKinds.forEach((kind, i) => kinds.junctionKinds.push(checkJunctionKind(kind, i, file)));
  }
  return kinds;
}

/** Reads the config's default export (for JSON: the parsed object). */
async function importConfig(file: string, watched?: string[]): Promise<unknown> {
  const ext = path.extname(file);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (ext === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new ConfigError(file, `invalid JSON: ${(e as Error).message}`);
    }
  }
  let target = file;
  const temporaries = new Map<string, string>(); // .ts source -> its transpiled .mjs
  try {
    if (ext === '.ts' || ext === '.mts') target = await transpileTree(file, text, temporaries);
    for (const source of temporaries.keys()) if (source !== file) watched?.push(source);
    const stat = await fs.stat(file);
    // The query makes an edited config load afresh (the vite plugin reloads it).
    const mod = (await import(`${pathToFileURL(target).href}?mtime=${stat.mtimeMs}`)) as { default?: unknown };
    if (!('default' in mod)) throw new ConfigError(file, 'has no default export (export default defineConfig({ layerKinds: [...] }))');
    return mod.default;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(file, `failed to load: ${(e as Error)?.message ?? String(e)}`);
  } finally {
    await Promise.all([...temporaries.values()].map((t) => fs.rm(t, { force: true })));
  }
}

/**
 * Transpiles a .ts module to a temporary .mjs beside it (so package and relative imports resolve
 * as for the source), and likewise the .ts files it imports relatively (`./kinds.js` naming
 * `kinds.ts`, or `./kinds.ts`), rewriting those imports. Returns the temporary file.
 */
async function transpileTree(file: string, text: string, done: Map<string, string>): Promise<string> {
  const { ts } = await import('ts-morph');
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.${counter++}.mjs`);
  done.set(file, temporary);
  const out = ts.transpileModule(text, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true, verbatimModuleSyntax: false },
  });
  const syntax = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (syntax) {
    const where = syntax.file && syntax.start !== undefined ? syntax.file.getLineAndCharacterOfPosition(syntax.start) : undefined;
    throw new ConfigError(`${file}${where ? `:${where.line + 1}:${where.character + 1}` : ''}`, ts.flattenDiagnosticMessageText(syntax.messageText, '\n'));
  }
  let js = out.outputText;
  const specifiers = new Set([...js.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?\/[^'"]+)\1/g)].map((m) => m[2]!));
  for (const specifier of specifiers) {
    const abs = path.resolve(path.dirname(file), specifier);
    const source = /\.m?ts$/.test(abs) ? abs : !existsSync(abs) ? [abs.replace(/\.js$/, '.ts'), abs.replace(/\.mjs$/, '.mts')].find((c) => c !== abs && existsSync(c)) : undefined;
    if (source === undefined || !existsSync(source)) continue;
    const compiled = done.get(source) ?? (await transpileTree(source, await fs.readFile(source, 'utf8'), done));
    let rel = path.relative(path.dirname(file), compiled).split(path.sep).join('/');
    if (!rel.startsWith('../')) rel = `./${rel}`;
    js = js.split(`'${specifier}'`).join(`'${rel}'`).split(`"${specifier}"`).join(`"${rel}"`);
  }
  await fs.writeFile(temporary, js);
  return temporary;
}
let counter = 0;

/** A module specifier from `from`: relative ones become absolute files (`.js` may name a `.ts`). */
function resolveModule(specifier: string, from: string): string {
  if (specifier.startsWith('./') || specifier.startsWith('../') || path.isAbsolute(specifier)) {
    const abs = path.resolve(path.dirname(from), specifier);
    for (const candidate of [abs, abs.replace(/\.js$/, '.ts'), abs.replace(/\.mjs$/, '.mts')]) if (existsSync(candidate)) return candidate;
    throw new ConfigError(from, `module ${JSON.stringify(specifier)} not found (looked for ${abs})`);
  }
  try {
    return createRequire(from).resolve(specifier);
  } catch (e) {
    throw new ConfigError(from, `cannot resolve module ${JSON.stringify(specifier)}: ${(e as Error).message.split('\n')[0]}`);
  }
}

const FUNCTIONS = ['outputShape', 'paramCount'] as const;

/** Checks a plugin's kind has the LayerKind shape; relative runtime modules become absolute files. */
function checkKind(value: unknown, index: number, file: string): LayerKind {
  const where = `layerKinds[${index}]`;
  if (typeof value !== 'object' || value === null) throw new ConfigError(file, `${where} must be a layer kind (defineLayerKind({...})), got ${describe(value)}`);
  const kind = value as Partial<Record<keyof LayerKind | 'emit' | 'runtimeClass', unknown>>;
  const name = typeof kind.type === 'string' ? `${where} ("${kind.type}")` : where;
  if (typeof kind.type !== 'string') throw new ConfigError(file, `${where}.type must be a string`);
  if (typeof kind.description !== 'string' || kind.description.trim() === '') throw new ConfigError(file, `${name}.description must be a sentence (it becomes the schema's description)`);
  if (typeof kind.properties !== 'object' || kind.properties === null || Array.isArray(kind.properties)) throw new ConfigError(file, `${name}.properties must be an object of JSON Schemas`);
  if (kind.required !== undefined && (!Array.isArray(kind.required) || !kind.required.every((r) => typeof r === 'string'))) throw new ConfigError(file, `${name}.required must be an array of property names`);
  for (const required of (kind.required as string[] | undefined) ?? []) {
    if (!(required in (kind.properties as object))) throw new ConfigError(file, `${name}.required names "${required}", which is not in its properties`);
  }
  for (const fn of FUNCTIONS) if (typeof kind[fn] !== 'function') throw new ConfigError(file, `${name}.${fn} must be a function`);
  for (const moved of ['emit', 'runtimeClass'] as const) {
    if (kind[moved] !== undefined) throw new ConfigError(file, `${name}.${moved}: a kind's TensorFlow.js code goes in its lowering now: lowerings: { tfjs: { emit, runtimeClass } }`);
  }
  const lowerings = checkLowerings(kind.lowerings, name, file, (tfjs, at) => {
    if (typeof tfjs['emit'] !== 'function') throw new ConfigError(file, `${at}.emit must be a function (it returns the TypeScript expression constructing the layer)`);
    const runtimeClass = tfjs['runtimeClass'] !== undefined ? { runtimeClass: checkRuntimeClass(tfjs['runtimeClass'], `${at}.runtimeClass`, file) } : {};
    return Object.assign(Object.create(Object.getPrototypeOf(tfjs) as object) as object, tfjs, runtimeClass);
  });
  try {
    // Own properties and prototype methods both survive (a kind may be a class instance).
    const checked = Object.assign(Object.create(Object.getPrototypeOf(kind) as object) as LayerKind, kind, lowerings ? { lowerings } : {});
    return defineLayerKind(checked);
  } catch (e) {
    throw new ConfigError(file, `${name}: ${(e as Error).message}`);
  }
}

/** Checks a plugin's junction kind has the JunctionKind shape and a tfjs runtime class; relative modules become absolute files. */
function checkJunctionKind(value: unknown, index: number, file: string): JunctionKind {
  const where = `junctionKinds[${index}]`;
  if (typeof value !== 'object' || value === null) throw new ConfigError(file, `${where} must be a junction kind (defineJunctionKind({...})), got ${describe(value)}`);
  const kind = value as Partial<Record<keyof JunctionKind | 'runtimeClass', unknown>>;
  const name = typeof kind.kind === 'string' ? `${where} ("${kind.kind}")` : where;
  if (typeof kind.kind !== 'string') throw new ConfigError(file, `${where}.kind must be a string (the spec's kind: value)`);
  if (typeof kind.description !== 'string' || kind.description.trim() === '') throw new ConfigError(file, `${name}.description must be a sentence (it becomes the schema's description)`);
  if (typeof kind.properties !== 'object' || kind.properties === null || Array.isArray(kind.properties)) throw new ConfigError(file, `${name}.properties must be an object of JSON Schemas`);
  if (kind.required !== undefined && (!Array.isArray(kind.required) || !kind.required.every((r) => typeof r === 'string'))) throw new ConfigError(file, `${name}.required must be an array of property names`);
  for (const required of (kind.required as string[] | undefined) ?? []) {
    if (!(required in (kind.properties as object))) throw new ConfigError(file, `${name}.required names "${required}", which is not in its properties`);
  }
  for (const fn of ['check', 'label'] as const) if (typeof kind[fn] !== 'function') throw new ConfigError(file, `${name}.${fn} must be a function`);
  if (kind.runtimeClass !== undefined) throw new ConfigError(file, `${name}.runtimeClass: a kind's TensorFlow.js class goes in its lowering: lowerings: { tfjs: { runtimeClass } }`);
  const lowerings = checkLowerings(kind.lowerings, name, file, (tfjs, at) => {
    if (tfjs['runtimeClass'] === undefined) throw new ConfigError(file, `${at}.runtimeClass is required: the junction's runtime layer class ({ module, exportName })`);
    return { runtimeClass: checkRuntimeClass(tfjs['runtimeClass'], `${at}.runtimeClass`, file) };
  });
  try {
    const checked = Object.assign(Object.create(Object.getPrototypeOf(kind) as object) as JunctionKind, kind, lowerings ? { lowerings } : {});
    return defineJunctionKind(checked);
  } catch (e) {
    throw new ConfigError(file, `${name}: ${(e as Error).message}`);
  }
}

/** Targets a plugin's kind can bring a lowering for (the torch target lowers the built-in kinds only). */
const PLUGIN_TARGETS = ['tfjs'] as const;

/** A kind's `lowerings`: an object with a lowering per known target, each checked by `tfjs`. */
function checkLowerings<T>(value: unknown, name: string, file: string, tfjs: (lowering: Record<string, unknown>, at: string) => T): { tfjs?: T } | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(file, `${name}.lowerings must be an object with a lowering per target (${PLUGIN_TARGETS.join(', ')}), got ${describe(value)}`);
  const unknown = Object.keys(value).filter((k) => !(PLUGIN_TARGETS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new ConfigError(file, `${name}.lowerings.${unknown[0]}: a plugin kind can bring a lowering for ${PLUGIN_TARGETS.join(', ')}${unknown[0] === 'torch' ? ' (the torch target lowers the built-in kinds only)' : ''}`);
  }
  const lowering = (value as Record<string, unknown>)['tfjs'];
  if (lowering === undefined) return {};
  if (typeof lowering !== 'object' || lowering === null || Array.isArray(lowering)) throw new ConfigError(file, `${name}.lowerings.tfjs must be an object, got ${describe(lowering)}`);
  return { tfjs: tfjs(lowering as Record<string, unknown>, `${name}.lowerings.tfjs`) };
}

/** `{ module, exportName }`; a relative module is resolved against the config file that lists it. */
function checkRuntimeClass(value: unknown, at: string, file: string): { module: string; exportName: string } {
  const rc = value as { module?: unknown; exportName?: unknown } | null;
  if (typeof rc !== 'object' || rc === null || typeof rc.module !== 'string' || typeof rc.exportName !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(rc.exportName)) {
    throw new ConfigError(file, `${at} must be { module: string, exportName: identifier }`);
  }
  const module = rc.module.startsWith('./') || rc.module.startsWith('../') || path.isAbsolute(rc.module) ? resolveModule(rc.module, file) : rc.module;
  return { module, exportName: rc.exportName };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 40)}`;
}
