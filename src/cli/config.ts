/**
 * The layer kinds a command uses: the built-ins plus those of the project's `mtlc.config.*`
 * (searched from the working directory upward), `--config <file>` instead, or none with
 * `--no-config`. A broken config is a CliError naming the file (exit 2).
 */
import type { Command } from 'commander';
import { ConfigError, configRegistry, loadProjectConfig, type LoadedConfig } from '../config/index.js';
import type { LayerRegistry } from '../layers/kind.js';
import { CliError, ExitCode, type CliIO } from './io.js';

export interface CommandKinds {
  readonly registry: LayerRegistry;
  /** The config in use, when there is one. */
  readonly config?: LoadedConfig;
}

/** Reads the global `--config` / `--no-config` options of `command` and loads the config. */
export async function commandKinds(command: Command, io: CliIO): Promise<CommandKinds> {
  return commandKindsFor(command.optsWithGlobals() as { config?: string | boolean }, io);
}

/** The same, for parsed options: `config` is a file, `false` (--no-config) or absent (search). */
export async function commandKindsFor({ config: option }: { config?: string | boolean }, io: CliIO): Promise<CommandKinds & { files: readonly string[] }> {
  try {
    const config = await loadProjectConfig(io.cwd, { ...(option === false ? { configFile: false } : typeof option === 'string' ? { configFile: option } : {}) });
    return { registry: configRegistry(config), files: config?.files ?? [], ...(config ? { config } : {}) };
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(`config ${e.message}`, ExitCode.usage);
    throw e;
  }
}

/** Adds `--config <file>` and `--no-config` to the program (they apply to every command). */
export function addConfigOptions(program: Command): Command {
  return program
    .option('--config <file>', 'mtlc.config.{ts,mts,js,mjs,json} with extra layer and junction kinds (default: searched from the working directory up to the project root)')
    .option('--no-config', 'use the built-in layer and junction kinds only');
}
