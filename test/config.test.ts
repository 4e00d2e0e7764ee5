/**
 * mtlc.config.* discovery and loading (src/config/) and the CLI's --config / --no-config: every
 * mistake in a config is one line naming the file (exit 2), never a stack trace.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configRegistry, findConfigFile, loadConfigFile, loadProjectConfig } from '../src/config/index.js';
import { main } from '../src/cli/main.js';
import { watchCompile } from '../src/cli/commands/compile.js';
import { commandKindsFor } from '../src/cli/config.js';
import type { CliIO } from '../src/cli/io.js';

const root = fileURLToPath(new URL('../', import.meta.url));
// Inside the repo, so a config's `import ... from 'mtlc'` resolves as in a user's project.
mkdirSync(path.join(root, '.mtlc-cache'), { recursive: true });
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(root, '.mtlc-cache', 'config-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
async function run(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { NO_COLOR: '1' }, cwd, isTTY: false };
  return { code: await main(argv, io), out, err };
}

/** A kind written as plain JS (no imports), usable from .mjs and .ts configs alike. */
const scaleKind = `{
  type: 'scale',
  description: 'Multiplies the input by a constant.',
  properties: { factor: { type: 'number', description: 'The constant.' } },
  required: ['factor'],
  outputShape: (_c, input) => ({ shape: input }),
  paramCount: () => 0,
  lowerings: { tfjs: { emit: (c, ctx) => \`\${ctx.tf}.layers.rescaling({ scale: \${ctx.literal(c.factor)}, name: \${ctx.literal(ctx.layerName)} })\` } },
}`;
/** A junction kind written as plain JS: equal shapes, no parameters (its runtime class is never loaded here). */
const passKind = `{
  kind: 'pass',
  description: 'Hands each tower its own activation.',
  properties: {},
  check: (_c, { towers }) => ({ options: {}, params: 0 }),
  label: () => 'pass',
  lowerings: { tfjs: { runtimeClass: { module: 'pass-layers', exportName: 'Pass' } } },
}`;
const spec = `version: 1
name: Scaled
input: { name: x, shape: [3] }
towers:
  a:
    layers:
      - { type: scale, name: s, factor: 2 }
    head: { units: 1 }
    loss: meanSquaredError
  b:
    layers:
      - { type: scale, name: s, factor: "two" }
    head: { units: 1 }
    loss: meanSquaredError
`;

describe('config discovery', () => {
  it('finds mtlc.config.* in the working directory or a parent, and stops at the project root', () => {
    const dir = project({ 'package.json': '{}', 'mtlc.config.mjs': 'export default {}', 'specs/deep/x.yaml': '' });
    expect(findConfigFile(path.join(dir, 'specs', 'deep'))).toBe(path.join(dir, 'mtlc.config.mjs'));
    const nested = project({ 'mtlc.config.json': '{}', 'app/package.json': '{}' });
    expect(findConfigFile(path.join(nested, 'app'))).toBeUndefined();
  });

  it('prefers .ts over .js in one folder (CONFIG_FILES order)', () => {
    const dir = project({ 'package.json': '{}', 'mtlc.config.js': 'export default {}', 'mtlc.config.ts': 'export default {}' });
    expect(findConfigFile(dir)).toBe(path.join(dir, 'mtlc.config.ts'));
  });
});

