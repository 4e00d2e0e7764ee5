/**
 * Readers of a run folder's records (`run.json`, `metrics.jsonl`, `alphas.json`,
 * `checkpoint/state.json`, the checkpoint's α): a run folder is user input (hand-edited, copied,
 * truncated by a full disk), so each reader checks what it parses and a bad file is one
 * `RunFileError` naming the file (and line) and what is wrong, never a crash later on. No
 * TensorFlow.js here: `mtlc weights` and `mtlc report` use these without loading it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { EpochRecord, JunctionAlpha } from './types.js';

export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';
export const ALPHAS_FILE = 'alphas.json';
export const CHECKPOINT_DIR = 'checkpoint';
export const MODEL_DIR = 'model';

/** Records bigger than this are not a run's records (a run writes kilobytes per epoch). */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** A run-folder file that is missing, unreadable or malformed: exit 2 with this message. */
export class RunFileError extends Error {
  override readonly name = 'RunFileError';
  readonly exitCode = 2;
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/** What `run.json` says about a run (written at its start, rewritten on --resume). */
export interface RunInfo {
  modelName: string;
  specHash: string;
  tasks: string[];
  singleTask?: string;
  seed: number;
  epochs: number;
  batchSize: number;
  backend: string;
  /** Later additions; absent in runs written before them. */
  workers?: number;
  /** The torch engine's ranks (--nproc). */
  nproc?: number;
  data?: string;
  /** sha256 of the training data (a file's bytes and how it is read; MultiMNIST's options): --resume refuses other data. */
  dataDigest?: string;
  startedAt?: string;
  variant?: string;
}

/** The text of a regular file, or undefined when it does not exist. A FIFO or device is refused (reading it could block forever). */
export async function readRunText(file: string, what: string): Promise<string | undefined> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new RunFileError(file, `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  if (stat.isDirectory()) throw new RunFileError(file, `${file}: is a directory, expected the run's ${what}`);
  if (!stat.isFile()) throw new RunFileError(file, `${file}: not a regular file (a pipe or device), expected the run's ${what}`);
  if (stat.size > MAX_RECORD_BYTES) throw new RunFileError(file, `${file}: ${(stat.size / 2 ** 20).toFixed(0)} MiB is too large for a run's ${what}`);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw new RunFileError(file, `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RunFileError(file, `${file}: not UTF-8 text; the file is corrupt`);
  }
  return text.replace(/^\uFEFF/, '');
}

// ---- shape checks: each returns the value or throws a message naming where in the record -------

type Where = string;

/** A message quoting file content, on one line with no terminal control characters. */
const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);

class Shape extends Error {}

function record(v: unknown, where: Where): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Shape(`${where}: expected an object`);
  return v as Record<string, unknown>;
}
function str(v: unknown, where: Where): string {
  if (typeof v !== 'string') throw new Shape(`${where}: expected a string`);
  return v;
}
/** A number; JSON has no NaN, so a NaN metric was written as null and reads back as NaN. */
function num(v: unknown, where: Where, nullable = false): number {
  if (v === null && nullable) return Number.NaN;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Shape(`${where}: expected a number`);
  return v;
}
function int(v: unknown, where: Where, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Shape(`${where}: expected an integer ≥ ${min}`);
  return v;
}
function list<T>(v: unknown, where: Where, item: (x: unknown, where: Where) => T): T[] {
  if (!Array.isArray(v)) throw new Shape(`${where}: expected a list`);
  return v.map((x, i) => item(x, `${where}[${i}]`));
}
function optional<T>(o: Record<string, unknown>, key: string, where: Where, read: (x: unknown, where: Where) => T): T | undefined {
  return o[key] === undefined ? undefined : read(o[key], `${where}.${key}`);
}
function numbers(v: unknown, where: Where): Record<string, number> {
  const o = record(v, where);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, num(x, `${where}.${k}`, true)]));
}

function epochRecord(v: unknown, where: Where): EpochRecord {
  const o = record(v, where);
  const epoch = int(o['epoch'], `${where}.epoch`, 1);
  const tasks = record(o['tasks'], `${where}.tasks`);
  const out: EpochRecord = {
    epoch,
    loss: num(o['loss'], `${where}.loss`, true),
    tasks: Object.fromEntries(
      Object.entries(tasks).map(([t, s]) => {
        const r = record(s, `${where}.tasks.${t}`);
        return [t, { loss: num(r['loss'], `${where}.tasks.${t}.loss`, true), weight: num(r['weight'], `${where}.tasks.${t}.weight`), metrics: numbers(r['metrics'], `${where}.tasks.${t}.metrics`) }];
      }),
    ),
    examples: int(o['examples'], `${where}.examples`, 0),
  };
  if (o['val'] !== undefined) {
    const val = record(o['val'], `${where}.val`);
    const vt = record(val['tasks'], `${where}.val.tasks`);
    out.val = {
      loss: num(val['loss'], `${where}.val.loss`, true),
      tasks: Object.fromEntries(
        Object.entries(vt).map(([t, s]) => {
          const r = record(s, `${where}.val.tasks.${t}`);
          return [t, { loss: num(r['loss'], `${where}.val.tasks.${t}.loss`, true), metrics: numbers(r['metrics'], `${where}.val.tasks.${t}.metrics`) }];
        }),
      ),
    };
  }
  const logVariance = optional(o, 'logVariance', where, numbers);
  if (logVariance) out.logVariance = logVariance;
  const labelled = optional(o, 'labelled', where, (x, w) => Object.fromEntries(Object.entries(record(x, w)).map(([k, n]) => [k, int(n, `${w}.${k}`, 0)])));
  if (labelled) out.labelled = labelled;
  return out;
}

/** Nested arrays of numbers with exactly `shape`. */
function tensorValues(v: unknown, shape: readonly number[], where: Where): unknown {
  if (shape.length === 0) return num(v, where);
  if (!Array.isArray(v) || v.length !== shape[0]) throw new Shape(`${where}: expected ${shape[0]} values (shape [${shape.join(', ')}])`);
  return v.map((x, i) => tensorValues(x, shape.slice(1), `${where}[${i}]`));
}

const MODES = ['channel', 'scalar', 'unit'] as const;

function junctionAlpha(v: unknown, where: Where): JunctionAlpha {
  const o = record(v, where);
  const mode = str(o['mode'], `${where}.mode`);
  if (!(MODES as readonly string[]).includes(mode)) throw new Shape(`${where}.mode: expected one of ${MODES.join(', ')}, got '${mode}'`);
  const shape = list(o['shape'], `${where}.shape`, (x, w) => int(x, w, 1));
  const rank = mode === 'channel' ? 3 : 2;
  if (shape.length !== rank || shape[0] !== shape[1]) throw new Shape(`${where}.shape: a ${mode}-mode α is ${mode === 'channel' ? '[N, N, C]' : mode === 'scalar' ? '[N, N]' : '[D, D]'}, got [${shape.join(', ')}]`);
  const towers = list(o['towers'], `${where}.towers`, str);
  if (mode !== 'unit' && towers.length > 0 && towers.length !== shape[0]) throw new Shape(`${where}.towers: ${towers.length} names for ${shape[0]} towers`);
  const kind = optional(o, 'kind', where, str);
  return {
    name: str(o['name'], `${where}.name`),
    ...(kind !== undefined ? { kind } : {}),
    layerName: typeof o['layerName'] === 'string' ? o['layerName'] : str(o['name'], `${where}.name`),
    ...(o['kind'] !== undefined ? { kind: str(o['kind'], `${where}.kind`) } : {}),
    mode: mode as JunctionAlpha['mode'],
    towers,
    shape,
    values: tensorValues(o['values'], shape, `${where}.values`),
    ...(o['widths'] !== undefined ? { widths: list(o['widths'], `${where}.widths`, (x, w) => int(x, w, 1)) } : {}),
    ...(o['cell'] !== undefined ? { cell: str(o['cell'], `${where}.cell`) } : {}),
  };
}

function runInfo(v: unknown, where: Where): RunInfo {
  const o = record(v, where);
  const info: RunInfo = {
    modelName: str(o['modelName'], `${where}.modelName`),
    specHash: str(o['specHash'], `${where}.specHash`),
    tasks: list(o['tasks'], `${where}.tasks`, str),
    seed: int(o['seed'], `${where}.seed`, 0),
    epochs: int(o['epochs'], `${where}.epochs`, 1),
    batchSize: int(o['batchSize'], `${where}.batchSize`, 1),
    backend: str(o['backend'], `${where}.backend`),
  };
  const singleTask = optional(o, 'singleTask', where, str);
  if (singleTask !== undefined) info.singleTask = singleTask;
  const workers = optional(o, 'workers', where, (x, w) => int(x, w, 1));
  if (workers !== undefined) info.workers = workers;
  const nproc = optional(o, 'nproc', where, (x, w) => int(x, w, 1));
  if (nproc !== undefined) info.nproc = nproc;
  for (const key of ['data', 'dataDigest', 'startedAt', 'variant'] as const) {
    const s = optional(o, key, where, str);
    if (s !== undefined) info[key] = s;
  }
  return info;
}

function parseJson(text: string, file: string, line?: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new RunFileError(file, `${file}${line ? `:${line}` : ''}: invalid JSON (${oneLine((e as Error).message)}); the file is corrupt`);
  }
}

function checked<T>(file: string, line: number | undefined, read: () => T, what: string): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof Shape) throw new RunFileError(file, `${file}${line ? `:${line}` : ''}: ${oneLine(e.message)}; not ${what} written by mtlc train`);
    throw e;
  }
}

// ---- the readers ---------------------------------------------------------------------------------

/** The epochs of `metrics.jsonl`, checked line by line. */
export function parseMetrics(text: string, file: string): EpochRecord[] {
  const out: EpochRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const value = parseJson(line, file, i + 1);
    out.push(checked(file, i + 1, () => epochRecord(value, 'record'), 'an epoch record'));
  });
  return out;
}

export async function readMetrics(runDir: string): Promise<EpochRecord[] | undefined> {
  const file = path.join(runDir, METRICS_FILE);
  const text = await readRunText(file, 'metrics');
  return text === undefined ? undefined : parseMetrics(text, file);
}

export function parseAlphas(text: string, file: string): { modelName?: string; alphas: JunctionAlpha[] } {
  const value = parseJson(text, file);
  return checked(
    file,
    undefined,
    () => {
      const o = record(value, 'alphas.json');
      const modelName = optional(o, 'modelName', 'alphas.json', str);
      return { ...(modelName !== undefined ? { modelName } : {}), alphas: list(o['alphas'], 'alphas', junctionAlpha) };
    },
    'an α file',
  );
}

export function parseRunInfo(text: string, file: string): RunInfo {
  const value = parseJson(text, file);
  return checked(file, undefined, () => runInfo(value, 'run.json'), 'a run description');
}

/** `run.json` of a run folder, or undefined when there is none. */
export async function readRunInfo(runDir: string): Promise<RunInfo | undefined> {
  const file = path.join(runDir, RUN_FILE);
  const text = await readRunText(file, 'description');
  return text === undefined ? undefined : parseRunInfo(text, file);
}

/**
 * α of a run that never finished (killed, or still training): the mixes its checkpoint recorded
 * (`checkpoint/alphas.json`, each junction as its kind reports it), or, for checkpoints without
 * that file, decoded from the checkpoint's model (the `CrossStitch` layers' `alpha` weights,
 * float32), with each junction's towers traced through the saved topology; the junctions of
 * other kinds are then named in `undecoded`. Undefined when the run has no checkpoint.
 */
export async function readCheckpointAlphas(runDir: string, tasks: readonly string[] = []): Promise<{ alphas: JunctionAlpha[]; undecoded: string[] } | undefined> {
  for (const dir of [path.join(runDir, CHECKPOINT_DIR), path.join(runDir, `${CHECKPOINT_DIR}.old`)]) {
    const modelJson = path.join(dir, MODEL_DIR, 'model.json');
    const text = await readRunText(modelJson, 'checkpoint model');
    if (text === undefined) continue;
    const recordedFile = path.join(dir, ALPHAS_FILE);
    const recorded = await readRunText(recordedFile, 'α file');
    if (recorded !== undefined) return { alphas: parseAlphas(recorded, recordedFile).alphas, undecoded: [] };
    const value = parseJson(text, modelJson);
    const parsed = checked(modelJson, undefined, () => checkpointTopology(value), 'a TensorFlow.js model');
    const bin = path.join(dir, MODEL_DIR, parsed.path);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(bin);
    } catch (e) {
      throw new RunFileError(bin, `cannot read the checkpoint weights ${bin}: ${(e as Error).message}`);
    }
    if (bytes.byteLength !== parsed.bytes) throw new RunFileError(bin, `${bin}: ${bytes.byteLength} bytes, its model.json describes ${parsed.bytes}; the checkpoint is truncated or corrupt`);
    const towersOf = traceTowers(parsed.layers, tasks);
    const decoded = parsed.alphas.map((a): JunctionAlpha => {
      const count = a.shape.reduce((x, y) => x * y, 1);
      const flat = Array.from({ length: count }, (_, i) => bytes.readFloatLE(a.offset + 4 * i));
      const towers = towersOf(a.layer);
      return { name: a.layer.replace(/^cross_stitch_/, ''), layerName: a.layer, mode: a.mode, towers, shape: a.shape, values: nest(flat, a.shape) };
    });
    // Junction layers of other kinds (named cross_stitch_<name> like every junction) whose mix only their kind can compute.
    const undecoded = parsed.layers.filter((l) => l.name.startsWith('cross_stitch_') && l.className !== 'CrossStitch').map((l) => l.name.replace(/^cross_stitch_/, ''));
    return { alphas: decoded, undecoded };
  }
  return undefined;
}

function nest(flat: number[], shape: readonly number[]): unknown {
  if (shape.length <= 1) return flat;
  const size = shape.slice(1).reduce((x, y) => x * y, 1);
  return Array.from({ length: shape[0]! }, (_, i) => nest(flat.slice(i * size, (i + 1) * size), shape.slice(1)));
}

interface TopologyLayer {
  name: string;
  className: string;
  /** The layer's inputs: [layer name, output index]. */
  inputs: [string, number][];
}

function checkpointTopology(value: unknown): { layers: TopologyLayer[]; path: string; bytes: number; alphas: { layer: string; mode: JunctionAlpha['mode']; shape: number[]; offset: number }[] } {
  const o = record(value, 'model.json');
  const topology = record(record(o['modelTopology'], 'modelTopology')['config'], 'modelTopology.config');
  const layers = list(topology['layers'], 'modelTopology.config.layers', (l, w) => {
    const r = record(l, w);
    const inbound = list(r['inbound_nodes'] ?? [], `${w}.inbound_nodes`, (n, wn) => list(n, wn, (e, we) => list(e, we, (x) => x)));
    return {
      name: str(r['name'], `${w}.name`),
      className: str(r['class_name'], `${w}.class_name`),
      mode: (record(r['config'] ?? {}, `${w}.config`)['mode'] ?? 'channel') as unknown,
      inputs: (inbound[0] ?? []).map((e, i) => [str(e[0], `${w}.inbound_nodes[0][${i}][0]`), int(e[2], `${w}.inbound_nodes[0][${i}][2]`, 0)] as [string, number]),
    };
  });
  const groups = list(o['weightsManifest'], 'weightsManifest', record);
  if (groups.length !== 1) throw new Shape('weightsManifest: expected one group (mtlc writes one weights.bin)');
  const paths = list(groups[0]!['paths'], 'weightsManifest[0].paths', str);
  if (paths.length !== 1 || paths[0]!.includes('/') || paths[0]!.includes('\\')) throw new Shape('weightsManifest[0].paths: expected one file beside model.json');
  let offset = 0;
  const alphas: { layer: string; mode: JunctionAlpha['mode']; shape: number[]; offset: number }[] = [];
  const crossStitch = new Map(layers.filter((l) => l.className === 'CrossStitch').map((l) => [l.name, l]));
  for (const [i, w] of list(groups[0]!['weights'], 'weightsManifest[0].weights', record).entries()) {
    const where = `weightsManifest[0].weights[${i}]`;
    const name = str(w['name'], `${where}.name`);
    const shape = list(w['shape'], `${where}.shape`, (x, wx) => int(x, wx, 0));
    const dtype = str(w['dtype'], `${where}.dtype`);
    if (dtype !== 'float32' && dtype !== 'int32') throw new Shape(`${where}.dtype: expected float32 or int32, got '${dtype}'`);
    const [layer, weight] = name.split('/');
    const cs = layer !== undefined ? crossStitch.get(layer) : undefined;
    if (cs && weight === 'alpha') {
      const mode = String(cs.mode);
      if (!(MODES as readonly string[]).includes(mode)) throw new Shape(`layer ${layer}: unknown cross-stitch mode '${mode}'`);
      alphas.push({ layer: layer!, mode: mode as JunctionAlpha['mode'], shape, offset });
    }
    offset += 4 * shape.reduce((x, y) => x * y, 1);
  }
  return { layers: layers.map(({ name, className, inputs }) => ({ name, className, inputs })), path: paths[0]!, bytes: offset, alphas };
}

/** The tower each input of a cross-stitch layer comes from: `<task>_<layer>`, or output k of an earlier junction. */
function traceTowers(layers: readonly TopologyLayer[], tasks: readonly string[]): (layer: string) => string[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const byLength = [...tasks].sort((a, b) => b.length - a.length);
  const towerOf = (name: string, index: number, depth: number): string => {
    const l = byName.get(name);
    if (l?.className === 'CrossStitch' && depth < 1000) {
      const input = l.inputs[index];
      return input ? towerOf(input[0], input[1], depth + 1) : `#${index}`;
    }
    return byLength.find((t) => name === t || name.startsWith(`${t}_`)) ?? name;
  };
  return (layer) => (byName.get(layer)?.inputs ?? []).map(([name, index]) => towerOf(name, index, 0));
}

