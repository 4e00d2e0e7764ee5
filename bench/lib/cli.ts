import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * An experiment command's flags (strict, plus --help/-h): the values, or the exit code when the
 * command is done: --help printed the usage (0), a bad flag printed one error line and the usage (2).
 */
export function parseCommand<T extends object>(options: NonNullable<ParseArgsConfig['options']>, usage: string): (T & { help?: boolean }) | number {
  let values: T & { help?: boolean };
  try {
    values = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true }).values as T & { help?: boolean };
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  return values;
}
