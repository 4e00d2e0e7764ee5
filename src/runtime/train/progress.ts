/** Progress: a cli-progress bar on a terminal (per-task loss, examples/s, ETA), plain lines otherwise. */
import cliProgress from 'cli-progress';
import type { EpochRecord, ProgressSink } from './types.js';

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));

/**
 * One epoch's line. The total is Σ weight × task loss over the epoch's examples; a task whose
 * weight is not 1 shows it (`×2`), and with uncertainty weighting the total also holds Σ log σ².
 */
export function formatEpoch(r: EpochRecord, epochs: number): string {
  const parts = Object.entries(r.tasks).map(([task, s]) => {
    const m = Object.entries(s.metrics).map(([k, v]) => ` ${k} ${fmt(v)}`).join('');
    const w = Math.abs(s.weight - 1) > 1e-9 ? ` ×${fmt(s.weight)}` : '';
    // Partially labelled data: the task's means are over its labelled examples only.
    const n = r.labelled?.[task];
    const labelled = n !== undefined && n < r.examples ? ` (${n} labelled)` : '';
    return `${task}${labelled}: loss ${fmt(s.loss)}${w}${m}`;
  });
  const total = r.logVariance ? `loss ${fmt(r.loss)} (Σ weight × loss + log σ²)` : `loss ${fmt(r.loss)}`;
  let line = `epoch ${r.epoch}/${epochs}  ${total}  ${parts.join('  ')}`;
  if (r.val) {
    const v = Object.entries(r.val.tasks).map(([task, s]) => `${task}: loss ${fmt(s.loss)}${Object.entries(s.metrics).map(([k, x]) => ` ${k} ${fmt(x)}`).join('')}`);
    line += `  | val ${v.join('  ')}`;
  }
  return line;
}

export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private seen = 0;
  private started = 0;
  private lastPlain = 0;

  constructor(
    private readonly sink: ProgressSink | null,
    private readonly epochs: number,
  ) {}

  startEpoch(epoch: number, total: number | undefined): void {
    this.seen = 0;
    this.started = Date.now();
    this.lastPlain = this.started;
    if (!this.sink) return;
    if (this.sink.isTTY && total !== undefined) {
      const stream = { write: (s: string) => this.sink!.write(s), isTTY: true, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, columns: 100 };
      this.bar = new cliProgress.SingleBar(
        {
          format: `epoch ${epoch}/${this.epochs} [{bar}] {percentage}% {value}/{total} | {losses} | {rate} ex/s | ETA {eta_formatted}`,
          stream: stream as unknown as NodeJS.WritableStream,
          hideCursor: false,
          clearOnComplete: true,
          barsize: 24,
          etaBuffer: 50,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { losses: '', rate: '0' });
    }
  }

  batch(size: number, losses: Record<string, number>, total: number | undefined): void {
    this.seen += size;
    if (!this.sink) return;
    const secs = Math.max((Date.now() - this.started) / 1000, 1e-3);
    const rate = (this.seen / secs).toFixed(0);
    const l = Object.entries(losses).map(([t, v]) => `${t} ${fmt(v)}`).join(' ');
    if (this.bar) {
      this.bar.update(this.seen, { losses: l, rate });
    } else if (Date.now() - this.lastPlain > 10_000) {
      this.lastPlain = Date.now();
      this.sink.write(`  ${this.seen}${total !== undefined ? `/${total}` : ''} examples  ${l}  ${rate} ex/s\n`);
    }
  }

  endEpoch(record: EpochRecord): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
    if (!this.sink) return;
    const secs = Math.max((Date.now() - this.started) / 1000, 1e-3);
    this.sink.write(`${formatEpoch(record, this.epochs)}  (${(record.examples / secs).toFixed(0)} ex/s)\n`);
  }

  line(text: string): void {
    this.sink?.write(`${text}\n`);
  }

  /** Takes an unfinished epoch's bar off the terminal (a run that failed mid-epoch). */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