/** α of a run: its `alphas.json` when it finished, else its last checkpoint's. */
export async function readRunAlphas(runDir: string): Promise<{ alphas: JunctionAlpha[]; modelName?: string; from: 'final' | 'checkpoint'; undecoded?: string[] } | undefined> {
  const file = path.join(runDir, ALPHAS_FILE);
  const text = await readRunText(file, 'α file');
  if (text !== undefined) return { ...parseAlphas(text, file), from: 'final' };
  const info = await readRunInfo(runDir);
  const read = await readCheckpointAlphas(runDir, info?.tasks ?? []);
  if (!read) return undefined;
  return { alphas: read.alphas, ...(info ? { modelName: info.modelName } : {}), from: 'checkpoint', ...(read.undecoded.length > 0 ? { undecoded: read.undecoded } : {}) };
}

/**
 * A checkpoint's `state.json`, checked (the fields `CheckpointState` in checkpoint.ts declares).
 * Optimizer group names become file names, so they are plain words.
 */
export function checkpointState(text: string, file: string): Record<string, unknown> & { epoch: number } {
  const value = parseJson(text, file);
  return checked(
    file,
    undefined,
    () => {
      const o = record(value, 'state');
      if (o['version'] !== 1) throw new Shape(`state.version: expected 1, got ${JSON.stringify(o['version'])}`);
      const rng = list(o['rng'], 'state.rng', (x, w) => int(x, w, -(2 ** 31)));
      if (rng.length !== 4 || rng.every((x) => x === 0) || rng.some((x) => x >= 2 ** 32)) throw new Shape('state.rng: expected four 32-bit integers, not all 0');
      const logVariance = optional(o, 'logVariance', 'state', numbers);
      const singleTask = optional(o, 'singleTask', 'state', str);
      const engine = optional(o, 'engine', 'state', str);
      const epoch = int(o['epoch'], 'state.epoch', 0);
      const history = list(o['history'], 'state.history', epochRecord);
      if (history.length !== epoch || history.some((h, i) => h.epoch !== i + 1)) throw new Shape(`state.epoch: ${epoch}, but the history holds epochs ${history.map((h) => h.epoch).join(', ') || 'none'}`);
      return {
        version: 1,
        modelName: str(o['modelName'], 'state.modelName'),
        specHash: str(o['specHash'], 'state.specHash'),
        epoch,
        seed: int(o['seed'], 'state.seed', 0),
        rng,
        history,
        lossHistory: list(o['lossHistory'], 'state.lossHistory', numbers),
        ...(logVariance ? { logVariance } : {}),
        ...(singleTask !== undefined ? { singleTask } : {}),
        ...(engine !== undefined ? { engine } : {}),
        optimizers: list(o['optimizers'], 'state.optimizers', (x, w) => {
          const g = str(x, w);
          // Plain words, and a junction kind's own group: `junction-x10`, `junction-x0.5`.
          if (!/^[a-z][a-z0-9]*(-[a-z0-9.]+)*$/.test(g) || g.includes('..')) throw new Shape(`${w}: '${g}' is not an optimizer group name`);
          return g;
        }),
      };
    },
    'a checkpoint state',
  );
}

