/**
 * `npm run experiment:sharing:report [-- --quick] [--e1 FILE --e2 FILE] [--out FILE]`: the results
 * page from the two experiments' summaries. Every number on the page is computed from those
 * files; prose that is not computed carries no numbers.
 * - Default: runs/experiment-e1/summary.json and runs/experiment-e2/summary.json where a run has
 *   written them, else the committed copies in docs/results/ (so a fresh clone recomputes
 *   docs/results.md from its JSON); writes docs/results.md and copies the summaries beside it.
 * - `--quick`: the smoke runs' summaries (runs/experiment-e1-quick/…); writes
 *   runs/results-quick.md, never the committed page.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAtomic } from '../../../src/runtime/files.js';
import { inkOverlap } from '../../../src/runtime/data/multimnist.js';
import { parseCommand } from '../../lib/cli.js';
import { mean } from '../lib/paired.js';
import { claims, e1Arms, e2Arms, judge, summarise, type ArmSummary } from './analysis.js';
import { TASKS, type RunResult, type SharingConfig, type Task } from './plan.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = path.join(ROOT, 'docs');

interface ClaimRow {
  id: string;
  source: string;
  a: string;
  b: string;
  seeds: number[];
  mean: number;
  ci95: [number, number];
  p: number;
  adjustedP: number;
  verdict: string;
}

interface Summary {
  experiment: 'e1' | 'e2';
  command: string;
  config: SharingConfig;
  started: string;
  finished: string;
  wallMinutes: number;
  jobs: number;
  machine: { cpu: string; cores: number; memoryGB: number; node: string };
  results: RunResult[];
  ensembles: { seed: number; task: Task; accuracy: number }[];
  claims: ClaimRow[];
  missing: string[];
}

const pts = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}` : '—');
const pct = (s: ArmSummary) => (s.n === 0 ? '—' : `${(100 * s.mean).toFixed(1)} ± ${Number.isFinite(s.sd) ? (100 * s.sd).toFixed(1) : '—'}`);
const p3 = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function claimsTable(rows: readonly ClaimRow[]): string {
  return table(
    ['claim (a > b)', 'as the paper states it', 'pairs', 'a − b, points', '95 % CI', 'p (sign-flip)', 'p (Holm)', 'verdict'],
    rows.map((c) => [c.id, c.source, String(c.seeds.length), pts(c.mean), `[${pts(c.ci95[0])}, ${pts(c.ci95[1])}]`, p3(c.p), p3(c.adjustedP), `**${c.verdict}**`]),
  );
}

/** α by magnitude per junction, over the non-diverged runs of one arm. */
function alphaTable(results: readonly RunResult[]): string {
  const ok = results.filter((r) => !r.diverged && r.alphas.length > 0);
  if (ok.length === 0) return '_No α recorded._';
  const names = ok[0]!.alphas.map((a) => a.name);
  return table(
    ['junction', 'mean \\|α_S\\|', 'mean \\|α_D\\|', 'channels that mix (\\|α_D\\| > 0.3 \\|α_S\\|)', 'runs'],
    names.map((n) => {
      const of = ok.map((r) => r.alphas.find((a) => a.name === n)!).filter(Boolean);
      return [n, mean(of.map((a) => a.self)).toFixed(2), mean(of.map((a) => a.other)).toFixed(2), `${(100 * mean(of.map((a) => a.mixingShare))).toFixed(0)} %`, String(of.length)];
    }),
  );
}

function verdictSentence(rows: readonly ClaimRow[]): string {
  const by = (v: string) => rows.filter((c) => c.verdict === v).map((c) => `"${c.id}"`);
  const parts = [
    by('supported').length ? `supported: ${by('supported').join(', ')}` : 'no claim is supported',
    by('reversed').length ? `reversed: ${by('reversed').join(', ')}` : 'none is reversed',
    by('not supported').length ? `not supported (no difference this design can tell from zero): ${by('not supported').length} of ${rows.length}` : '',
  ].filter(Boolean);
  return `${parts.join('; ')}.`;
}

