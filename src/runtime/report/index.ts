/**
 * `mtlc report <run-dir>`: one HTML page with SVG plots rendered in Node by vega-lite + vega
 * (no browser, no network): per-task loss and metric curves (training and validation) and a
 * heat map of α per junction (per channel in channel mode). Written atomically.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { METRICS_FILE, RunFileError, readMetrics, readRunAlphas, readRunInfo, type RunInfo } from '../train/run-files.js';
import type { EpochRecord, JunctionAlpha } from '../train/types.js';

export const REPORT_FILE = 'report.html';

export class ReportError extends Error {
  override readonly name = 'ReportError';
}

export interface RunRecords {
  modelName: string;
  history: EpochRecord[];
  alphas: JunctionAlpha[];
  /** Where the α come from: the finished run, or the last checkpoint of one that did not finish. */
  alphasFrom?: 'final' | 'checkpoint';
  /** Junctions whose mix the checkpoint does not record (a torch checkpoint's sluice or NDDR junctions). */
  undecoded?: string[];
  /** run.json (backend, seed, batch size, ...), when the run has one. */
  info?: RunInfo;
  /** When the run's records were last written (ISO date). */
  date?: string;
}

/** Reads metrics.jsonl (required), run.json and α (final or checkpoint; optional) of a run directory. */
export async function readRun(runDir: string): Promise<RunRecords> {
  const metricsFile = path.join(runDir, METRICS_FILE);
  let history: EpochRecord[] | undefined;
  let info: RunInfo | undefined;
  let alphas: Awaited<ReturnType<typeof readRunAlphas>>;
  try {
    history = await readMetrics(runDir);
    if (history === undefined) throw new ReportError(`${metricsFile}: not found; is ${runDir} a run directory (written by mtlc train --out)?`);
    info = await readRunInfo(runDir);
    alphas = await readRunAlphas(runDir);
  } catch (e) {
    if (e instanceof RunFileError) throw new ReportError(e.message);
    throw e;
  }
  const modelName = alphas?.modelName ?? info?.modelName ?? path.basename(path.resolve(runDir));
  const date = info?.startedAt ?? (await fs.stat(metricsFile)).mtime.toISOString();
  return { modelName, history, alphas: alphas?.alphas ?? [], ...(alphas ? { alphasFrom: alphas.from } : {}), ...(alphas?.undecoded ? { undecoded: alphas.undecoded } : {}), ...(info ? { info } : {}), date };
}