/**
 * What a training run is asked to be. `given` are the values set explicitly (flags or options):
 * on `--resume` they must equal the run's (they change its meaning), and those not given are
 * taken from the run.
 */
export interface RunRequest {
  epochs: number;
  given: { seed?: number; batchSize?: number; singleTask?: string; workers?: number; nproc?: number };
}

/** The run's own values, for a resume that did not give them. */
export interface RunKept {
  seed: number;
  batchSize: number;
  singleTask?: string;
  workers?: number;
  nproc?: number;
}

/** --init-from would be silently undone by --resume, which loads the checkpoint's weights over them. */
export const INIT_FROM_AND_RESUME =
  "--init-from starts a new run from other runs' towers and --resume continues this one from its checkpoint (whose weights would replace them); give one of them";

/** Files and folders a run writes (and `--restart` removes). */
const RUN_ENTRIES = [RUN_FILE, METRICS_FILE, ALPHAS_FILE, 'report.html', CHECKPOINT_DIR, `${CHECKPOINT_DIR}.old`, MODEL_DIR];
const TEMP_ENTRY = /^\.(checkpoint-tmp-|run\.json\.tmp-|metrics\.jsonl\.tmp-|alphas\.json\.tmp-|report\.html\.tmp-)/;

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Before training into `out`: a folder holding a run is never overwritten silently. Without
 * `resume` or `restart` it is refused; `restart` removes the old run's records first; `resume`
 * refuses options that would change the run's meaning (naming them) and says when the checkpoint
 * already has the epochs asked for (`done`: nothing to train) or more (refused).
 */
