/**
 * The schema as the user's tools read it: ajv-cli in strict mode and a second, independent
 * validator (@hyperjump/json-schema) compile it and agree with mtlc on good and bad specs; the
 * real YAML language server (over stdio, as an editor runs it) completes every layer kind, data
 * format and enum from the modeline's schema, and its diagnostics say what is wrong.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { registerSchema, validate } from '@hyperjump/json-schema/draft-2020-12';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACTIVATIONS, LOSSES, METRICS } from '../../src/layers/activations.js';
import { createLayerRegistry } from '../../src/layers/index.js';
import { BACKENDS, CROSS_STITCH_MODES, DATA_FORMATS, OPTIMIZERS, TASK_WEIGHTINGS } from '../../src/spec/schema.js';
import { LanguageServerClient } from './lsp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const plainPath = join(root, 'schemas/mtl-spec.schema.json');
const editorPath = join(root, 'schemas/mtl-spec.editor.schema.json');
const specFiles = ['multi-mnist', 'face-attributes', 'customer-signals'].map((n) => join(root, 'specs', `${n}.yaml`));
const layerTypes = createLayerRegistry().types();

describe('ajv-cli --spec=draft2020 --strict=true', () => {
  const ajv = join(root, 'node_modules/.bin/ajv');
  it('compiles the schema (no vendor keywords) and validates the example specs', () => {
    expect(execFileSync(ajv, ['compile', '--spec=draft2020', '--strict=true', '-s', plainPath], { encoding: 'utf8' })).toContain('is valid');
    const out = execFileSync(ajv, ['validate', '--spec=draft2020', '--strict=true', '-s', plainPath, ...specFiles.flatMap((f) => ['-d', f])], {
      encoding: 'utf8',
    });
    expect(out.match(/ valid$/gm)).toHaveLength(specFiles.length);
  });
});

describe('@hyperjump/json-schema (a second validator)', () => {
  it('accepts the example specs and rejects a bad layer type at its path, for both schemas', async () => {
    for (const path of [plainPath, editorPath]) {
      const schema = JSON.parse(readFileSync(path, 'utf8')) as { $id: string };
      registerSchema(schema);
      const check = await validate(schema.$id);
      for (const file of specFiles) expect(check(parse(readFileSync(file, 'utf8')) as never).valid, file).toBe(true);
      const bad = parse(readFileSync(specFiles[0]!, 'utf8')) as { towers: { left: { layers: { type: string }[] } } };
      bad.towers.left.layers[0]!.type = 'dens';
      const out = check(bad as never, 'BASIC') as { valid: boolean; errors?: { instanceLocation: string }[] };
      expect(out.valid).toBe(false);
      expect(out.errors?.map((e) => e.instanceLocation)).toContain('#/towers/left/layers/0/type');
    }
  });
});

describe('yaml-language-server (stdio) with the modeline schema', () => {
  let server: LanguageServerClient;
  let dir: string;
  let n = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mtlc-editor-'));
    server = new LanguageServerClient(process.execPath, [join(root, 'node_modules/yaml-language-server/bin/yaml-language-server'), '--stdio'], {
      yaml: { validate: true, completion: true, hover: true, schemaStore: { enable: false } },
    });
    await server.initialize(pathToFileURL(dir).href);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a spec (modeline to the editor schema) with `|` marking the cursor; returns its uri and the cursor. */
  function open(body: string): { uri: string; line: number; character: number } {
    const text = `# yaml-language-server: $schema=${pathToFileURL(editorPath).href}\n${body}`;
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('|'));
    const character = line < 0 ? 0 : lines[line]!.indexOf('|');
    const file = join(dir, `spec${++n}.yaml`);
    writeFileSync(file, text.replace('|', ''));
    const uri = pathToFileURL(file).href;
    server.open(uri, text.replace('|', ''));
    return { uri, line, character };
  }

  const complete = async (body: string): Promise<string[]> => {
    const { uri, line, character } = open(body);
    await server.diagnostics(uri, 1); // the document is parsed and its schema loaded
    return (await server.completions(uri, line, character)).map((i) => i.label);
  };

  const spec = (layer: string, rest = '') =>
    `version: 1\nname: Demo\ninput: { shape: [4] }\ntowers:\n  left:\n    layers:\n${layer}\n    head: { units: 1 }\n    loss: meanSquaredError\n${rest}`;

  it('completes all layer kinds for `- type: ` (block and flow style)', async () => {
    expect((await complete(spec('      - type: |'))).sort()).toEqual([...layerTypes].sort());
    expect((await complete(spec('      - { type: |}'))).sort()).toEqual([...layerTypes].sort());
    expect(layerTypes).toHaveLength(13);
  });

  it("completes the chosen kind's properties", async () => {
    const labels = await complete(spec('      - type: conv2d\n        |'));
    expect(labels).toEqual(expect.arrayContaining(['filters', 'kernelSize', 'strides', 'padding', 'activation']));
    expect(labels).not.toContain('units');
  });

  it('completes every data format (block and flow style)', async () => {
    expect((await complete(spec('      - { type: flatten }', 'data:\n  format: |\n'))).sort()).toEqual([...DATA_FORMATS].sort());
    expect((await complete(spec('      - { type: flatten }', 'data: { format: |}\n'))).sort()).toEqual([...DATA_FORMATS].sort());
  });

  it('completes every enum: activation, loss, metric, mode, backend, optimizer, task weighting', async () => {
    const cases: [string, readonly string[]][] = [
      [spec('      - { type: dense, units: 4, activation: |}'), ACTIVATIONS],
      [spec('      - { type: flatten }').replace('loss: meanSquaredError', 'loss: |'), LOSSES],
      [spec('      - { type: flatten }', '').replace('loss: meanSquaredError', 'loss: meanSquaredError\n    metrics: [|]'), METRICS],
      [spec('      - { type: dense, name: h, units: 4 }', 'crossStitch:\n  - after: h\n    mode: |\n'), CROSS_STITCH_MODES],
      [spec('      - { type: flatten }', 'training:\n  backend: |\n'), BACKENDS],
      [spec('      - { type: flatten }', 'training:\n  optimizer: { type: |}\n'), OPTIMIZERS],
      [spec('      - { type: flatten }', 'training:\n  taskWeighting:\n    type: |\n'), TASK_WEIGHTINGS],
    ];
    for (const [body, values] of cases) expect((await complete(body)).sort(), body).toEqual([...values].sort());
  });

  it('flags a bad layer type as such (not as a missing property of another kind), and names by their rule', async () => {
    const { uri } = open(spec('      - { type: dens, units: 4 }').replace('name: Demo', 'name: demo').replace('  left:', '  Left:'));
    const messages = (await server.diagnostics(uri, 1)).map((d) => d.message);
    expect(messages.some((m) => m.startsWith('Value is not accepted.') && m.includes('"dense"'))).toBe(true);
    expect(messages.filter((m) => /missing property/i.test(m))).toEqual([]);
    expect(messages).toContain('Must be PascalCase: letters and digits, starting with a capital letter (e.g. MultiDigit).');
    expect(messages).toContain('Must be a camelCase task name: letters and digits, starting with a lower-case letter (e.g. leftDigit).');
  });

  it('reports nothing on the example specs', async () => {
    for (const file of specFiles) {
      const text = readFileSync(file, 'utf8').replace(/\$schema=\S+/, `$schema=${pathToFileURL(editorPath).href}`);
      const uri = pathToFileURL(join(dir, `ok${++n}.yaml`)).href;
      server.open(uri, text);
      expect(await server.diagnostics(uri, 1), file).toEqual([]);
    }
  });
});
