/**
 * `node --conditions=source --import tsx bench/experiments/multimnist/report.ts [summary.json]`:
 * docs/results.md from the experiment's summary (default runs/experiment-multimnist/summary.json).
 * Every number on the page comes from that JSON (copied to docs/results/multimnist.json so the
 * page's source is committed beside it); the α plots go to docs/results/alpha-*.svg. The prose
 * that is not computed (the discussion) lives in ./discussion.md and carries no numbers.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAtomic } from '../../../src/runtime/files.js';
import { pct, planRuns, type ExperimentConfig, type Row, type RunResult, type Tables } from './plan.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = path.join(ROOT, 'docs');

interface Summary {
  command: string;
  config: ExperimentConfig;
  started: string;
  finished: string;
  wallMinutes: number;
  estimatedFullWallMinutes: number;
  jobs: number;
  machine: { cpu: string; cores: number; memoryGB: number; platform: string; node: string };
  tables: Tables;
  results: RunResult[];
}

const TASKS = ['left', 'right'] as const;
const f1 = (x: number | null) => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(1));
const f2 = (x: number | null) => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(2));
const pp = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function accCells(r: Row): string[] {
  return [...TASKS.map((t) => pct(r.accuracy[t])), pct(r.meanAccuracy)];
}

/** Final-epoch training accuracy, mean over the row's runs and tasks. */
function trainAcc(s: Summary, pred: (r: RunResult) => boolean): string {
  const xs = s.results.filter(pred).flatMap((r) => Object.values(r.history[r.history.length - 1]?.accuracy ?? {}));
  return xs.length ? f1((100 * xs.reduce((a, b) => a + b, 0)) / xs.length) : '—';
}

/** Difference of two rows' mean accuracy, and whether it exceeds the seeds' spread. */
function compare(a: Row, b: Row): { diff: number; noise: number; clear: boolean } {
  const diff = a.meanAccuracy.mean - b.meanAccuracy.mean;
  const noise = Math.sqrt(a.meanAccuracy.std ** 2 + b.meanAccuracy.std ** 2);
  return { diff, noise, clear: Math.abs(diff) > Math.max(noise, 0.005) };
}

function verdict(name: string, claim: string, a: Row, b: Row): string {
  const c = compare(a, b);
  const holds = c.diff > 0 && c.clear ? 'holds' : c.diff < 0 && c.clear ? 'does not hold (reversed)' : 'not resolved (within seed noise)';
  return `| ${name} | ${claim} | ${a.label} ${pct(a.meanAccuracy)} vs ${b.label} ${pct(b.meanAccuracy)} (${pp(c.diff)} points, spread ±${f1(100 * c.noise)}) | ${holds} |`;
}

/** Grouped bars: per junction, one bar of α_S (solid) and α_D (light) per row. */
function alphaSvg(title: string, rows: readonly Row[]): string {
  const junctions = rows[0]?.alphas.map((a) => a.name) ?? [];
  const W = 640;
  const H = 300;
  const left = 48;
  const top = 36;
  const bottom = 60;
  const plotH = H - top - bottom;
  const max = Math.max(1, ...rows.flatMap((r) => r.alphas.flatMap((a) => [a.alphaS, a.alphaD])));
  const groupW = (W - left - 20) / Math.max(1, junctions.length);
  const barW = Math.min(14, (groupW - 20) / Math.max(1, rows.length * 2));
  const colours = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'];
  const y = (v: number) => top + plotH - (Math.max(0, v) / max) * plotH;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    out.push(`<line x1="${left}" x2="${W - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`, `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${f2(v)}</text>`);
  }
  junctions.forEach((j, ji) => {
    const gx = left + ji * groupW + 10;
    rows.forEach((r, ri) => {
      const a = r.alphas.find((x) => x.name === j);
      if (!a) return;
      const x = gx + ri * 2 * barW;
      const c = colours[ri % colours.length]!;
      out.push(
        `<rect x="${x}" y="${y(a.alphaS)}" width="${barW - 1}" height="${top + plotH - y(a.alphaS)}" fill="${c}"><title>${esc(`${r.label} ${j}: α_S ${f2(a.alphaS)}`)}</title></rect>`,
        `<rect x="${x + barW - 1}" y="${y(a.alphaD)}" width="${barW - 1}" height="${top + plotH - y(a.alphaD)}" fill="${c}" fill-opacity="0.35"><title>${esc(`${r.label} ${j}: α_D ${f2(a.alphaD)}`)}</title></rect>`,
      );
    });
    out.push(`<text x="${gx + (rows.length * barW)}" y="${top + plotH + 16}" text-anchor="middle">${esc(j)}</text>`);
  });
  rows.forEach((r, ri) => {
    const x = left + ri * 100;
    out.push(`<rect x="${x}" y="${H - 22}" width="10" height="10" fill="${colours[ri % colours.length]}"/>`, `<text x="${x + 14}" y="${H - 13}">${esc(r.label)}</text>`);
  });
  out.push(`<text x="${W - 20}" y="${H - 32}" text-anchor="end" fill="#555">solid α_S (self), light α_D (other); mean over channels and seeds; below 0 drawn at 0</text>`, '</svg>');
  return `${out.join('\n')}\n`;
}

