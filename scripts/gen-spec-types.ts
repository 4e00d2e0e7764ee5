/**
 * Generates src/spec/spec-types.generated.ts (the TypeScript types of a spec) from the committed
 * schemas/mtl-spec.schema.json with json-schema-to-typescript. test/spec/schema.test.ts fails
 * when the committed types drift from the schema. Run:
 *   npx tsx scripts/gen-spec-types.ts            # types from the committed schema
 *   npx tsx scripts/gen-spec-types.ts --schema   # first rewrite the schema from the sources
 *                                                # (same as `npx mtlc schema > schemas/...`)
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';

export const schemaPath = fileURLToPath(new URL('../schemas/mtl-spec.schema.json', import.meta.url));
export const typesPath = fileURLToPath(new URL('../src/spec/spec-types.generated.ts', import.meta.url));

const banner = `/**
 * GENERATED from schemas/mtl-spec.schema.json by scripts/gen-spec-types.ts; do not edit.
 * Regenerate with: npx tsx scripts/gen-spec-types.ts
 */`;

/** The TypeScript source of the spec types for a schema (deterministic). */
export async function generateSpecTypes(schema: object): Promise<string> {
  // json-schema-to-typescript mutates its input: hand it a copy. `discriminator` is ajv's, not
  // a type: the oneOf branches already make the union.
  // A `description` next to a `$ref` (shown by editors on the property) would make the
  // generator emit a second copy of the referenced type: drop it here.
  const copy = JSON.parse(JSON.stringify(schema), (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value) && '$ref' in value) {
      const { description: _description, ...rest } = value as Record<string, unknown>;
      return rest;
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

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

async function run(): Promise<void> {
  if (process.argv.includes('--schema')) {
    const { specSchemaText } = await import('../src/cli/commands/schema.js');
    writeAtomic(schemaPath, specSchemaText());
    process.stdout.write(`wrote ${schemaPath}\n`);
  }
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
  writeAtomic(typesPath, await generateSpecTypes(schema));
  process.stdout.write(`wrote ${typesPath}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run();
}
