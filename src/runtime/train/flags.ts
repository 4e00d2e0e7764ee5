/**
 * The training flags, declared once. The generated entrypoint's parser (`runTrainingCli`), its
 * `--help`, and `mtlc train` (which registers them with commander and passes them through) are
 * all made from this list. Plain data: no TensorFlow.js, so the CLI can import it.
 */
import type { TrainingPlan } from '../plan.js';
import { kebabCase } from '../naming.js';

export interface TrainingFlag {
  /** Long name without the dashes, e.g. `batch-size`. */
  readonly name: string;
  /** The value's placeholder (`N`, `FILE`); absent for a switch. */
  readonly value?: string;
  /** May be given more than once; each value is kept. */
  readonly multiple?: boolean;
  readonly short?: string;
  /** What the flag does, one line for `mtlc train --help`. */
  readonly description: string;
  /** The default, in words, for the entrypoint's help (it knows the spec's plan). */
  readonly defaultText?: (plan: TrainingPlan) => string;
  /** The default, in words, for `mtlc train --help` (which has no plan), when it helps. */
  readonly cliDefaultText?: string;
  /** More lines for the entrypoint's help. */
  readonly more?: string;
}

export const TRAINING_FLAGS: readonly TrainingFlag[] = [
  {
    name: 'data',
    value: 'FILE',
    description: 'training data (.jsonl or .csv; a field per input and per task)',
    defaultText: (plan) => (plan.data.format === 'multimnist' ? 'built-in MultiMNIST' : plan.data.path),
  },
  { name: 'epochs', value: 'N', description: 'epochs', defaultText: (plan) => String(plan.epochs) },
  { name: 'batch-size', value: 'N', description: 'batch size', defaultText: (plan) => String(plan.batchSize) },
  { name: 'backend', value: 'B', description: 'gpu | node | wasm | cpu | auto', defaultText: (plan) => `${plan.backend}; env MTLC_BACKEND` },
  { name: 'out', value: 'DIR', description: 'run directory', defaultText: (plan) => `runs/${kebabCase(plan.modelName)}/`, cliDefaultText: 'runs/<kebab-name>/' },
  { name: 'resume', description: 'continue from the last checkpoint in --out' },
  {
    name: 'restart',
    description: 'discard the run in --out and train from scratch',
    more: '(without --resume or --restart, a folder that holds a run is refused)',
  },
  { name: 'seed', value: 'N', description: 'random seed', defaultText: (plan) => String(plan.seed) },
  { name: 'single-task', value: 'TASK', description: 'train one tower alone (other losses off, α frozen to identity)' },
  { name: 'init-from', value: 'DIR', multiple: true, description: 'load towers from a run directory by layer name (repeatable)' },
  {
    name: 'workers',
    value: 'N',
    description: 'threads per batch on wasm/cpu: N−1 worker threads beside the main one, same math',
    more: '(default 1; no batchNorm/dropout layers)',
  },
  { name: 'quiet', description: 'no progress output' },
];

/** The options of `node:util` `parseArgs` for the flags (values as strings, checked by the caller). */
export function parseArgsOptions(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const f of TRAINING_FLAGS) options[f.name] = { type: f.value ? 'string' : 'boolean', ...(f.multiple ? { multiple: true } : {}) };
  options['help'] = { type: 'boolean', short: 'h' };
  return options;
}

/** The entrypoint's `--help`, with the plan's defaults. */
export function trainingHelp(plan: TrainingPlan, prog = 'train'): string {
  const width = 23;
  const lines = TRAINING_FLAGS.map((f) => {
    const head = `  --${f.name}${f.value ? ` ${f.value}` : ''}`.padEnd(width);
    const text = `${f.description}${f.defaultText ? ` (default ${f.defaultText(plan)})` : ''}`;
    return `${head}${text}${f.more ? `\n${' '.repeat(width)}${f.more}` : ''}`;
  });
  return `Usage: ${prog} [options]

Train ${plan.modelName} (tasks: ${plan.tasks.map((t) => t.name).join(', ')}).
Defaults come from the spec's training section.

Options:
${lines.join('\n')}
${'  -h, --help'.padEnd(width)}show this help
`;
}

/** The command line that passes parsed flag values on (`{ batchSize: '8' }` -> `--batch-size 8`). */
export function flagArgv(values: { readonly [camelCaseName: string]: unknown }): string[] {
  const argv: string[] = [];
  for (const f of TRAINING_FLAGS) {
    const v = values[f.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
    if (typeof v === 'string') argv.push(`--${f.name}`, v);
    else if (v === true) argv.push(`--${f.name}`);
    else if (Array.isArray(v)) for (const x of v) argv.push(`--${f.name}`, String(x));
  }
  return argv;
}