async function main(): Promise<void> {
  const file = path.resolve(process.argv[2] ?? path.join(ROOT, 'runs/experiment-multimnist/summary.json'));
  const s = JSON.parse(await fs.readFile(file, 'utf8')) as Summary;
  const cfg = s.config;
  const t = s.tables;
  await fs.mkdir(path.join(DOCS, 'results'), { recursive: true });
  await writeAtomic(path.join(DOCS, 'results', 'multimnist.json'), `${JSON.stringify(s, null, 1)}\n`);
  await writeAtomic(path.join(DOCS, 'results', 'alpha-init.svg'), alphaSvg('Learned α per junction by α start (α lr ×' + cfg.defaultLrMultiplier + ')', t.alphaInit));
  await writeAtomic(path.join(DOCS, 'results', 'alpha-lr.svg'), alphaSvg(`Learned α per junction by α learning-rate multiplier (start (${cfg.defaultInit.join(', ')}))`, t.alphaLr));
  const discussion = await fs.readFile(path.join(path.dirname(fileURLToPath(import.meta.url)), 'discussion.md'), 'utf8');

  const row = (label: string) => t.variants.find((r) => r.label === label);
  const stitch = row('cross-stitch')!;
  const splits = t.variants.filter((r) => r.label.startsWith('split:'));
  const bestSplit = splits.reduce((a, b) => (b.meanAccuracy.mean > a.meanAccuracy.mean ? b : a), splits[0]!);
  const singles = t.variants.filter((r) => r.label.startsWith('single-task:'));
  // The paper's single-task baseline: one network per task; its mean is over both tasks' nets.
  const ensemble: Row | undefined =
    singles.length === 2
      ? {
          ...singles[0]!,
          label: 'single-task ensemble',
          accuracy: Object.fromEntries(singles.flatMap((r) => Object.entries(r.accuracy))),
          meanAccuracy: (() => {
            const seeds = cfg.seeds.map((seed) => {
              const v = s.results.filter((r) => r.spec.variant.startsWith('single-task:') && r.spec.seed === seed).flatMap((r) => Object.values(r.accuracy));
              return v.reduce((a, b) => a + b, 0) / v.length;
            });
            const mean = seeds.reduce((a, b) => a + b, 0) / seeds.length;
            const std = seeds.length > 1 ? Math.sqrt(seeds.reduce((a, b) => a + (b - mean) ** 2, 0) / (seeds.length - 1)) : 0;
            return { mean, std, n: seeds.length };
          })(),
          params: singles.reduce((a, r) => a + r.params, 0),
        }
      : undefined;
  const bestInit = t.alphaInit.reduce((a, b) => (b.meanAccuracy.mean > a.meanAccuracy.mean ? b : a));
  const defaultInitRow = t.alphaInit.find((r) => r.label === `(${cfg.defaultInit[0]}, ${cfg.defaultInit[1]})`)!;
  const lr1 = t.alphaLr[0]!;
  const runs = planRuns(cfg).length;
  const d = new Date(s.started);

  const md = `# Cross-stitch on MultiMNIST: does the paper's result reproduce?

<!-- Generated by bench/experiments/multimnist/report.ts from docs/results/multimnist.json; do not edit by hand. -->

Misra et al. (2016), *Cross-stitch Networks for Multi-task Learning*, claim that learned
cross-stitch units beat both fully shared and fully separate networks and choose a good
sharing level themselves (their Tables 5–6), that (α_S, α_D) = (0.9, 0.1) is a robust start
(Table 1), and that α needs a 10²–10³× learning rate (Table 2). This page checks those trends
with mtlc itself on the built-in MultiMNIST (\`specs/multi-mnist.yaml\`: one LeNet tower per digit,
channel-wise cross-stitch units after pool1, pool2 and fc1).

## Variants from one spec

\`mtlc train <spec> --variant V\` trains a baseline built from the same checked model (an IR transform,
src/model/variant.ts, then the ordinary code generator), so the comparison is architecture only:

| V | model |
| --- | --- |
| \`cross-stitch\` | the spec as written (default) |
| \`independent\` | the towers without junctions |
| \`shared\` | one trunk up to the deepest junction's layer, a head per task after it (the paper's MTL-shared) |
| \`split:<layer>\` | shared up to and including \`<layer>\`, separate towers after it (the towers must match up to there) |
| \`single-task:<task>\` | that task's tower alone (same layer names, so \`--init-from\` a single-task run works) |

A shared layer is one tfjs layer applied once; its parameters count once. A variant the spec cannot
build exits 2 and lists the valid ones (\`mtlc train specs/multi-mnist.yaml --variant x\`).
Programmatically: \`compileModel(applyVariant(model, parseVariant('split:pool2', model)))\`.

## How it was run

    ${s.command}
    npm run experiment:multimnist:report   # this page, from runs/experiment-multimnist/summary.json

- Date: ${d.toISOString().slice(0, 16).replace('T', ' ')} UTC (finished ${s.finished.slice(11, 16)} UTC); this invocation ran for ${f1(s.wallMinutes)} min
  (the whole experiment at ${s.jobs} runs at a time: ${f1(s.estimatedFullWallMinutes)} min of run time).
- Machine: ${s.machine.cpu}, ${s.machine.cores} cores, ${s.machine.memoryGB} GB, ${s.machine.platform}, Node ${s.machine.node}; backend ${[...new Set(s.results.map((r) => r.backend))].join(', ')}, one thread per run, ${s.jobs} runs at a time (other work shared the machine).
- Data: ${cfg.trainSize.toLocaleString('en-US')} training and ${cfg.testSize.toLocaleString('en-US')} test images (disjoint digit sources, data seed ${cfg.dataSeed}, the same for every run);
  ${cfg.epochs} epochs, batch ${cfg.batchSize}, the spec's optimizer (SGD, momentum 0.9, lr 0.01). Sized so the ${runs} runs finish within 60 minutes on 2 cores:
  the paper trains far longer on far more data, so absolute accuracies are lower than a converged LeNet's.
- Seeds ${cfg.seeds.join(', ')} (weight initialisation and batch order). Accuracy is test accuracy in %, mean ± sample std over seeds;
  "mean" averages the two tasks per seed first. Parameters are the built tfjs model's \`countParams()\` (equal to the IR's count in every run: ${s.results.every((r) => r.params === r.irParams) ? 'checked' : 'NOT equal, see JSON'}).
- Variants come from the one spec (\`mtlc train --variant ...\`): \`independent\` = no junctions, \`shared\` = conv1…fc1 shared with
  two heads (the paper's MTL-shared; same as \`split:fc1\` here), \`split:L\` = shared up to and including L, \`single-task:T\` = T's tower alone.
${t.missing.length ? `\n**Missing runs** (failed or not run): ${t.missing.join(', ')}\n` : ''}
## Variants (cf. paper Tables 5–6)

${table(
  ['variant', 'left %', 'right %', 'mean %', 'params', 'train acc % (last epoch)', 'train s / run', 'runs'],
  [...t.variants, ...(ensemble ? [ensemble] : [])].map((r) => [
    r.label === 'single-task ensemble' ? '*single-task ensemble* (both nets)' : `\`${r.label}\``,
    ...accCells(r),
    r.params.toLocaleString('en-US'),
    r.label === 'single-task ensemble'
      ? trainAcc(s, (x) => x.spec.variant.startsWith('single-task:'))
      : trainAcc(s, (x) => x.spec.variant === r.label && (r.label !== 'cross-stitch' || (x.spec.lrMultiplier === cfg.defaultLrMultiplier && x.spec.init?.[0] === cfg.defaultInit[0] && x.spec.init?.[1] === cfg.defaultInit[1]))),
    r.label === 'single-task ensemble' ? f1(singles.reduce((a, x) => a + x.trainSeconds.mean, 0)) : f1(r.trainSeconds.mean),
    String(r.runs),
  ]),
)}

