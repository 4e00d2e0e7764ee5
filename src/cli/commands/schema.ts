/**
 * `mtlc schema`: prints the JSON Schema of the spec language for the built-in layer kinds and
 * those of the project's config (`mtlc schema > my-schema.json` for editors).
 * `schemas/mtl-spec.schema.json` is its committed output:
 *   npx mtlc schema > schemas/mtl-spec.schema.json
 */
import type { Command } from 'commander';
import { createLayerRegistry } from '../../layers/index.js';
import type { LayerRegistry } from '../../layers/kind.js';
import { commandKinds } from '../config.js';
import { buildSpecSchema } from '../../spec/schema.js';
import type { RegisterCommand } from './index.js';

/** The schema as committed: two-space JSON with a final newline. */
export function specSchemaText(registry: LayerRegistry = createLayerRegistry()): string {
  return `${JSON.stringify(buildSpecSchema(registry), null, 2)}\n`;
}

export const registerSchema: RegisterCommand = (program, io) => {
  program
    .command('schema')
    .description('print the JSON Schema of the spec language (schemas/mtl-spec.schema.json)')
    .action(async (_options: unknown, command: Command) => {
      io.stdout(specSchemaText((await commandKinds(command, io)).registry));
    });
};
