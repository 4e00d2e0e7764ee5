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
import type { EpochRecord, JunctionAlpha } from '../train/types.js';

export const REPORT_FILE = 'report.html';

export class ReportError extends Error {
  override readonly name = 'ReportError';
}

export interface RunRecords {
  modelName: string;
  history: EpochRecord[];
  alphas: JunctionAlpha[];
}

/** Reads metrics.jsonl (required) and alphas.json (optional) of a run directory. */
export async function readRun(runDir: string): Promise<RunRecords> {
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  let text: string;
  try {
    text = await fs.readFile(metricsFile, 'utf8');
  } catch {
    throw new ReportError(`${metricsFile}: not found; is ${runDir} a run directory (written by mtlc train --out)?`);
  }
  const history: EpochRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      history.push(JSON.parse(line) as EpochRecord);
    } catch (e) {
      throw new ReportError(`${metricsFile}:${i + 1}: invalid JSON (${(e as Error).message})`);
    }
  });
  let alphas: JunctionAlpha[] = [];
  let modelName = path.basename(path.resolve(runDir));
  try {
    const a = JSON.parse(await fs.readFile(path.join(runDir, 'alphas.json'), 'utf8')) as { modelName?: string; alphas: JunctionAlpha[] };
    alphas = a.alphas;
    if (a.modelName) modelName = a.modelName;
  } catch {
    // A run still in progress has no alphas.json yet.
  }
  return { modelName, history, alphas };
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
  return { rows, measures: [...measures] };
}

function alphaRows(a: JunctionAlpha): Record<string, unknown>[] {
  const towers = a.towers.length > 0 ? a.towers : Array.from({ length: a.shape[0]! }, (_, i) => `#${i}`);
  const rows: Record<string, unknown>[] = [];
  if (a.mode === 'channel') {
    const v = a.values as number[][][];
    towers.forEach((ti, i) => towers.forEach((tj, j) => v[i]![j]!.forEach((x, c) => rows.push({ pair: `${ti} ← ${tj}`, channel: c, alpha: x }))));
  } else {
    const v = a.values as number[][];
    v.forEach((row, i) => row.forEach((x, j) => rows.push({ to: a.mode === 'scalar' ? towers[i] : i, from: a.mode === 'scalar' ? towers[j] : j, alpha: x })));
  }
  return rows;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function renderReport(run: RunRecords): Promise<string> {
  const sections: string[] = [];
  const { rows, measures } = curveRows(run.history);
  for (const measure of measures) {
    const data = rows.filter((r) => r['measure'] === measure);
    const plot = await svg({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 420,
      height: 220,
      title: `${measure} per task`,
      data: { values: data },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: measure, scale: { zero: false } },
        color: { field: 'task', type: 'nominal' },
        strokeDash: { field: 'split', type: 'nominal' },
      },
    });
    sections.push(`<section><h2>${esc(measure)}</h2>${plot}</section>`);
  }
  for (const a of run.alphas) {
    const data = alphaRows(a);
    const spec: vl.TopLevelSpec =
      a.mode === 'channel'
        ? {
            $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
            title: `α ${a.name} (channel mode: one cell per channel)`,
            data: { values: data },
            mark: 'rect',
            width: Math.min(Math.max(a.shape[2]! * 8, 200), 900),
            encoding: {
              x: { field: 'channel', type: 'ordinal' },
              y: { field: 'pair', type: 'nominal', title: 'to ← from' },
              color: { field: 'alpha', type: 'quantitative', scale: { scheme: 'viridis' } },
              tooltip: [{ field: 'alpha', type: 'quantitative' }],
            },
          }
        : {
            $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
            title: `α ${a.name} (${a.mode} mode)`,
            data: { values: data },
            width: a.mode === 'unit' ? 300 : 160,
            height: a.mode === 'unit' ? 300 : 160,
            layer: [
              {
                mark: 'rect',
                encoding: {
                  x: { field: 'from', type: 'ordinal' },
                  y: { field: 'to', type: 'ordinal' },
                  color: { field: 'alpha', type: 'quantitative', scale: { scheme: 'viridis' } },
                },
              },
              ...(a.mode === 'scalar'
                ? [
                    {
                      mark: { type: 'text' as const, color: 'white' },
                      encoding: {
                        x: { field: 'from', type: 'ordinal' as const },
                        y: { field: 'to', type: 'ordinal' as const },
                        text: { field: 'alpha', type: 'quantitative' as const, format: '.3f' },
                      },
                    },
                  ]
                : []),
            ],
          };
    sections.push(`<section><h2>α ${esc(a.name)}</h2>${await svg(spec)}</section>`);
  }
  const last = run.history[run.history.length - 1];
  const summary = last
    ? `<p>${run.history.length} epoch(s); last: ${Object.entries(last.tasks)
        .map(([t, s]) => `${esc(t)} loss ${s.loss.toFixed(4)}${Object.entries(s.metrics).map(([k, v]) => `, ${esc(k)} ${v.toFixed(4)}`).join('')}`)
        .join('; ')}</p>`
    : '<p>No epochs recorded yet.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(run.modelName)} training report</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1000px}section{margin:1.5em 0}h2{font-size:1.1em}</style>
</head><body>
<h1>${esc(run.modelName)}: training report</h1>
${summary}
${sections.join('\n')}
</body></html>
`;
}

/** Writes `<runDir>/report.html` (or `outFile`) atomically; returns its path. */
export async function writeReport(runDir: string, outFile = path.join(runDir, REPORT_FILE)): Promise<string> {
  const html = await renderReport(await readRun(runDir));
  const tmp = path.join(path.dirname(outFile), `.${path.basename(outFile)}.tmp-${randomBytes(4).toString('hex')}`);
  await fs.writeFile(tmp, html);
  await fs.rename(tmp, outFile);
  return outFile;
}
