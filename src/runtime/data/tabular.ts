/**
 * JSONL and CSV data, read as streams (readline): batches are built lazily, so files larger
 * than memory work; shuffling happens within a buffer. Every row is checked; a bad row stops
 * with a `DataError` naming file, line and field.
 *
 * Inputs: one field holding an array (nested arrays are flattened; in CSV a JSON array or
 * numbers separated by spaces or semicolons), or a list of scalar fields. Targets: one field
 * per task holding a number or an array; a class index becomes one-hot for categorical losses.
 * A task's field may be missing, null or (CSV) empty: the example is unlabelled for that task
 * (partially labelled data; the batch carries a mask). A task labelled on no row is an error.
 */
import { createReadStream, promises as fs } from 'node:fs';
import * as readline from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random.js';
import { DataError, type Batch, type BatchSource } from './types.js';

export interface TabularTask {
  name: string;
  field: string;
  /** Output width (the head's units). */
  units: number;
  /** Target is one-hot of width `units`; a class index is encoded. */
  oneHot: boolean;
  /** Target is a class index (sparse categorical). */
  index: boolean;
  /** Allowed target values (inclusive), and why. */
  range?: readonly [number, number];
  rangeWhy?: string;
}

export interface TabularSpec {
  format: 'jsonl' | 'csv';
  path: string;
  input: string | readonly string[];
  inputShape: readonly number[];
  tasks: readonly TabularTask[];
  /** Keep only rows in the train or validation part of a deterministic split. */
  split?: { fraction: number; take: 'train' | 'val' };
}

interface Row {
  x: Float32Array;
  /** Per task, its target, or null where the row has no label for the task. */
  y: (Float32Array | null)[];
}

/** RFC 4180 fields of one record (quotes, doubled quotes, commas inside quotes). */
export function parseCsvRecord(text: string): { fields: string[]; complete: boolean } {
  const fields: string[] = [];
  let cur = '';
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQuotes = false;
      } else cur += ch;
    } else if (ch === '"' && cur === '') inQuotes = true;
    else if (ch === ',') {
      fields.push(cur);
      cur = '';
    } else cur += ch;
  }
  fields.push(cur);
  return { fields, complete: !inQuotes };
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function flattenNumbers(v: unknown, out: number[]): boolean {
  if (Array.isArray(v)) return v.every((e) => flattenNumbers(e, out));
  if (typeof v === 'number') {
    out.push(v);
    return true;
  }
  return false;
}

/** A CSV cell as a value: a JSON array, numbers separated by spaces/semicolons, or a number. */
function csvValue(cell: string): unknown {
  const t = cell.trim();
  if (t === '') return undefined;
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return t;
    }
  }
  if (/[\s;]/.test(t)) {
    const parts = t.split(/[\s;]+/).filter((p) => p !== '');
    return parts.map((p) => (isNumeric(p) ? Number(p) : p));
  }
  return isNumeric(t) ? Number(t) : t;
}

function isNumeric(s: string): boolean {
  return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s.trim()) || /^[+-]?(Infinity|NaN)$/.test(s.trim());
}