function e1Section(s: Summary): string {
  const cfg = s.config;
  const out: string[] = [];
  for (const labels of cfg.e1.starvedLabels) {
    const arms = e1Arms(cfg, s.results).filter((g) => g.labels === labels);
    const byTask = Object.fromEntries(arms.map((g) => [g.task, g.arms.map(summarise)])) as Record<Task, ArmSummary[]>;
    const params = (v: string) => s.results.find((r) => r.spec.stage === 'e1' && r.spec.variant === v)?.params ?? 0;
    out.push(
      `### ${labels} labelled images for \`right\` (${((100 * labels) / cfg.data.trainSize).toFixed(1)} %)\n\n` +
        table(
          ['variant', 'left (all labelled), test % ', 'right (starved), test %', 'parameters', 'diverged runs'],
          cfg.e1.variants.map((v, i) => [v, pct(byTask.left[i]!), pct(byTask.right[i]!), params(v).toLocaleString('en-US'), String(byTask.right[i]!.diverged)]),
        ),
    );
  }
  out.push(`### α by magnitude (cross-stitch arm, every label level, diverged runs excluded)\n\n${alphaTable(s.results.filter((r) => r.spec.stage === 'e1' && r.spec.variant === 'cross-stitch'))}`);
  out.push(`### Claims\n\n${claimsTable(s.claims)}\n\nIn one sentence: ${verdictSentence(s.claims)}`);
  return out.join('\n\n');
}

function e2Section(s: Summary): string {
  const cfg = s.config;
  const out: string[] = [];
  const groups = e2Arms(cfg, s.results, s.ensembles);
  const labels = groups[0]!.arms.map((a) => a.label);
  const sums = Object.fromEntries(groups.map((g) => [g.task, g.arms.map(summarise)])) as Record<Task, ArmSummary[]>;
  out.push(
    table(
      ['arm', 'epochs', ...TASKS.map((t) => `${t}, test %`)],
      labels.map((l, i) => [
        l,
        l.startsWith('single-task (start)') ? String(cfg.e2.singleEpochs) : l.startsWith('ensemble') ? `2 × ${cfg.e2.singleEpochs + cfg.e2.fineTuneEpochs}` : `${cfg.e2.singleEpochs} + ${cfg.e2.fineTuneEpochs}`,
        ...TASKS.map((t) => pct(sums[t][i]!)),
      ]),
    ),
  );
  for (const lr of cfg.e2.alphaLrMultipliers) {
    out.push(`### α after fine-tuning at ×${lr} (by magnitude, diverged runs excluded)\n\n${alphaTable(s.results.filter((r) => r.spec.stage === 'finetune' && r.spec.alphaLr === lr))}`);
  }
  out.push(`### Claims\n\n${claimsTable(s.claims)}\n\nIn one sentence: ${verdictSentence(s.claims)}`);
  return out.join('\n\n');
}

/** An experiment's wall time if run at once: its runs' training time over the jobs, rounded up to 5. */
function minutes(s: Summary): number {
  return Math.ceil(s.results.reduce((a, r) => a + r.trainSeconds, 0) / 60 / s.jobs / 5) * 5;
}

/** The claims judged again from the results, by this analysis (a summary may predate it). */
function withClaims(s: Summary): Summary {
  const judged = judge(claims(s.config, s.experiment, s.results, s.ensembles));
  return {
    ...s,
    claims: judged.map((j) => ({ id: j.claim.id, source: j.claim.source, a: j.claim.a.label, b: j.claim.b.label, seeds: [...j.comparison.seeds], mean: j.comparison.mean, ci95: [...j.comparison.ci95] as [number, number], p: j.comparison.p, adjustedP: j.adjustedP, verdict: j.verdict })),
  };
}

const USAGE = `usage: npm run experiment:sharing:report [-- --quick] [--e1 FILE] [--e2 FILE] [--out FILE]

  (default)  runs/experiment-e{1,2}/summary.json, or the committed docs/results/sharing-e{1,2}.json
             when no full run is there; writes docs/results.md (and copies the summaries beside it)
  --quick    the --quick runs' summaries (runs/experiment-e{1,2}-quick/); writes runs/results-quick.md
  --e1, --e2 a summary.json of your own
  --out      where to write the page
`;