export async function prepareRunFolder(out: string, mode: { resume: boolean; restart: boolean }, request: RunRequest): Promise<{ done?: string; note?: string; kept?: RunKept }> {
  if (mode.resume && mode.restart) throw new RunFileError(out, '--resume continues the run in --out and --restart discards it; give one of them');
  const present: string[] = [];
  for (const e of RUN_ENTRIES) if (await exists(path.join(out, e))) present.push(e);
  if (present.length === 0) return {};
  const info = await readRunInfo(out).catch((e: unknown) => {
    if (mode.restart) return undefined; // a corrupt run is discarded all the same
    throw e;
  });
  const metrics = await readMetrics(out).catch(() => undefined);
  const what = `${metrics?.length ?? 0} epoch(s)${info ? `, seed ${info.seed}, batch size ${info.batchSize}` : ''}`;
  if (mode.restart) {
    const names = await fs.readdir(out);
    for (const e of [...RUN_ENTRIES, ...names.filter((n) => TEMP_ENTRY.test(n))]) await fs.rm(path.join(out, e), { recursive: true, force: true });
    return { note: `restart: removed the previous run in ${out} (${what})` };
  }
  if (!mode.resume) {
    throw new RunFileError(out, `${out} already holds a training run (${what}); pass --resume to continue it, --restart to discard it and train from scratch, or another --out`);
  }
  let kept: RunKept | undefined;
  if (info) {
    const g = request.given;
    const changed: string[] = [];
    if (g.seed !== undefined && info.seed !== g.seed) changed.push(`--seed ${g.seed} (the run's is ${info.seed})`);
    if (g.batchSize !== undefined && info.batchSize !== g.batchSize) changed.push(`--batch-size ${g.batchSize} (the run's is ${info.batchSize})`);
    if (g.singleTask !== undefined && info.singleTask !== g.singleTask) changed.push(`--single-task ${g.singleTask} (the run trained ${info.singleTask ? `task ${info.singleTask} alone` : 'every task'})`);
    if (g.workers !== undefined && info.workers !== undefined && info.workers !== g.workers) changed.push(`--workers ${g.workers} (the run's is ${info.workers})`);
    if (g.nproc !== undefined && info.nproc !== undefined && info.nproc !== g.nproc) changed.push(`--nproc ${g.nproc} (the run's is ${info.nproc})`);
    if (changed.length > 0) {
      throw new RunFileError(out, `--resume would change the run in ${out}: ${changed.join(', ')}; drop those flags to continue it as it was, or train into another --out (or --restart)`);
    }
    kept = { seed: info.seed, batchSize: info.batchSize, ...(info.singleTask !== undefined ? { singleTask: info.singleTask } : {}), ...(info.workers !== undefined ? { workers: info.workers } : {}), ...(info.nproc !== undefined ? { nproc: info.nproc } : {}) };
  }
  for (const dir of [path.join(out, CHECKPOINT_DIR), path.join(out, `${CHECKPOINT_DIR}.old`)]) {
    const file = path.join(dir, 'state.json');
    const text = await readRunText(file, 'checkpoint state');
    if (text === undefined) continue;
    const { epoch } = checkpointState(text, file);
    if (epoch > request.epochs) {
      throw new RunFileError(file, `--resume: the checkpoint in ${dir} is after epoch ${epoch}, past the ${request.epochs} epoch(s) asked for; pass --epochs ${epoch + 1} or more to train further`);
    }
    if (epoch === request.epochs) return { done: `the run in ${out} already has ${epoch} epoch(s); nothing to train (pass --epochs ${epoch + 1} or more to train further)` };
    return kept ? { kept } : {};
  }
  // No checkpoint to continue from: "resuming" would train from scratch over trained epochs or a
  // final model. Only a run killed before its first checkpoint has nothing to lose.
  if ((metrics?.length ?? 0) > 0 || present.includes(MODEL_DIR)) {
    throw new RunFileError(out, `--resume: ${out} holds a run (${what}) but no checkpoint to continue from; pass --restart to discard it and train from scratch, or another --out`);
  }
  return kept ? { kept } : {};
}

