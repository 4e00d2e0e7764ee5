/**
 * The training flags, declared once, for both training engines. The generated entrypoint's parser
 * (`runTrainingCli`, the tfjs engine) and its `--help`, the torch engine's parser and help
 * (`runTorchTrainingCli`), and `mtlc train` (which registers them with commander and passes them
 * through) are all made from this list. Plain data: no TensorFlow.js, so the CLI can import it.
 */
import type { TrainingPlan } from '../plan.js';
import { kebabCase } from '../naming.js';
import { TrainingError } from './errors.js';

/** The training engines: TensorFlow.js in Node (the generated train.ts), PyTorch under torchrun. */
export type Engine = 'tfjs' | 'torch';

export interface TrainingFlag {
  /** The engines that take the flag (default both); the other refuses it, naming the engine. */
  readonly engines?: readonly Engine[];
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
  /** A whole-number flag: the values it allows (checked by `numericFlag`, the same for every engine). */
  readonly range?: { readonly min: number; readonly max: number };
}

/** The largest count a count flag takes (epochs, batch size, threads, processes). */
const MAX_COUNT = 2 ** 31 - 1;
const COUNT = { min: 1, max: MAX_COUNT } as const;

export const TRAINING_FLAGS: readonly TrainingFlag[] = [
  {
    name: 'data',
    value: 'FILE',
    description: 'training data (.jsonl or .csv; a field per input and per task)',
    defaultText: (plan) => (plan.data.format === 'multimnist' ? 'built-in MultiMNIST' : plan.data.path),
  },
  { name: 'epochs', value: 'N', range: COUNT, description: 'epochs', defaultText: (plan) => String(plan.epochs) },
  { name: 'batch-size', value: 'N', range: COUNT, description: 'batch size', defaultText: (plan) => String(plan.batchSize) },
  { name: 'backend', value: 'B', engines: ['tfjs'], description: 'gpu | node | wasm | cpu | auto', defaultText: (plan) => `${plan.backend}; env MTLC_BACKEND` },
  { name: 'out', value: 'DIR', description: 'run directory', defaultText: (plan) => `runs/${kebabCase(plan.modelName)}/`, cliDefaultText: 'runs/<kebab-name>/' },
  { name: 'resume', description: 'continue from the last checkpoint in --out' },
  {
    name: 'restart',
    description: 'discard the run in --out and train from scratch',
    more: '(without --resume or --restart, a folder that holds a run is refused)',
  },
  { name: 'seed', value: 'N', range: { min: 0, max: 2 ** 32 - 1 }, description: 'random seed', defaultText: (plan) => String(plan.seed) },
  { name: 'single-task', value: 'TASK', description: 'train one tower alone (other losses off, α frozen to identity)' },
  { name: 'init-from', value: 'DIR', multiple: true, description: 'load towers from a run directory by layer name (repeatable)' },
  {
    name: 'workers',
    value: 'N',
    range: COUNT,
    engines: ['tfjs'],
    description: 'threads per batch on wasm/cpu: N−1 worker threads beside the main one, same math',
    more: '(default 1; no batchNorm/dropout layers)',
  },
  { name: 'quiet', description: 'no progress output' },
  {
    name: 'nproc',
    value: 'N',
    range: COUNT,
    engines: ['torch'],
    description: 'processes (ranks) on this machine (gloo on CPU, NCCL on GPUs)',
    defaultText: () => '1',
    cliDefaultText: '1',
  },
  {
    name: 'python',
    value: 'PATH',
    engines: ['torch'],
    description: 'the Python with torch',
    defaultText: () => 'env MTLC_PYTHON, python3, /usr/bin/python3',
    cliDefaultText: 'env MTLC_PYTHON, python3, /usr/bin/python3',
  },
  {
    name: 'prepare-only',
    engines: ['torch'],
    description: 'write the job (data shards, initial weights, job.json) and print the torchrun command instead of running it (for clusters)',
  },
];

/** A bad value of a training flag (exit 2, a usage error): the flag, the value and what it allows. */
export class FlagValueError extends TrainingError {}

