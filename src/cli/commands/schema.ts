/**
 * `mtlc schema [--editor]`: prints the JSON Schema of the spec language for the built-in layer
 * kinds and those of the project's config. `schemas/mtl-spec.schema.json` (plain 2020-12, for
 * validators) and `schemas/mtl-spec.editor.schema.json` (plus the YAML language server's pattern
 * messages, for modelines) are its committed outputs:
 *   npx mtlc schema > schemas/mtl-spec.schema.json
 *   npx mtlc schema --editor > schemas/mtl-spec.editor.schema.json
 */
import type { Command } from 'commander';
import { createLayerRegistry } from '../../layers/index.js';
import type { LayerRegistry } from '../../layers/kind.js';
import { commandKinds } from '../config.js';
import { buildEditorSchema, buildSpecSchema } from '../../spec/schema.js';
import type { RegisterCommand } from './index.js';

/** The schema as committed: two-space JSON with a final newline. */
export function specSchemaText(registry: LayerRegistry = createLayerRegistry(), options: { editor?: boolean } = {}): string {
  return `${JSON.stringify(options.editor ? buildEditorSchema(registry) : buildSpecSchema(registry), null, 2)}\n`;
}

export const registerSchema: RegisterCommand = (program, io) => {
  program
    .command('schema')
    .description('print the JSON Schema of the spec language (schemas/mtl-spec.schema.json)')
    .option('--editor', "the editors' variant: plus the YAML language server's readable pattern messages (schemas/mtl-spec.editor.schema.json)")
    .action(async (options: { editor?: boolean }, command: Command) => {
      io.stdout(specSchemaText((await commandKinds(command, io)).registry, { editor: options.editor === true }));
    });
};