/** A user's mistake: one line, exit 2. */
class UsageError extends Error {}

async function readSummary(file: string, experiment: 'e1' | 'e2'): Promise<Summary> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new UsageError(`${path.relative(process.cwd(), file)}: no such summary; run \`npm run experiment:sharing -- --experiment ${experiment}\` (add --quick for a smoke run) or pass --${experiment} FILE`);
  }
  let s: Summary;
  try {
    s = JSON.parse(text) as Summary;
  } catch (e) {
    throw new UsageError(`${path.relative(process.cwd(), file)}: not JSON (${(e as Error).message})`);
  }
  if (s?.experiment !== experiment || !Array.isArray(s.results) || typeof s.config !== 'object') {
    throw new UsageError(`${path.relative(process.cwd(), file)}: not a summary of experiment ${experiment} (from npm run experiment:sharing -- --experiment ${experiment})`);
  }
  return s;
}

/** The summary to read for an experiment, and where it comes from. */
function source(experiment: 'e1' | 'e2', given: string | undefined, quick: boolean): string {
  if (given !== undefined) return path.resolve(given);
  const run = path.join(ROOT, 'runs', `experiment-${experiment}${quick ? '-quick' : ''}`, 'summary.json');
  if (quick || existsSync(run)) return run;
  return path.join(DOCS, 'results', `sharing-${experiment}.json`);
}

async function main(): Promise<number> {
  const values = parseCommand<{ e1?: string; e2?: string; out?: string; quick?: boolean }>({ e1: { type: 'string' }, e2: { type: 'string' }, out: { type: 'string' }, quick: { type: 'boolean' } }, USAGE);
  if (typeof values === 'number') return values;
  const quick = Boolean(values.quick);
  const files = { e1: source('e1', values.e1, quick), e2: source('e2', values.e2, quick) };
  const out = values.out !== undefined ? path.resolve(values.out) : quick ? path.join(ROOT, 'runs', 'results-quick.md') : path.join(DOCS, 'results.md');
  const e1 = withClaims(await readSummary(files.e1, 'e1'));
  const e2 = withClaims(await readSummary(files.e2, 'e2'));
  for (const f of Object.values(files)) process.stdout.write(`reading ${path.relative(process.cwd(), f)}\n`);
  // The committed page keeps its sources beside it.
  if (out === path.join(DOCS, 'results.md')) {
    await fs.mkdir(path.join(DOCS, 'results'), { recursive: true });
    await writeAtomic(path.join(DOCS, 'results/sharing-e1.json'), `${JSON.stringify(e1, null, 1)}\n`);
    await writeAtomic(path.join(DOCS, 'results/sharing-e2.json'), `${JSON.stringify(e2, null, 1)}\n`);
  }
  const d = e1.config.data;
  const overlap = (p: 'fixed' | 'senerKoltun' | 'random') => `${(100 * inkOverlap(2000, 'train', d.dataSeed, { placement: p })).toFixed(0)} %`;
  const discussion = await fs.readFile(path.join(ROOT, 'bench/experiments/sharing/discussion.md'), 'utf8');
  const page = `# Where does learned sharing help? MultiMNIST experiments

Generated by \`npm run experiment:sharing:report\` from [sharing-e1.json](results/sharing-e1.json)
and [sharing-e2.json](results/sharing-e2.json) (\`${e1.command}\` and \`${e2.command}\`, finished ${e1.finished.slice(0, 16)} and ${e2.finished.slice(0, 16)} UTC;
${e1.machine.cores} cores, ${e1.machine.cpu}, Node ${e1.machine.node}, wasm backend, ${e1.jobs} runs at a time, on a machine shared with other work).
Do not edit by hand: rerun the experiments (finished runs are skipped) and the report.

## Design

- **Data**: the built-in MultiMNIST, ${d.trainSize.toLocaleString('en-US')} training and ${d.testSize.toLocaleString('en-US')} test images (disjoint digit sources),
  \`placement: ${d.placement}\`${d.distinctClasses ? ', distinct classes' : ''}, one draw for every run. How much the digits overlap (share of a digit's ink
  under the other, measured on the training draw): fixed ${overlap('fixed')}, senerKoltun ${overlap('senerKoltun')}, random ${overlap('random')}.
- **Pairing**: ${e1.config.seeds.length} seeds; within a seed every arm starts from the same initial weights where the architectures share layers and sees
  the same batches. Differences are taken per seed (a − b), summarised by their mean, a 95 % Student-t interval and an exact
  sign-flip permutation p (all 2^n sign patterns); p values are Holm-corrected over each experiment's claims. A verdict is
  **supported** (corrected p < 0.05, the paper's sign), **reversed** (corrected p < 0.05, the other sign) or **not supported**.
  With ${e1.config.seeds.length} pairs the smallest possible p is ${p3(2 / 2 ** e1.config.seeds.length)}.
- **E1, the data-starved task**: \`left\` is labelled on every training image, \`right\` on ${e1.config.e1.starvedLabels.join(' or ')} of them
  (partially labelled data, \`labelFraction\`); \`right\`'s loss weight is its labelled share, so a labelled example weighs what
  a \`left\` example does. Every variant trains ${e1.config.e1.epochs} epochs from scratch: ${e1.config.e1.variants.map((v) => `\`${v}\``).join(', ')}.