/**
 * The value of a whole-number flag (`--batch-size 8`), or undefined when not given. Anything else
 * (`-3`, `0`, `1.5`, `abc`, `1e3`, a number past the flag's range) is one message naming the flag,
 * the value and what the flag allows.
 */
export function numericFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const range = TRAINING_FLAGS.find((f) => f.name === name)?.range;
  if (!range) throw new Error(`--${name} is not a numeric training flag`);
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(value) && value >= range.min && value <= range.max) return value;
  throw new FlagValueError(`--${name}: expected a whole number from ${range.min} to ${range.max}, got '${text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')}'`);
}

/**
 * `--batch-size -3` as `--batch-size=-3`: `node:util` parseArgs takes a value starting with a
 * dash for a missing one ("argument is ambiguous"); a negative number is a value, refused by
 * `numericFlag` with what the flag allows.
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = TRAINING_FLAGS.find((f) => f.value && argv[i] === `--${f.name}`);
    const next = argv[i + 1];
    if (flag && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

export const takes = (flag: TrainingFlag, engine: Engine): boolean => !flag.engines || flag.engines.includes(engine);

/** Why `engine` refuses a flag it does not take (given to it by name). */
export function engineRefusal(flag: TrainingFlag, engine: Engine): string {
  return engine === 'torch' ? `--${flag.name} is not supported with --engine torch (it is a tfjs engine option)` : `--${flag.name} needs --engine torch`;
}

/**
 * The options of `node:util` `parseArgs` for the flags `engine` takes (values as strings, checked
 * by the caller). With `refused`, the other engine's flags are parsed too, so the caller can
 * refuse them by name (`refusedFlag`) rather than as unknown options.
 */
export function parseArgsOptions(engine: Engine = 'tfjs', refused = false): Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const f of TRAINING_FLAGS) {
    if (takes(f, engine)) options[f.name] = { type: f.value ? 'string' : 'boolean', ...(f.multiple ? { multiple: true } : {}) };
    else if (refused) options[f.name] = { type: f.value ? 'string' : 'boolean', multiple: true };
  }
  options['help'] = { type: 'boolean', short: 'h' };
  return options;
}

/** The first flag among `values` (parsed with `refused`) that `engine` does not take, with why. */
export function refusedFlag(values: { readonly [name: string]: unknown }, engine: Engine): string | undefined {
  const flag = TRAINING_FLAGS.find((f) => !takes(f, engine) && values[f.name] !== undefined);
  return flag ? engineRefusal(flag, engine) : undefined;
}

/** Help lines for flags, with the plan's defaults. */
function helpLines(flags: readonly TrainingFlag[], plan: TrainingPlan, width = 23): string[] {
  return flags.map((f) => {
    const head = `  --${f.name}${f.value ? ` ${f.value}` : ''}`.padEnd(width);
    const text = `${f.description}${f.defaultText ? ` (default ${f.defaultText(plan)})` : ''}`;
    return `${head}${text}${f.more ? `\n${' '.repeat(width)}${f.more}` : ''}`;
  });
}

/** The entrypoint's `--help` (the tfjs engine), with the plan's defaults. */
export function trainingHelp(plan: TrainingPlan, prog = 'train'): string {
  const width = 23;
  const lines = helpLines(TRAINING_FLAGS.filter((f) => takes(f, 'tfjs')), plan, width);
  return `Usage: ${prog} [options]

Train ${plan.modelName} (tasks: ${plan.tasks.map((t) => t.name).join(', ')}).
Defaults come from the spec's training section.

Options:
${lines.join('\n')}
${'  -h, --help'.padEnd(width)}show this help
`;
}

/** `mtlc train --engine torch --help`: the flags the torch engine takes, with the plan's defaults. */
export function torchTrainingHelp(plan: TrainingPlan): string {
  const width = 23;
  return `Usage: mtlc train <spec> --engine torch [options]

Train ${plan.modelName} with PyTorch (DistributedDataParallel under torchrun).
Defaults come from the spec's training section.

Options:
${helpLines(TRAINING_FLAGS.filter((f) => takes(f, 'torch')), plan, width).join('\n')}
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