## α initialisation (cf. paper Table 1), α lr ×${cfg.defaultLrMultiplier}

${table(
  ['(α_S, α_D) start', 'left %', 'right %', 'mean %', ...(t.alphaInit[0]?.alphas.map((a) => `${a.name} α_S / α_D`) ?? []), 'runs'],
  t.alphaInit.map((r) => [r.label, ...accCells(r), ...r.alphas.map((a) => `${f2(a.alphaS)} / ${f2(a.alphaD)}`), String(r.runs)]),
)}

![learned α by start](results/alpha-init.svg)

## α learning rate (cf. paper Table 2), start (${cfg.defaultInit.join(', ')})

${table(
  ['α lr multiplier', 'left %', 'right %', 'mean %', ...(t.alphaLr[0]?.alphas.map((a) => `${a.name} α_S / α_D`) ?? []), 'runs'],
  t.alphaLr.map((r) => [r.label, ...accCells(r), ...r.alphas.map((a) => `${f2(a.alphaS)} / ${f2(a.alphaD)}`), String(r.runs)]),
)}

![learned α by α learning rate](results/alpha-lr.svg)

Learned α is shown as α_S (mean of the diagonal: a task's weight on its own features) and α_D
(mean off the diagonal: its weight on the other task's), averaged over channels and seeds.

## The paper's trends, checked

A difference counts only if it exceeds the seeds' spread (√(std₁² + std₂²), at least 0.5 points).

| paper | claim | here (mean accuracy %) | on MultiMNIST |
| --- | --- | --- | --- |
${[
  verdict('Tables 5–6', 'cross-stitch beats MTL-shared', stitch, row('shared')!),
  verdict('Tables 5–6', 'cross-stitch beats the best split', stitch, bestSplit),
  ...(ensemble ? [verdict('Tables 5–6', 'cross-stitch beats single-task networks', stitch, ensemble)] : []),
  verdict('Tables 5–6', 'cross-stitch beats separate towers (no units)', stitch, row('independent')!),
  verdict('Table 1', `(${cfg.defaultInit.join(', ')}) is the best start`, defaultInitRow, bestInit === defaultInitRow ? t.alphaInit.filter((r) => r !== defaultInitRow).reduce((a, b) => (b.meanAccuracy.mean > a.meanAccuracy.mean ? b : a)) : bestInit),
  ...t.alphaLr.filter((r) => r !== lr1).map((r) => verdict('Table 2', `an α lr ${r.label} beats ×1 (paper: 10²–10³ best)`, r, lr1)),
].join('\n')}

${discussion.trim()}

## Reproduce

\`${s.command}\` writes one JSON per run to \`runs/experiment-multimnist/runs/\` as it finishes (a rerun
skips finished runs, so an interrupted experiment resumes) and \`runs/experiment-multimnist/summary.json\` at the end;
the report script turns the summary into this page. \`npm run experiment:multimnist -- --quick\` is a
seconds-long smoke test of the same code on a few hundred images. A run is deterministic for its seed
on the wasm backend (rerunning \`single-task-left_s1\` alone reproduced its final loss bit for bit);
another machine or tfjs version may differ in float rounding, so compare within the seed spread above.
`;
  await writeAtomic(path.join(DOCS, 'results.md'), md);
  process.stdout.write(`wrote docs/results.md, docs/results/{multimnist.json,alpha-init.svg,alpha-lr.svg}\n`);
}

await main();