function describeValue(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function hashKeep(line: number, split: TabularSpec['split']): boolean {
  if (!split) return true;
  const h = (Math.imul(line, 2654435761) >>> 0) / 4294967296;
  return split.take === 'val' ? h < split.fraction : h >= split.fraction;
}

export class TabularSource implements BatchSource {
  readonly describe: string;
  size: number | undefined;
  labelCounts: Record<string, number> | undefined;

  constructor(private readonly spec: TabularSpec) {
    this.describe = spec.path;
  }

  private numbers(v: unknown, line: number, field: string): number[] {
    if (v === undefined || v === null) throw new DataError(this.spec.path, line, field, 'missing');
    const out: number[] = [];
    if (!flattenNumbers(v, out)) throw new DataError(this.spec.path, line, field, `not numeric: ${describeValue(v)}`);
    const bad = out.findIndex((n) => !Number.isFinite(n));
    if (bad >= 0) throw new DataError(this.spec.path, line, field, `${out[bad]} at position ${bad} is not a finite number`);
    return out;
  }

  /** Turns one record (field -> value) into a row, or throws DataError. */
  private toRow(get: (field: string) => unknown, line: number): Row {
    const { input, inputShape, tasks } = this.spec;
    const want = prod(inputShape);
    let x: number[];
    if (typeof input === 'string') {
      x = this.numbers(get(input), line, input);
      if (x.length !== want) throw new DataError(this.spec.path, line, input, `has ${x.length} values, expected ${want} (input shape [${inputShape.join(', ')}])`);
    } else {
      if (input.length !== want) throw new DataError(this.spec.path, line, undefined, `${input.length} input fields given, input shape [${inputShape.join(', ')}] needs ${want}`);
      x = input.map((f) => {
        const v = this.numbers(get(f), line, f);
        if (v.length !== 1) throw new DataError(this.spec.path, line, f, `expected one number, got ${v.length}`);
        return v[0]!;
      });
    }
    const y = tasks.map((t) => {
      const value = get(t.field);
      if (value === undefined || value === null) return null;
      const v = this.numbers(value, line, t.field);
      if (t.index) {
        if (v.length !== 1 || !Number.isInteger(v[0]) || v[0]! < 0 || v[0]! >= t.units) {
          throw new DataError(this.spec.path, line, t.field, `expected a class index in 0..${t.units - 1}, got ${describeValue(v.length === 1 ? v[0] : v)}`);
        }
        return Float32Array.of(v[0]!);
      }
      if (t.oneHot && v.length === 1 && t.units > 1) {
        const k = v[0]!;
        if (!Number.isInteger(k) || k < 0 || k >= t.units) throw new DataError(this.spec.path, line, t.field, `class index ${k} is not an integer in 0..${t.units - 1}`);
        const oh = new Float32Array(t.units);
        oh[k] = 1;
        return oh;
      }
      if (v.length !== t.units) throw new DataError(this.spec.path, line, t.field, `has ${v.length} values, expected ${t.units}${t.oneHot ? ' (one-hot) or a class index' : ''}`);
      if (t.range) {
        const [lo, hi] = t.range;
        const bad = v.findIndex((x) => x < lo || x > hi);
        if (bad >= 0) throw new DataError(this.spec.path, line, t.field, `${v[bad]}${v.length > 1 ? ` at position ${bad}` : ''} is outside [${lo}, ${hi}] (${t.rangeWhy ?? 'the loss needs it'})`);
      }
      return Float32Array.from(v);
    });
    return { x: Float32Array.from(x), y };
  }

  /** Rows of the file in order, checked. */
  async *rows(): AsyncGenerator<Row> {
    const { path: file, format } = this.spec;
    let stat;
    try {
      stat = await fs.stat(file);
    } catch (e) {
      throw new DataError(file, undefined, undefined, `cannot read the file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 2);
    }
    // A pipe or device would block, or could not be read again each epoch.
    if (stat.isDirectory()) throw new DataError(file, undefined, undefined, 'is a directory, not a data file', 2);
    if (!stat.isFile()) throw new DataError(file, undefined, undefined, 'not a regular file (a pipe or device); training reads the data once to check it and again every epoch, so it must be a file', 2);
    const rl = readline.createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    let lineNo = 0;
    let header: string[] | undefined;
    let pending = '';
    let pendingLine = 0;
    try {
      for await (const line of rl) {
        lineNo++;
        // A UTF-8 byte-order mark (editors on Windows write one) is not part of the first record.
        const raw = lineNo === 1 ? line.replace(/^\uFEFF/, '') : line;
        // UTF-16 (what some spreadsheet tools export as "Unicode text") read as UTF-8: NULs, or its byte-order mark undecodable.
        if (lineNo === 1 && (raw.includes('\u0000') || raw.startsWith('\uFFFD\uFFFD'))) {
          throw new DataError(file, 1, undefined, 'not UTF-8 text (a UTF-16 file?); save it as UTF-8');
        }
        if (format === 'jsonl') {
          if (raw.trim() === '') continue;
          if (!hashKeep(lineNo, this.spec.split)) continue;
          let obj: unknown;
          try {
            obj = JSON.parse(raw);
          } catch (e) {
            throw new DataError(file, lineNo, undefined, `invalid JSON: ${(e as Error).message}`);
          }
          if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new DataError(file, lineNo, undefined, 'expected a JSON object per line');
          const rec = obj as Record<string, unknown>;
          yield this.toRow((f) => (Object.prototype.hasOwnProperty.call(rec, f) ? rec[f] : undefined), lineNo);
          continue;
        }
        // CSV: a quoted field may span lines.
        if (pending === '') {
          if (raw.trim() === '') continue;
          pendingLine = lineNo;
        }
        pending = pending === '' ? raw : `${pending}\n${raw}`;
        const { fields, complete } = parseCsvRecord(pending);
        if (!complete) continue;
        pending = '';
        if (!header) {
          header = fields.map((f) => f.trim());
          const needed = [...(typeof this.spec.input === 'string' ? [this.spec.input] : this.spec.input), ...this.spec.tasks.map((t) => t.field)];
          const missing = needed.filter((f) => !header!.includes(f));
          if (missing.length > 0) {
            throw new DataError(file, pendingLine, missing[0], `column missing from the header (columns: ${header.join(', ')})`);
          }
          continue;
        }
        if (!hashKeep(pendingLine, this.spec.split)) continue;
        if (fields.length !== header.length) throw new DataError(file, pendingLine, undefined, `has ${fields.length} fields, the header has ${header.length}`);
        const cols = header;
        yield this.toRow((f) => csvValue(fields[cols.indexOf(f)] ?? ''), pendingLine);
      }
      if (pending !== '') throw new DataError(file, pendingLine, undefined, 'unterminated quoted field');
      if (format === 'csv' && !header) throw new DataError(file, undefined, undefined, 'empty CSV file (no header)');
    } finally {
      rl.close();
    }
  }

  /**
   * Reads the whole file once, checking every row; sets `size` and `labelCounts`. A task
   * labelled on no row is an error (a misspelled field name would otherwise mask it silently).
   */
  async check(): Promise<number> {
    let n = 0;
    const counts = this.spec.tasks.map(() => 0);
    for await (const row of this.rows()) {
      n++;
      row.y.forEach((y, k) => {
        if (y) counts[k]!++;
      });
    }
    this.size = n;
    if (n === 0) {
      const split = this.spec.split;
      // The validation part may be empty (no validation then); an empty training part may be the split's doing.
      throw new DataError(this.spec.path, undefined, undefined, split?.take === 'train' ? `no data rows for training (validationSplit ${split.fraction} took every row for validation, or the file has none)` : 'no data rows');
    }
    this.spec.tasks.forEach((t, k) => {
      if (counts[k] === 0) {
        throw new DataError(this.spec.path, undefined, t.field, `no row has a label for task '${t.name}' (is the field name right?)`);
      }
    });
    this.labelCounts = Object.fromEntries(this.spec.tasks.map((t, k) => [t.name, counts[k]!]));
    return n;
  }

  async *batches(batchSize: number, shuffleSeed: number | null): AsyncGenerator<Batch> {
    const rng = shuffleSeed === null ? null : new Rng(shuffleSeed);
    const bufferSize = rng ? Math.max(1024, batchSize * 8) : 0;
    const buffer: Row[] = [];
    let batch: Row[] = [];
    const emit = (): Batch => {
      const rows = batch;
      batch = [];
      return this.toBatch(rows);
    };
    for await (const row of this.rows()) {
      let out: Row = row;
      if (rng) {
        if (buffer.length < bufferSize) {
          buffer.push(row);
          continue;
        }
        const j = rng.int(buffer.length);
        out = buffer[j]!;
        buffer[j] = row;
      }
      batch.push(out);
      if (batch.length === batchSize) yield emit();
    }
    if (rng) rng.shuffle(buffer);
    for (const row of buffer) {
      batch.push(row);
      if (batch.length === batchSize) yield emit();
    }
    if (batch.length > 0) yield emit();
  }

  private toBatch(rows: Row[]): Batch {
    const n = rows.length;
    const { inputShape, tasks } = this.spec;
    const width = prod(inputShape);
    const xs = new Float32Array(n * width);
    rows.forEach((r, i) => xs.set(r.x, i * width));
    const ys: Record<string, tf.Tensor> = {};
    const labelled: Record<string, tf.Tensor1D> = {};
    tasks.forEach((t, k) => {
      const w = t.index ? 1 : t.units;
      const buf = new Float32Array(n * w);
      const mask = new Float32Array(n);
      rows.forEach((r, i) => {
        const y = r.y[k];
        if (!y) return;
        buf.set(y, i * w);
        mask[i] = 1;
      });
      ys[t.name] = t.index ? tf.tensor1d(buf) : tf.tensor2d(buf, [n, w]);
      if (mask.includes(0)) labelled[t.name] = tf.tensor1d(mask);
    });
    const batch: Batch = { xs: tf.tensor(xs, [n, ...inputShape]), ys, size: n };
    if (Object.keys(labelled).length > 0) batch.labelled = labelled;
    return batch;
  }
}