async function svg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** Task names in spec order (the order of the records' keys, which follow the spec). */
function taskOrder(run: RunRecords): string[] {
  const seen = new Set<string>(run.info?.tasks ?? []);
  for (const h of run.history) for (const t of Object.keys(h.tasks)) seen.add(t);
  return [...seen];
}

function curveRows(history: EpochRecord[]): { rows: Record<string, unknown>[]; measures: string[] } {
  const rows: Record<string, unknown>[] = [];
  const measures = new Set<string>();
  for (const h of history) {
    for (const [task, s] of Object.entries(h.tasks)) {
      rows.push({ epoch: h.epoch, task, measure: 'loss', split: 'train', value: s.loss });
      measures.add('loss');
      for (const [m, v] of Object.entries(s.metrics)) {
        rows.push({ epoch: h.epoch, task, measure: m, split: 'train', value: v });
        measures.add(m);
      }
    }
    for (const [task, s] of Object.entries(h.val?.tasks ?? {})) {
      rows.push({ epoch: h.epoch, task, measure: 'loss', split: 'validation', value: s.loss });
      for (const [m, v] of Object.entries(s.metrics)) rows.push({ epoch: h.epoch, task, measure: m, split: 'validation', value: v });
    }
  }
  return { rows: rows.filter((r) => Number.isFinite(r['value'])), measures: [...measures] };
}

/** Whole epochs on the x axis (at most ~12 ticks), never 1.2, 1.4, ... */
function epochTicks(history: EpochRecord[]): number[] {
  const epochs = [...new Set(history.map((h) => h.epoch))].sort((a, b) => a - b);
  const step = Math.max(1, Math.ceil(epochs.length / 12));
  return epochs.filter((_, i) => i % step === 0 || i === epochs.length - 1);
}

/**
 * The colour of α: a diverging scale centred on 0 when α has both signs (blue negative, white 0,
 * red positive), a sequential one when it does not.
 */
function alphaColor(values: number[]): Record<string, unknown> {
  const finite = values.filter(Number.isFinite);
  const lo = Math.min(0, ...finite);
  const hi = Math.max(0, ...finite);
  if (lo < 0 && hi > 0) {
    const m = Math.max(-lo, hi);
    return { scheme: 'redblue', reverse: true, domain: [-m, m], domainMid: 0 };
  }
  return { scheme: 'viridis' };
}

function flat(values: unknown): number[] {
  return Array.isArray(values) ? values.flatMap(flat) : [values as number];
}

function alphaSpec(a: JunctionAlpha, order: readonly string[]): vl.TopLevelSpec {
  const towers = a.towers.length > 0 ? a.towers : Array.from({ length: a.mode === 'unit' ? 0 : a.shape[0]! }, (_, i) => `#${i}`);
  const color = { field: 'alpha', type: 'quantitative' as const, title: a.cell ? 'mean diagonal' : 'α', scale: alphaColor(flat(a.values)) };
  const tooltip = [{ field: 'alpha', type: 'quantitative' as const, format: '.4f' }];
  // Pairs and towers in spec order, not alphabetically.
  const ranked = [...towers].sort((x, y) => (order.indexOf(x) + 1 || 1e9) - (order.indexOf(y) + 1 || 1e9));
  if (a.mode === 'channel') {
    const v = a.values as number[][][];
    const rows: Record<string, unknown>[] = [];
    const pairs: string[] = [];
    for (const ti of ranked) {
      for (const tj of ranked) {
        const i = towers.indexOf(ti);
        const j = towers.indexOf(tj);
        pairs.push(`${ti} ← ${tj}`);
        v[i]![j]!.forEach((x, c) => rows.push({ pair: `${ti} ← ${tj}`, channel: c, alpha: x }));
      }
    }
    const channels = a.shape[2]!;
    return {
      $schema: SCHEMA,
      title: `α ${a.name}: channel mode, one cell per channel (row: to ← from)`,
      data: { values: rows },
      mark: 'rect',
      width: Math.min(Math.max(channels * 10, 240), 900),
      encoding: {
        x: { field: 'channel', type: 'ordinal', axis: { values: Array.from({ length: channels }, (_, c) => c).filter((c) => c % Math.ceil(channels / 32) === 0), labelAngle: 0 } },
        y: { field: 'pair', type: 'nominal', title: 'to ← from', sort: pairs },
        color,
        tooltip: [{ field: 'pair', type: 'nominal' }, { field: 'channel', type: 'ordinal' }, ...tooltip],
      },
    };
  }
  if (a.mode === 'scalar') {
    const v = a.values as number[][];
    const rows = ranked.flatMap((ti) => ranked.map((tj) => ({ to: ti, from: tj, alpha: v[towers.indexOf(ti)]![towers.indexOf(tj)]! })));
    const m = Math.max(...flat(a.values).map(Math.abs).filter(Number.isFinite), 1e-12);
    return {
      $schema: SCHEMA,
      title: a.cell ? `${a.name}: one cell per tower pair (row: to, column: from)` : `α ${a.name}: scalar mode (row: to, column: from)`,
      data: { values: rows },
      width: Math.max(80 * towers.length, 160),
      height: Math.max(80 * towers.length, 160),
      encoding: { x: { field: 'from', type: 'nominal', sort: ranked, axis: { labelAngle: 0 } }, y: { field: 'to', type: 'nominal', sort: ranked } },
      layer: [
        { mark: 'rect', encoding: { color, tooltip } },
        {
          mark: { type: 'text', fontSize: 13 },
          encoding: {
            text: { field: 'alpha', type: 'quantitative', format: '.3f' },
            color: { condition: { test: `abs(datum.alpha) > ${0.6 * m}`, value: 'white' }, value: 'black' },
          },
        },
      ],
    };
  }
  // Unit mode: a D×D matrix over the concatenated towers; lines mark where each tower's units start.
  const v = a.values as number[][];
  const d = a.shape[0]!;
  const rows: Record<string, unknown>[] = [];
  v.forEach((row, i) => row.forEach((x, j) => rows.push({ to: i, to1: i + 1, from: j, from1: j + 1, alpha: x })));
  const widths = a.widths && a.widths.length === towers.length && a.widths.reduce((x, y) => x + y, 0) === d ? a.widths : undefined;
  const starts = widths ? widths.map((_, k) => widths.slice(0, k).reduce((x, y) => x + y, 0)) : [];
  const mids = widths ? starts.map((s0, k) => s0 + widths[k]! / 2) : [];
  const labelExpr = widths ? mids.map((m, k) => `datum.value == ${m} ? ${JSON.stringify(towers[k])} : `).join('') + "''" : undefined;
  const step = Math.max(1, Math.ceil(d / 12));
  const axis = widths
    ? { values: mids, labelExpr, ticks: false, grid: false, labelAngle: 0 }
    : { values: Array.from({ length: Math.ceil(d / step) }, (_, k) => k * step + 0.5), labelExpr: 'floor(datum.value)', grid: false, labelAngle: 0 };
  const side = Math.min(Math.max(d * 6, 300), 640);
  return {
    $schema: SCHEMA,
    title: `α ${a.name}: unit mode, ${d}×${d} over the concatenated units${widths ? ` of ${towers.join(', ')} (${widths.join(' + ')})` : ''}`,
    width: side,
    height: side,
    layer: [
      {
        data: { values: rows },
        mark: 'rect',
        encoding: {
          x: { field: 'from', type: 'quantitative', scale: { domain: [0, d], nice: false, zero: false }, axis, title: 'from (unit)' },
          x2: { field: 'from1' },
          y: { field: 'to', type: 'quantitative', scale: { domain: [0, d], nice: false, zero: false, reverse: true }, axis, title: 'to (unit)' },
          y2: { field: 'to1' },
          color,
          tooltip: [{ field: 'to', type: 'quantitative' }, { field: 'from', type: 'quantitative' }, ...tooltip],
        },
      },
      ...(starts.length > 1
        ? [
            { data: { values: starts.slice(1).map((b) => ({ b })) }, mark: { type: 'rule' as const, color: 'black', strokeWidth: 1.5 }, encoding: { x: { field: 'b', type: 'quantitative' as const } } },
            { data: { values: starts.slice(1).map((b) => ({ b })) }, mark: { type: 'rule' as const, color: 'black', strokeWidth: 1.5 }, encoding: { y: { field: 'b', type: 'quantitative' as const } } },
          ]
        : []),
    ],
  } as vl.TopLevelSpec;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : String(x));

/** "left: accuracy 0.7400, loss 0.7728" per task, metrics first (what a reader looks for). */
function taskLine(tasks: Record<string, { loss: number; metrics: Record<string, number> }>, order: readonly string[]): string {
  return order
    .filter((t) => tasks[t])
    .map((t) => {
      const s = tasks[t]!;
      return `<b>${esc(t)}</b>: ${[...Object.entries(s.metrics).map(([k, v]) => `${esc(k)} ${fmt(v)}`), `loss ${fmt(s.loss)}`].join(', ')}`;
    })
    .join('; ');
}

export async function renderReport(run: RunRecords): Promise<string> {
  const order = taskOrder(run);
  const sections: string[] = [];
  const { rows, measures } = curveRows(run.history);
  const ticks = epochTicks(run.history);
  const hasVal = run.history.some((h) => h.val);
  // The data series that exist (a run without validation data has no validation legend entry).
  const splits = hasVal ? ['train', 'validation'] : ['train'];
  for (const measure of measures) {
    const data = rows.filter((r) => r['measure'] === measure);
    const tasks = order.filter((t) => data.some((r) => r['task'] === t));
    // One panel per task, each with its own y scale: tasks' losses differ by orders of magnitude
    // (a regression's MSE of 400 beside a crossentropy of 0.7), and one shared axis flattens one.
    const plot = await svg({
      $schema: SCHEMA,
      title: {
        text: `${measure} per task${tasks.length > 1 ? ': one panel per task, each on its own scale' : ''}`,
        subtitle: hasVal ? 'solid, circles: training-epoch average; dashed, squares: validation' : 'training-epoch average (the run had no validation data)',
      },
      data: { values: data },
      facet: { field: 'task', type: 'nominal', sort: tasks, title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } },
      columns: Math.min(tasks.length, 3),
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: tasks.length === 1 ? 480 : 280,
        height: 180,
        mark: { type: 'line', point: { filled: true, size: 50 } },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', scale: { domain: [Math.min(...ticks) - (ticks.length === 1 ? 0.5 : 0), Math.max(...ticks) + (ticks.length === 1 ? 0.5 : 0)], nice: false }, axis: { values: ticks, format: 'd', title: 'epoch' } },
          y: { field: 'value', type: 'quantitative', title: measure, scale: { zero: false } },
          color: { field: 'split', type: 'nominal', scale: { domain: splits, range: ['#4c78a8', '#f58518'].slice(0, splits.length) }, legend: hasVal ? { title: 'data' } : null },
          strokeDash: { field: 'split', type: 'nominal', scale: { domain: splits, range: [[1, 0], [6, 4]].slice(0, splits.length) }, legend: hasVal ? { title: 'data' } : null },
          shape: { field: 'split', type: 'nominal', scale: { domain: splits, range: ['circle', 'square'].slice(0, splits.length) }, legend: hasVal ? { title: 'data' } : null },
        },
      },
    } as vl.TopLevelSpec);
    sections.push(`<section><h2>${esc(measure)}</h2>${plot}</section>`);
  }
  for (const a of run.alphas) {
    const kind = a.kind && a.kind !== 'crossStitch' ? a.kind : '';
    // A kind whose map is a summary (NDDR's 1×1 convolution) says what a cell is instead of a mode.
    const heading = a.cell ? `α ${esc(a.name)} (${esc(kind || 'junction')})` : `α ${esc(a.name)} (${kind ? `${esc(kind)}, ` : ''}${esc(a.mode)} mode)`;
    const caption = a.cell ? `<p class="sub">Each cell: ${esc(a.cell)}.</p>` : '';
    sections.push(`<section><h2>${heading}</h2>${caption}${await svg(alphaSpec(a, order))}</section>`);
  }
  if (run.undecoded) {
    sections.push(`<section><p class="sub">The last checkpoint does not record the mix of junction${run.undecoded.length === 1 ? '' : 's'} ${esc(run.undecoded.join(', '))} (only a cross-stitch α can be read from its weights); the run's alphas.json will have ${run.undecoded.length === 1 ? 'it' : 'them'} when it finishes.</p></section>`);
  }

  const last = run.history[run.history.length - 1];
  const headline = !last
    ? '<p class="headline">No epochs recorded yet.</p>'
    : last.val
      ? `<p class="headline">Validation after epoch ${last.epoch}: ${taskLine(last.val.tasks, order)}</p>
<p class="sub">Training-epoch averages (while the weights were still changing): ${taskLine(last.tasks, order)}</p>`
      : `<p class="headline">After epoch ${last.epoch} (training-epoch averages; the run had no validation data): ${taskLine(last.tasks, order)}</p>`;
  const info = run.info;
  const meta: [string, string | number | undefined][] = [
    ['model', run.modelName],
    ['tasks', order.join(', ')],
    ['epochs', last ? `${last.epoch}${info ? ` of ${info.epochs}` : ''}${info && last.epoch < info.epochs ? ' (not finished)' : ''}` : undefined],
    ['backend', info?.backend],
    ['data', info?.data],
    ['seed', info?.seed],
    ['labelled examples per epoch', last?.labelled ? order.map((t) => `${t} ${last.labelled![t] ?? '?'} of ${last.examples}`).join(', ') : undefined],
    ['batch size', info?.batchSize],
    ['workers', info?.workers],
    ['single task', info?.singleTask],
    ['variant', info?.variant],
    ['spec sha256', info?.specHash.slice(0, 12)],
    ['date', run.date],
    ['α from', run.alphas.length > 0 ? (run.alphasFrom === 'checkpoint' ? 'the last checkpoint (the run did not finish)' : 'the final model') : undefined],
  ];
  const metaHtml = `<table class="meta">${meta
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
    .join('')}</table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(run.modelName)} training report</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1000px}section{margin:1.5em 0}h2{font-size:1.1em}.headline{font-size:1.15em}.sub{color:#555}table.meta{border-collapse:collapse;font-size:.9em}table.meta th{text-align:left;padding:0 1em 0 0;color:#555;font-weight:normal}</style>
</head><body>
<h1>${esc(run.modelName)}: training report</h1>
${headline}
${metaHtml}
${sections.join('\n')}
</body></html>
`;
}

/** Writes `<runDir>/report.html` (or `outFile`) atomically; returns its path. */
export async function writeReport(runDir: string, outFile = path.join(runDir, REPORT_FILE)): Promise<string> {
  const html = await renderReport(await readRun(runDir));
  const tmp = path.join(path.dirname(outFile), `.${path.basename(outFile)}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    await fs.writeFile(tmp, html);
    await fs.rename(tmp, outFile);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string') throw new ReportError(`cannot write ${outFile}: ${err.code === 'ENOSPC' ? 'no space left on the device' : err.code === 'EISDIR' ? 'it is a directory' : err.message} (${err.code})`);
    throw e;
  }
  return outFile;
}