/**
 * What identifies a run's training data: sha256 of a data file's bytes and of how it is read (a
 * moved or renamed copy is the same data), or of MultiMNIST's options. Undefined for data given in
 * code (tensors, a tf.data dataset), which --resume cannot check.
 */
export async function dataDigest(data: { readonly format: string; readonly path?: string } & object): Promise<string> {
  const hash = createHash('sha256');
  const { path: file, ...reading } = data as { path?: string };
  hash.update(canonicalJson(reading));
  if (file !== undefined) {
    try {
      for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    } catch {
      return 'unreadable'; // the data loader reports it
    }
  }
  return hash.digest('hex');
}

/** JSON with every object's keys sorted: the same options give the same text, however built. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** --resume with data other than the run's (another file, or the file changed since) is another run. */
export async function refuseOtherData(out: string, digest: string | undefined, label: string): Promise<void> {
  if (digest === undefined) return;
  const info = await readRunInfo(out).catch(() => undefined);
  if (info?.dataDigest === undefined || info.dataDigest === digest) return;
  throw new RunFileError(
    out,
    `--resume would change the run in ${out}: its data is not the data the run trained on (now ${label}; the run's was ${info.data ?? 'another'}${info.data === label ? ', since changed' : ''}); continue with the run's data, or train into another --out (or --restart)`,
  );
}