- **E2, the paper's protocol**: single-task networks first (${e2.config.e2.singleEpochs} epochs), then the stitched network initialised
  from the pair (\`--init-from\`) and fine-tuned ${e2.config.e2.fineTuneEpochs} epochs at the towers' rate ${e2.config.e2.fineTuneLearningRate} with α's at ${e2.config.e2.alphaLrMultipliers.map((m) => `×${m}`).join(' and ')} of it; the
  control trains the single-task networks ${e2.config.e2.fineTuneEpochs} more epochs at the same rate (the same budget); the ensemble averages the softmax of two
  single-task networks per task (the control and one more trained ${e2.config.e2.singleEpochs + e2.config.e2.fineTuneEpochs} epochs from another seed), from saved test outputs.
  The claims are tested at ×${e2.config.e2.alphaLrMultipliers[0]} only: with ${e2.config.seeds.length} pairs the smallest exact p is ${p3(2 / 2 ** e2.config.seeds.length)}, so after Holm a family
  of more than ${Math.floor(0.05 / (2 / 2 ** e2.config.seeds.length))} contrasts can reach no verdict. This family was fixed after the runs (the first
  design tested every multiplier); the ×${e2.config.e2.alphaLrMultipliers.slice(1).join(', ×')} rows are reported, not tested.
- A run **diverged** when its loss went non-finite or ended above the loss of a uniform guess (a collapsed softmax); it counts
  in the accuracy tables as it tests and is left out of the α summaries.
- α is summarised by magnitude: mean |α_S| (self), mean |α_D| (other) and the share of channels whose |α_D| exceeds 0.3 |α_S|.
${e1.missing.length + e2.missing.length > 0 ? `\n**Missing runs** (failed or not run): ${[...e1.missing, ...e2.missing].join(', ')}.\n` : ''}
## E1: a data-starved task

${e1Section(e1)}

## E2: stitching single-task networks (the paper's protocol)

${e2Section(e2)}

## Discussion

${discussion.trim()}

## Reproduce

\`\`\`sh
npm run experiment:sharing -- --experiment e1     # about ${minutes(e1)} minutes here
npm run experiment:sharing -- --experiment e2     # about ${minutes(e2)} minutes here
npm run experiment:sharing:report                 # this page, from runs/ (or, without runs, from docs/results/*.json)
\`\`\`

\`--quick\` runs every kind of run once on a few hundred images (a smoke test, not a result);
\`npm run experiment:sharing:report -- --quick\` then writes their page to runs/results-quick.md.
`;
  await fs.mkdir(path.dirname(out), { recursive: true });
  await writeAtomic(out, page);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`error: ${e.message}\n`);
  process.exitCode = 2;
}