describe('config loading', () => {
  it('a .ts config (with types and an mtlc import) adds its kinds; the spec errors in plugin fields are located', async () => {
    const dir = project({
      'package.json': '{}',
      'mtlc.config.ts': `import { defineConfig, defineLayerKind, type LayerKind } from 'mtlc';\nconst scale: LayerKind = defineLayerKind(${scaleKind.replace('(_c, input)', '(_c: unknown, input: readonly number[])').replace('(c, ctx)', '(c: any, ctx: any)')});\nexport default defineConfig({ layerKinds: [scale] });\n`,
      'scaled.yaml': spec,
    });
    const r = await run(['validate', 'scaled.yaml', '--format', 'json'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const { diagnostics } = JSON.parse(r.out) as { diagnostics: { line: number; column: number; path: string }[] };
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ line: 12, column: spec.split('\n')[11]!.indexOf('"two"') + 1, path: '/towers/b/layers/0/factor' });
  });

  it('.json config: plugins are modules whose default export is a config', async () => {
    const dir = project({
      'package.json': '{}',
      'mtlc.config.json': '{ "plugins": ["./kinds/scale.mjs"] }',
      'kinds/scale.mjs': `export default { layerKinds: [${scaleKind}] };\n`,
      'ok.yaml': spec.replace('"two"', '3'),
    });
    const config = await loadProjectConfig(dir);
    expect(config!.files).toEqual([path.join(dir, 'mtlc.config.json'), path.join(dir, 'kinds', 'scale.mjs')]);
    const r = await run(['compile', 'ok.yaml', '--out', 'gen'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it.each([
    ['a throwing config', 'mtlc.config.mjs', "throw new Error('boom');\n", /mtlc\.config\.mjs: failed to load: boom$/],
    ['no default export', 'mtlc.config.mjs', 'export const layerKinds = [];\n', /mtlc\.config\.mjs: has no default export/],
    ['layerKinds not an array', 'mtlc.config.mjs', "export default { layerKinds: 'dense' };\n", /mtlc\.config\.mjs: layerKinds must be an array of layer kinds, got string dense$/],
    ['an unknown key', 'mtlc.config.mjs', 'export default { kinds: [] };\n', /mtlc\.config\.mjs: unknown config key "kinds" \(expected layerKinds, junctionKinds, plugins\)$/],
    ['a kind without emit', 'mtlc.config.mjs', `export default { layerKinds: [{ ...${scaleKind}, lowerings: { tfjs: {} } }] };\n`, /layerKinds\[0\] \("scale"\)\.lowerings\.tfjs\.emit must be a function/],
    ['a kind with emit on itself (before lowerings)', 'mtlc.config.mjs', `export default { layerKinds: [{ ...${scaleKind}, emit: () => '' }] };\n`, /layerKinds\[0\] \("scale"\)\.emit: a kind's TensorFlow\.js code goes in its lowering now: lowerings: \{ tfjs: \{ emit, runtimeClass \} \}$/],
    ['a lowering for a target plugins cannot supply', 'mtlc.config.mjs', `export default { layerKinds: [{ ...${scaleKind}, lowerings: { torch: {} } }] };\n`, /layerKinds\[0\] \("scale"\)\.lowerings\.torch: a plugin kind can bring a lowering for tfjs \(the torch target lowers the built-in kinds only\)$/],
    ['a kind clashing with a built-in', 'mtlc.config.mjs', `export default { layerKinds: [{ ...${scaleKind}, type: 'dense' }] };\n`, /mtlc\.config\.mjs: layer kind "dense" clashes with the built-in kind of that name/],
    ['a non-camelCase type', 'mtlc.config.mjs', `export default { layerKinds: [{ ...${scaleKind}, type: 'My-Kind' }] };\n`, /layer kind type must be camelCase/],
    ['an invalid schema fragment', 'mtlc.config.mjs', `export default { layerKinds: [{ ...${scaleKind}, properties: { factor: { type: 'nmber', description: 'x' } } }] };\n`, /schema fragment is not valid JSON Schema/],
    ['a TypeScript syntax error', 'mtlc.config.ts', 'export default {\n  layerKinds: [,\n', /mtlc\.config\.ts:\d+:\d+: /],
    ['invalid JSON', 'mtlc.config.json', '{ "plugins": [ }', /mtlc\.config\.json: invalid JSON/],
    ['a missing plugin module', 'mtlc.config.json', '{ "plugins": ["./nope.mjs"] }', /mtlc\.config\.json: module "\.\/nope\.mjs" not found/],
    ['junctionKinds not an array', 'mtlc.config.mjs', "export default { junctionKinds: {} };\n", /mtlc\.config\.mjs: junctionKinds must be an array of junction kinds, got an object$/],
    ['a junction kind clashing with a built-in', 'mtlc.config.mjs', `export default { junctionKinds: [{ ...${passKind}, kind: 'sluice' }] };\n`, /mtlc\.config\.mjs: junction kind "sluice" clashes with the built-in kind of that name; choose another kind$/],
    ['a junction kind without check', 'mtlc.config.mjs', `export default { junctionKinds: [{ ...${passKind}, check: undefined }] };\n`, /junctionKinds\[0\] \("pass"\)\.check must be a function$/],
    ['a junction kind with runtimeClass on itself', 'mtlc.config.mjs', `export default { junctionKinds: [{ ...${passKind}, runtimeClass: { module: 'x', exportName: 'X' } }] };\n`, /junctionKinds\[0\] \("pass"\)\.runtimeClass: a kind's TensorFlow\.js class goes in its lowering: lowerings: \{ tfjs: \{ runtimeClass \} \}$/],
    ['a junction kind whose tfjs lowering has no runtime class', 'mtlc.config.mjs', `export default { junctionKinds: [{ ...${passKind}, lowerings: { tfjs: {} } }] };\n`, /junctionKinds\[0\] \("pass"\)\.lowerings\.tfjs\.runtimeClass is required/],
    ['a missing runtime class module', 'mtlc.config.mjs', `export default { layerKinds: [{ ...${scaleKind}, lowerings: { tfjs: { emit: () => '', runtimeClass: { module: './layer.js', exportName: 'Scale' } } } }] };\n`, /module "\.\/layer\.js" not found/],
  ])('%s is exit 2 with one line naming the file', async (_title, name, text, message) => {
    const dir = project({ 'package.json': '{}', [name]: text, 'x.yaml': spec });
    const r = await run(['validate', 'x.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.startsWith(`error: config ${path.join(dir, name)}`)).toBe(true);
    expect(r.err.trim()).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('a plugin kind without a TensorFlow.js lowering validates, and compiling it is a located no-tfjs-lowering error per layer; nothing written', async () => {
    const dir = project({ 'package.json': '{}', 'mtlc.config.mjs': `export default { layerKinds: [{ ...${scaleKind}, lowerings: undefined }] };\n`, 'x.yaml': spec.replace('"two"', '3') });
    expect((await run(['validate', 'x.yaml'], dir)).code).toBe(0);
    const r = await run(['compile', 'x.yaml', '--out', 'gen', '--format', 'json'], dir);
    expect(r.code).toBe(1);
    const { diagnostics } = JSON.parse(r.out) as { diagnostics: { code: string; line: number; path: string; message: string; hint: string }[] };
    // (no-data: a warning that the spec names no training data.)
    expect(diagnostics.filter((d) => d.code !== 'no-data').map((d) => [d.code, d.path, d.line])).toEqual([
      ['no-tfjs-lowering', '/towers/a/layers/0', 7],
      ['no-tfjs-lowering', '/towers/b/layers/0', 12],
    ]);
    const first = diagnostics.find((d) => d.code === 'no-tfjs-lowering')!;
    expect(first.message).toBe("layer kind 'scale' (layer a_s) has no TensorFlow.js lowering");
    expect(first.hint).toContain('lowerings: { tfjs: { emit, runtimeClass } }');
    expect(existsSync(path.join(dir, 'gen'))).toBe(false);
    const train = await run(['train', 'x.yaml', '--epochs', '1'], dir);
    expect(train.code).toBe(1);
    expect(train.err).toContain("error[no-tfjs-lowering]: layer kind 'scale' (layer a_s) has no TensorFlow.js lowering\n --> x.yaml:7:9 (/towers/a/layers/0)");
  });

  it('--config names a file instead of searching; a missing one is exit 2; --no-config ignores the found one', async () => {
    const dir = project({ 'package.json': '{}', 'cfg/kinds.mjs': `export default { layerKinds: [${scaleKind}] };\n`, 'mtlc.config.json': '{ "plugins": ["./missing.mjs"] }', 'x.yaml': spec });
    const viaFlag = await run(['validate', 'x.yaml', '--config', 'cfg/kinds.mjs', '--format', 'json'], dir);
    expect(viaFlag.code).toBe(1);
    expect(viaFlag.out).toContain('/towers/b/layers/0/factor');
    const missing = await run(['validate', 'x.yaml', '--config', 'nope.ts'], dir);
    expect(missing).toMatchObject({ code: 2, err: 'error: config nope.ts: config file not found\n' });
    const none = await run(['validate', 'x.yaml', '--no-config'], dir);
    expect(none.code).toBe(1);
    expect(none.out).toContain("unknown layer type 'scale'");
  });

  it('a plugin module can add junction kinds too: kind: pass validates through it (and is unknown without it)', async () => {
    const stitched = `${spec.replace('"two"', '3')}crossStitch:\n  - { kind: pass, after: s }\n`;
    const dir = project({ 'package.json': '{}', 'mtlc.config.json': '{ "plugins": ["./pass.mjs"] }', 'pass.mjs': `export default { layerKinds: [${scaleKind}], junctionKinds: [${passKind}] };\n`, 'x.yaml': stitched });
    const config = await loadProjectConfig(dir);
    expect(config!.junctionKinds.map((k) => k.kind)).toEqual(['pass']);
    expect(configRegistry(config).junctionKinds().map((k) => k.kind)).toEqual(['crossStitch', 'sluice', 'nddr', 'pass']);
    const ok = await run(['validate', 'x.yaml', '--config', 'mtlc.config.json'], dir);
    expect(ok.code).toBe(0);
    const none = await run(['validate', 'x.yaml', '--no-config', '--format', 'json'], dir);
    expect(none.code).toBe(1);
    expect(none.out).toContain('/crossStitch/0/kind');
  });

  it.each([
    ['has no such export', 'export class Other {}\n', "has no export 'Pass'"],
    ['exports something that is not a layer class', 'export class Pass {}\n', "exports 'Pass', which is not a TensorFlow.js layer class (extend tf.layers.Layer)"],
  ])('train with a junction kind whose runtime module %s: exit 2, one line naming module and export (was an internal error)', async (_t, layer, says) => {
    const stitched = `${spec.replace('"two"', '3')}crossStitch:\n  - { kind: pass, after: s }\ndata: { format: jsonl, path: d.jsonl, input: x, targets: { a: a, b: b } }\n`;
    const pass = passKind.replace("module: 'pass-layers'", "module: './pass-layer.mjs'");
    const dir = project({ 'package.json': '{}', 'mtlc.config.mjs': `export default { layerKinds: [${scaleKind}], junctionKinds: [${pass}] };\n`, 'pass-layer.mjs': layer, 'x.yaml': stitched, 'd.jsonl': '{"x": [1, 2, 3], "a": 1, "b": 2}\n' });
    const r = await run(['train', 'x.yaml', '--epochs', '1', '--backend', 'cpu'], dir);
    expect(r.err).toBe(`error: the runtime layer module ${path.join(dir, 'pass-layer.mjs')} ${says}; it is the runtimeClass { module, exportName } of a kind in your mtlc.config\n`);
    expect(r.code).toBe(2);
  });

  it('configRegistry refuses a kind defined twice (two plugins), naming the config', async () => {
    const dir = project({ 'mtlc.config.json': '{ "plugins": ["./a.mjs", "./b.mjs"] }', 'a.mjs': `export default { layerKinds: [${scaleKind}] };`, 'b.mjs': `export default { layerKinds: [${scaleKind}] };` });
    const config = await loadConfigFile(path.join(dir, 'mtlc.config.json'));
    expect(() => configRegistry(config)).toThrow(ConfigError);
    expect(() => configRegistry(config)).toThrow(`${path.join(dir, 'mtlc.config.json')}: layer kind "scale" is defined twice`);
  });
});

it('compile --watch reads the config again on each run: editing the plugin recompiles', async () => {
  const kind = (factor: string) => `export default { layerKinds: [{ ...${scaleKind}, lowerings: { tfjs: { emit: (c, ctx) => \`\${ctx.tf}.layers.rescaling({ scale: \${ctx.literal(c.factor * ${factor})}, name: \${ctx.literal(ctx.layerName)} })\` } } }] };\n`;
  const dir = project({ 'package.json': '{}', 'mtlc.config.mjs': kind('1'), 'x.yaml': spec.replace('"two"', '3') });
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { NO_COLOR: '1' }, cwd: dir, isTTY: false };
  const controller = new AbortController();
  const done = watchCompile(['x.yaml'], { out: 'gen', reloadKinds: () => commandKindsFor({}, io) }, io, controller.signal);
  const model = path.join(dir, 'gen', 'scaled', 'model.ts');
  const waitFor = async (pred: () => boolean) => {
    for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(pred()).toBe(true);
  };
  const read = () => (existsSync(model) ? readFileSync(model, 'utf8') : '');
  await waitFor(() => read().includes('scale: 3,'));
  writeFileSync(path.join(dir, 'mtlc.config.mjs'), kind('10'));
  await waitFor(() => read().includes('scale: 30,'));
  controller.abort();
  await done;
  expect(stderr).toBe('');
});
