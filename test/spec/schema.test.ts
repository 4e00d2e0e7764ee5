/**
 * The committed schema and the generated spec types are the outputs of their generators (they
 * fail with the command that regenerates them), every property is documented, and the example
 * specs (../shared/spec-examples, specs/) validate as written.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { generateSpecTypes } from '../../scripts/gen-spec-types.js';
import { validateSpec } from '../../src/api/validate.js';
import { specSchemaText } from '../../src/cli/commands/schema.js';
import { createLayerRegistry } from '../../src/layers/index.js';
import { defineLayerKind } from '../../src/layers/kind.js';
import { buildSpecSchema } from '../../src/spec/schema.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const committedSchema = readFileSync(join(root, 'schemas/mtl-spec.schema.json'), 'utf8');

describe('schemas/mtl-spec.schema.json', () => {
  it('is the output of `mtlc schema` for the built-in layer kinds', () => {
    const fresh = specSchemaText();
    expect(
      committedSchema === fresh,
      'schemas/mtl-spec.schema.json is stale; regenerate it and the spec types with `npx tsx scripts/gen-spec-types.ts --schema` (or `npm run build && npx mtlc schema > schemas/mtl-spec.schema.json && npx tsx scripts/gen-spec-types.ts`)',
    ).toBe(true);
  });

  it('schemas/mtl-spec.editor.schema.json is the output of `mtlc schema --editor`: the same schema plus pattern messages', () => {
    const committed = readFileSync(join(root, 'schemas/mtl-spec.editor.schema.json'), 'utf8');
    expect(committed === specSchemaText(undefined, { editor: true }), 'schemas/mtl-spec.editor.schema.json is stale; regenerate it with `npx tsx scripts/gen-spec-types.ts --schema`').toBe(true);
    const plain = JSON.parse(committed, (key, value: unknown) => (key === 'patternErrorMessage' ? undefined : value)) as Record<string, unknown>;
    expect({ ...plain, $id: 'plain' }).toEqual({ ...(JSON.parse(committedSchema) as object), $id: 'plain' });
    expect(committed.match(/"patternErrorMessage"/g)?.length).toBeGreaterThanOrEqual(5);
  });

  it('compiles under ajv strict mode as JSON Schema 2020-12', () => {
    const schema = JSON.parse(committedSchema) as Record<string, unknown>;
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('describes every property and states the default of optional scalars it fills in', () => {
    const schema = JSON.parse(committedSchema) as Record<string, unknown>;
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}/${i}`));
      if (!node || typeof node !== 'object') return;
      const obj = node as Record<string, unknown>;
      const props = obj['properties'] as Record<string, Record<string, unknown>> | undefined;
      if (props) {
        for (const [name, prop] of Object.entries(props)) {
          if (typeof prop['description'] !== 'string' || prop['description'].length < 5) undocumented.push(`${path}/properties/${name}`);
        }
      }
      // An `if` only tests a tag; the branch it selects documents the properties.
      for (const [key, value] of Object.entries(obj)) if (key !== 'if') walk(value, `${path}/${key}`);
    };
    walk(schema, '#');
    expect(undocumented).toEqual([]);
    const defs = schema['$defs'] as Record<string, { properties: Record<string, { default?: unknown }> }>;
    expect(defs['Training']!.properties['batchSize']!.default).toBe(32);
    expect(defs['CrossStitch']!.properties['mode']!.default).toBe('channel');
    expect(defs['Tower']!.properties['lossWeight']!.default).toBe(1);
  });

  it('has one object schema per layer kind, with type and name, closed to unknown keys', () => {
    const registry = createLayerRegistry();
    const schema = buildSpecSchema(registry) as { $defs: Record<string, Record<string, unknown>> };
    const layer = schema.$defs['Layer'] as { properties: { type: { enum: string[] } }; allOf: { then: { $ref: string } }[] };
    expect(layer.properties.type.enum).toEqual(registry.types());
    expect(layer.allOf).toHaveLength(registry.types().length);
    for (const type of registry.types()) {
      const def = Object.values(schema.$defs).find((d) => (d['properties'] as Record<string, { const?: string }> | undefined)?.['type']?.const === type);
      expect(def, type).toBeDefined();
      expect(def!['additionalProperties']).toBe(false);
      expect(Object.keys(def!['properties'] as object).slice(0, 2)).toEqual(['type', 'name']);
    }
  });

  it('takes a plugin layer kind into the schema and validation', () => {
    const kind = defineLayerKind({
      type: 'gaussianNoise',
      description: 'Adds gaussian noise during training.',
      properties: { stddev: { type: 'number', exclusiveMinimum: 0, description: 'Standard deviation.' } },
      required: ['stddev'],
      outputShape: (_c, input) => ({ shape: input }),
      paramCount: () => 0,
    });
    const registry = createLayerRegistry([kind]);
    const spec = (layer: string) =>
      `version: 1\nname: Noisy\ninput: { shape: [4] }\ntowers:\n  a:\n    layers:\n      - ${layer}\n    head: { units: 1 }\n    loss: meanSquaredError\n`;
    expect(validateSpec(spec('{ type: gaussianNoise, stddev: 0.1 }'), 'n.yaml', registry).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const bad = validateSpec(spec('{ type: gaussianNoise, stdev: 0.1 }'), 'n.yaml', registry).diagnostics;
    expect(bad.map((d) => [d.code, d.hint])).toEqual([['unknown-property', 'did you mean stddev?']]);
    const builtinOnly = validateSpec(spec('{ type: gaussianNoise, stddev: 0.1 }'), 'n.yaml').diagnostics;
    expect(builtinOnly.map((d) => d.code)).toEqual(['unknown-layer-type']);
  });
});

describe('src/spec/spec-types.generated.ts', () => {
  it('is what json-schema-to-typescript generates from the committed schema', async () => {
    const committed = readFileSync(join(root, 'src/spec/spec-types.generated.ts'), 'utf8');
    const fresh = await generateSpecTypes(JSON.parse(committedSchema) as object);
    expect(committed === fresh, 'src/spec/spec-types.generated.ts is stale; regenerate it with `npx tsx scripts/gen-spec-types.ts`').toBe(true);
    expect(committed).toContain('export interface MtlSpec');
    expect(committed).toContain("type: 'conv2d';");
  });
});

const shared = join(root, '../shared/spec-examples');
const examples = [
  ...(existsSync(shared) ? readdirSync(shared).filter((f) => f.endsWith('.yaml')).map((f) => join(shared, f)) : []),
  ...(existsSync(join(root, 'specs')) ? readdirSync(join(root, 'specs')).filter((f) => f.endsWith('.yaml')).map((f) => join(root, 'specs', f)) : []),
];

describe.skipIf(examples.length === 0)('example specs validate as written', () => {
  for (const path of examples) {
    it(`spec=${path.slice(path.lastIndexOf('/', path.lastIndexOf('/') - 1) + 1)}`, () => {
      const result = validateSpec(readFileSync(path), path);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(result.model).toBeDefined();
    });
  }
});
