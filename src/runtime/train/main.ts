/**
 * The CLI guard of a generated `train.ts`: run directly (`npx tsx train.ts --epochs 2`,
 * `node train.js`), it is the training CLI; imported, nothing happens. It lives here so the
 * generated file touches no Node global (`process`) and no Node module at import time, and
 * type-checks without Node's types.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { TrainingPlan } from '../plan.js';
import { runTrainingCli } from './cli.js';
import type { ModelBuilder } from './types.js';

/** Whether the module at `moduleUrl` is the script Node was started with. */
export function isEntryModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  let real = entry;
  try {
    real = realpathSync(entry); // Node's module URLs are real paths; argv[1] may be a symlink
  } catch {
    // not a file (e.g. `node -e`): compare as given
  }
  return moduleUrl === pathToFileURL(real).href || moduleUrl === pathToFileURL(entry).href;
}

/**
 * When the module whose `import.meta` is `meta` is the entry script, runs the training CLI on the
 * process's arguments and sets its exit code. It takes `import.meta` itself, not its `url`, so the
 * generated call type-checks without Node's or the DOM's declaration of `ImportMeta.url`.
 */
export async function runTrainingCliIfMain<Task extends string>(meta: ImportMeta, plan: TrainingPlan, build: ModelBuilder<Task>): Promise<void> {
  const url = (meta as { url?: unknown }).url;
  if (typeof url !== 'string' || !isEntryModule(url)) return;
  process.exitCode = await runTrainingCli(plan, build as ModelBuilder, process.argv.slice(2));
}
