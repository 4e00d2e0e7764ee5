/**
 * `mtlc schema`: prints the JSON Schema of the spec language for the built-in layer kinds.
 * `schemas/mtl-spec.schema.json` is its committed output:
 *   npx mtlc schema > schemas/mtl-spec.schema.json
 */
import { createLayerRegistry } from '../../layers/index.js';
import { buildSpecSchema } from '../../spec/schema.js';
import type { RegisterCommand } from './index.js';

/** The schema as committed: two-space JSON with a final newline. */
export function specSchemaText(): string {
  return `${JSON.stringify(buildSpecSchema(createLayerRegistry()), null, 2)}\n`;
}

export const registerSchema: RegisterCommand = (program, io) => {
  program
    .command('schema')
    .description('print the JSON Schema of the spec language (schemas/mtl-spec.schema.json)')
    .action(() => {
      io.stdout(specSchemaText());
    });
};
