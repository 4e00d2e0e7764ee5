/**
 * Generates src/spec/spec-types.generated.ts (the TypeScript types of a spec) from the committed
 * schemas/mtl-spec.schema.json with json-schema-to-typescript. test/spec/schema.test.ts fails
 * when the committed types drift from the schema. Run:
 *   npx tsx scripts/gen-spec-types.ts            # types from the committed schema
 *   npx tsx scripts/gen-spec-types.ts --schema   # first rewrite both schemas from the sources
 *                                                # (same as `npx mtlc schema [--editor] > schemas/...`)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { writeAtomic } from '../src/runtime/files.js';

export const schemaPath = fileURLToPath(new URL('../schemas/mtl-spec.schema.json', import.meta.url));
export const editorSchemaPath = fileURLToPath(new URL('../schemas/mtl-spec.editor.schema.json', import.meta.url));
export const typesPath = fileURLToPath(new URL('../src/spec/spec-types.generated.ts', import.meta.url));

const banner = `/**
 * GENERATED from schemas/mtl-spec.schema.json by scripts/gen-spec-types.ts; do not edit.
 * Regenerate with: npx tsx scripts/gen-spec-types.ts
 */`;

/** The TypeScript source of the spec types for a schema (deterministic). */
export async function generateSpecTypes(schema: object): Promise<string> {
  // json-schema-to-typescript mutates its input: hand it a copy.
  // A `description` next to a `$ref` (shown by editors on the property) would make the
  // generator emit a second copy of the referenced type: drop it here.
  // A tagged union (an enum tag plus one `if: tag const, then: $ref` per value; the generator
  // does not read if/then) is, as a type, the union of its branches: `oneOf` of the refs.
  const copy = JSON.parse(JSON.stringify(schema), (_key, value: unknown) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
    const node = value as Record<string, unknown>;
    if ('$ref' in node) {
      const { description: _description, ...rest } = node;
      return rest;
    }
    const branches = node['allOf'];
    if (Array.isArray(branches) && branches.length > 0 && branches.every((b: Record<string, unknown>) => 'if' in b && 'then' in b)) {
      const { allOf: _allOf, properties: _properties, required: _required, type: _type, ...rest } = node;
      return { ...rest, oneOf: branches.map((b: { then: unknown }) => b.then) };
    }
    return value;
  }) as JSONSchema;
  return compile(copy, 'MtlSpec', {
    bannerComment: banner,
    additionalProperties: false,
    unreachableDefinitions: true,
    strictIndexSignatures: true,
    format: true,
    style: { singleQuote: true, printWidth: 120 },
    cwd: fileURLToPath(new URL('../schemas/', import.meta.url)),
  });
}

async function run(): Promise<void> {
  if (process.argv.includes('--schema')) {
    const { specSchemaText } = await import('../src/cli/commands/schema.js');
    await writeAtomic(schemaPath, specSchemaText());
    await writeAtomic(editorSchemaPath, specSchemaText(undefined, { editor: true }));
    process.stdout.write(`wrote ${schemaPath}\nwrote ${editorSchemaPath}\n`);
  }
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
  await writeAtomic(typesPath, await generateSpecTypes(schema));
  process.stdout.write(`wrote ${typesPath}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run();
}
