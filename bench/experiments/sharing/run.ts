/**
 * `npm run experiment:sharing -- --experiment e1|e2 [--quick] [--jobs N] [--out DIR]`: the
 * experiments of ./plan.ts on the built-in MultiMNIST. Every run trains one variant of
 * specs/multi-mnist.yaml, compiled by mtlc from the IR as `mtlc train --variant` does, on the
 * wasm backend in its own child process, `--jobs` (default 2) at a time (wasm is
 * single-threaded: two children use both cores). Runs wait for the runs they start from.
 *
 * Each run writes `<out>/runs/<id>.json` (its result) and `<id>.pred-<task>.bin` (its test
 * softmax outputs, for ensembles), and keeps its run folder `<id>/` (the model later runs start
 * from). A rerun skips runs whose result exists: delete the folder to start over. At the end
 * `<out>/summary.json` holds the config, the machine, every result, the ensembles and the
 * judged claims; ./report.ts turns the summaries into docs/results.md.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseCommand } from '../../lib/cli.js';
import { writeAtomic } from '../../../src/runtime/files.js';
import { judge, claims } from './analysis.js';
import { specWithJunctionKind } from './kinds.js';
import { alphaMagnitude, ensembleAccuracy, FULL, orderRuns, planRuns, QUICK, TASKS, type Experiment, type RunResult, type RunSpec, type SharingConfig, type Task } from './plan.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SPEC = path.join(ROOT, 'specs/multi-mnist.yaml');
const SELF = fileURLToPath(import.meta.url);

/** The checked model a run trains: the spec's variant, its junctions of the run's kind, its α multiplier and loss weights. */
async function modelFor(spec: RunSpec, cfg: SharingConfig) {
  const { validateSpec } = await import('../../../src/api/validate.js');
  const { applyVariant, parseVariant } = await import('../../../src/model/variant.js');
  let text = await fs.readFile(SPEC, 'utf8');
  const kind = spec.variant === 'sluice' || spec.variant === 'nddr' ? spec.variant : undefined;
  if (kind) text = specWithJunctionKind(text, kind);
  const checked = validateSpec(text, 'specs/multi-mnist.yaml');
  if (!checked.model) throw new Error(`specs/multi-mnist.yaml (${spec.variant}) does not check: ${checked.diagnostics.map((d) => d.message).join('; ')}`);
  const model = kind ? checked.model : applyVariant(checked.model, parseVariant(spec.variant, checked.model));
  const fineTuning = spec.stage === 'finetune' || spec.stage === 'control';
  const training = {
    ...model.training,
    batchSize: cfg.batchSize,
    ...(spec.alphaLr !== undefined ? { crossStitchLearningRateMultiplier: spec.alphaLr } : {}),
    ...(fineTuning ? { optimizer: { ...model.training.optimizer, learningRate: cfg.e2.fineTuneLearningRate } } : {}),
  };
  // E1: the starved task's loss weight is its labelled share, so that each labelled example
  // weighs in the objective what an example of the fully labelled task does (its batch loss is
  // a mean over far fewer examples).
  const starvedShare = spec.starvedLabels !== undefined ? spec.starvedLabels / cfg.data.trainSize : 1;
  return {
    ...model,
    training: { ...training, tasks: training.tasks.map((t) => (t.name === 'right' ? { ...t, lossWeight: t.lossWeight * starvedShare } : t)) },
    towers: model.towers.map((t) => (t.task === 'right' ? { ...t, lossWeight: t.lossWeight * starvedShare } : t)),
  };
}

/** One run, in this process: compile, train on wasm, test, write the result. */
async function runOne(spec: RunSpec, cfg: SharingConfig, dir: string): Promise<void> {
  const { compileModel } = await import('../../../src/api/compile.js');
  const { transpileGenerated } = await import('../../../src/cli/commands/train.js');
  const model = await modelFor(spec, cfg);
  const files = compileModel(model, { specPath: 'specs/multi-mnist.yaml' }).files.filter((f) => f.path.endsWith('.ts'));
  const hash = createHash('sha256').update(files.map((f) => f.content).join('\0')).digest('hex').slice(0, 12);
  const cache = path.join(ROOT, '.mtlc-cache', 'experiment-sharing', hash);
  await fs.mkdir(cache, { recursive: true });
  for (const f of files) await writeAtomic(path.join(cache, path.basename(f.path).replace(/\.ts$/, '.mjs')), await transpileGenerated(f.content, path.basename(f.path)));
  const generated = (await import(pathToFileURL(path.join(cache, 'model.mjs')).href)) as Record<string, unknown>;
  const trainModule = (await import(pathToFileURL(path.join(cache, 'train.mjs')).href)) as Record<string, unknown>;
  const build = generated[`build${model.name}`];
  const plan = Object.values(trainModule).find((v) => typeof v === 'object' && v !== null && 'modelName' in v) as import('../../../src/runtime/plan.js').TrainingPlan;

  const runtime = await import('mtlc/runtime/train');
  const tf = await import('@tensorflow/tfjs');
  // The backend before any tensor (tensors made on another backend and moved train on garbage).
  await runtime.selectBackend('wasm');
  const tasks = plan.tasks.map((t) => t.name) as Task[];
  const options = { placement: cfg.data.placement, distinctClasses: cfg.data.distinctClasses };
  const train = runtime.multiMnistTensors(cfg.data.trainSize, 'train', cfg.data.dataSeed, options);
  const test = runtime.multiMnistTensors(cfg.data.testSize, 'test', cfg.data.dataSeed, options);
  // The starved task's labelled images: a subset drawn per seed (the same for every variant).
  const labelled: Partial<Record<Task, import('@tensorflow/tfjs').Tensor>> = {};
  if (spec.starvedLabels !== undefined && tasks.includes('right')) {
    const order = Array.from({ length: cfg.data.trainSize }, (_, i) => i);
    new runtime.Rng(runtime.deriveSeed(spec.seed, 0x1abe1)).shuffle(order);
    const mask = new Float32Array(cfg.data.trainSize);
    for (const i of order.slice(0, spec.starvedLabels)) mask[i] = 1;
    labelled.right = tf.tensor1d(mask);
  }
  const out = path.join(dir, spec.id);
  await fs.rm(out, { recursive: true, force: true });
  const t0 = performance.now();
  let diverged = false;
  let finalLoss = Number.NaN;
  let result: Awaited<ReturnType<typeof runtime.trainModel>> | undefined;
  try {
    result = await runtime.trainModel(plan, build as never, {
      inputs: train.xs,
      targets: Object.fromEntries(tasks.map((t) => [t, train.ys[t]!])) as Record<Task, import('@tensorflow/tfjs').Tensor>,
      labelled,
      epochs: spec.epochs,
      batchSize: cfg.batchSize,
      seed: spec.seed,
      backend: 'wasm',
      validationSplit: 0,
      quiet: true,
      out,
      ...(spec.initFrom ? { initFrom: spec.initFrom.map((id) => path.join(dir, id)) } : {}),
      onEpochEnd: (record) => {
        finalLoss = record.loss;
      },
    });
  } catch (e) {
    if (!(e instanceof Error && /diverged/.test(e.message))) throw e;
    diverged = true;
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  // Above the loss of a uniform guess (ln 10 per task, weighted) counts as blown up too.
  const chanceLoss = plan.tasks.reduce((s, t) => s + t.lossWeight * Math.log(10), 0);
  if (!(finalLoss <= chanceLoss)) diverged = true;
  // Test accuracy and the softmax outputs (saved for ensembles). A diverged run is tested as it stands.
  const built = result?.built ?? (build as (o?: { seed?: number }) => { predict(x: import('@tensorflow/tfjs').Tensor): Record<string, import('@tensorflow/tfjs').Tensor> })({ seed: spec.seed });
  const accuracy: Partial<Record<Task, number>> = {};
  for (const t of tasks) {
    const probs = new Float32Array(cfg.data.testSize * 10);
    for (let i = 0; i < cfg.data.testSize; i += 256) {
      const size = Math.min(256, cfg.data.testSize - i);
      const p = tf.tidy(() => built.predict(test.xs.slice([i, 0, 0, 0], [size, 28, 28, 1]))[t]!.dataSync() as Float32Array);
      probs.set(p, i * 10);
    }
    const truth = tf.tidy(() => Array.from(test.ys[t]!.argMax(-1).dataSync()));
    accuracy[t] = ensembleAccuracy([probs], truth);
    await writeAtomic(path.join(dir, `${spec.id}.pred-${t}.bin`), Buffer.from(probs.buffer));
  }
  const res: RunResult = {
    spec,
    learningRate: plan.optimizer.learningRate,
    accuracy,
    diverged,
    finalLoss,
    alphas: diverged || !result ? [] : result.alphas.map((a) => alphaMagnitude(a.name, a.values)),
    labelled: Object.fromEntries(tasks.map((t) => [t, t === 'right' && spec.starvedLabels !== undefined ? spec.starvedLabels : cfg.data.trainSize])),
    params: result?.model.countParams() ?? 0,
    trainSeconds,
    examplesPerSecond: (cfg.data.trainSize * spec.epochs) / trainSeconds,
  };
  await writeAtomic(path.join(dir, `${spec.id}.json`), `${JSON.stringify(res, null, 1)}\n`);
}

/** Runs `specs` in child processes, `jobs` at a time, each wave after the one it starts from. */
async function runAll(specs: readonly RunSpec[], experiment: Experiment, quick: boolean, out: string, jobs: number): Promise<string[]> {
  const failed: string[] = [];
  let done = 0;
  const started = performance.now();
  for (const wave of orderRuns(specs)) {
    const queue = wave.filter((s) => !(s.initFrom ?? []).some((d) => failed.includes(d)));
    failed.push(...wave.filter((s) => !queue.includes(s)).map((s) => s.id));
    const worker = async (): Promise<void> => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        const spec = s;
        const code = await new Promise<number>((resolve) => {
          const args = [...process.execArgv, SELF, '--child', JSON.stringify(spec), '--experiment', experiment, '--out', out, ...(quick ? ['--quick'] : [])];
          const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe'] });
          let err = '';
          child.stderr.on('data', (b: Buffer) => void (err = (err + b.toString()).slice(-4000)));
          child.on('close', (c) => {
            if (c !== 0) process.stderr.write(`run ${spec.id} failed (exit ${c}):\n${err}\n`);
            resolve(c ?? 1);
          });
        });
        done++;
        if (code !== 0) failed.push(spec.id);
        process.stdout.write(`[${done}/${specs.length}] ${spec.id} ${code === 0 ? 'done' : 'FAILED'} (${((performance.now() - started) / 60000).toFixed(1)} min)\n`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  }
  return failed;
}

/** E2's ensembles: per seed and task, the control net and the member net averaged. */
async function ensembles(cfg: SharingConfig, dir: string): Promise<{ seed: number; task: Task; accuracy: number }[]> {
  const runtime = await import('mtlc/runtime/train');
  const options = { placement: cfg.data.placement, distinctClasses: cfg.data.distinctClasses };
  const test = runtime.makeMultiMnist(cfg.data.testSize, 'test', cfg.data.dataSeed, options);
  const out: { seed: number; task: Task; accuracy: number }[] = [];
  const read = async (file: string): Promise<Float32Array | undefined> => {
    const b = await fs.readFile(path.join(dir, file)).catch(() => undefined);
    return b && new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  for (const seed of cfg.seeds) {
    for (const task of TASKS) {
      const a = await read(`e2-control_${task}_s${seed}.pred-${task}.bin`);
      const b = await read(`e2-member_${task}_s${seed}.pred-${task}.bin`);
      if (a && b) out.push({ seed, task, accuracy: ensembleAccuracy([a, b], task === 'left' ? test.left : test.right) });
    }
  }
  return out;
}

const USAGE = `usage: npm run experiment:sharing -- --experiment e1|e2 [--quick] [--jobs N] [--out DIR]

  --experiment e1  the data-starved task (about 35 minutes on 2 cores)
  --experiment e2  the paper's protocol: single-task nets, then fine-tuned stitched nets (about 10 minutes)
  --quick          every kind of run once on a few hundred images (a smoke test, about 2 minutes)
  --jobs N         runs at a time (default 2)
  --out DIR        where the runs go (default runs/experiment-<e>[-quick]/); finished runs are skipped
Then: npm run experiment:sharing:report [-- --quick]
`;

async function main(): Promise<number> {
  const values = parseCommand<{ experiment?: string; quick?: boolean; jobs?: string; out?: string; child?: string }>(
    { experiment: { type: 'string' }, quick: { type: 'boolean' }, jobs: { type: 'string' }, out: { type: 'string' }, child: { type: 'string' } },
    USAGE,
  );
  if (typeof values === 'number') return values;
  const experiment = values.experiment as Experiment | undefined;
  if (experiment !== 'e1' && experiment !== 'e2') {
    process.stderr.write(`error: --experiment: expected e1 or e2, got '${values.experiment ?? ''}'\n${USAGE}`);
    return 2;
  }
  const quick = Boolean(values.quick);
  const cfg = quick ? QUICK : FULL;
  const out = path.resolve(values.out ?? path.join(ROOT, 'runs', `experiment-${experiment}${quick ? '-quick' : ''}`));
  const dir = path.join(out, 'runs');
  await fs.mkdir(dir, { recursive: true });
  if (values.child) {
    await runOne(JSON.parse(values.child) as RunSpec, cfg, dir);
    return 0;
  }
  const jobs = values.jobs === undefined ? 2 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    process.stderr.write(`error: --jobs: expected a positive integer, got '${values.jobs}'\n`);
    return 2;
  }
  // Results are only comparable under one config: a folder from another config is refused.
  const configFile = path.join(out, 'config.json');
  const configText = `${JSON.stringify(cfg, null, 1)}\n`;
  const previous = await fs.readFile(configFile, 'utf8').catch(() => undefined);
  if (previous !== undefined && previous !== configText) {
    process.stderr.write(`${path.relative(process.cwd(), out)} holds runs of another configuration; delete it or pass --out DIR\n`);
    return 2;
  }
  await writeAtomic(configFile, configText);
  const planned = planRuns(cfg, experiment);
  const have = new Set((await fs.readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)));
  const todo = planned.filter((s) => !have.has(s.id));
  process.stdout.write(
    `experiment ${experiment}${quick ? ' (quick)' : ''}: ${planned.length} runs (${planned.length - todo.length} already done), ` +
      `${cfg.data.trainSize} train / ${cfg.data.testSize} test images (${cfg.data.placement} placement), ${jobs} at a time on wasm\n`,
  );
  const began = new Date();
  const t0 = performance.now();
  const failed = await runAll(todo, experiment, quick, out, jobs);
  const results: RunResult[] = [];
  for (const s of planned) {
    const text = await fs.readFile(path.join(dir, `${s.id}.json`), 'utf8').catch(() => undefined);
    if (text !== undefined) results.push(JSON.parse(text) as RunResult);
  }
  const ens = experiment === 'e2' ? await ensembles(cfg, dir) : [];
  const judged = judge(claims(cfg, experiment, results, ens));
  const summary = {
    experiment,
    command: `npm run experiment:sharing -- --experiment ${experiment}${quick ? ' --quick' : ''}${values.jobs ? ` --jobs ${jobs}` : ''}`,
    config: cfg,
    started: began.toISOString(),
    finished: new Date().toISOString(),
    wallMinutes: (performance.now() - t0) / 60000,
    jobs,
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    results,
    ensembles: ens,
    claims: judged.map((j) => ({ id: j.claim.id, source: j.claim.source, expected: j.claim.expected, a: j.claim.a.label, b: j.claim.b.label, ...j.comparison, adjustedP: j.adjustedP, verdict: j.verdict })),
    missing: planned.filter((s) => !results.some((r) => r.spec.id === s.id)).map((s) => s.id),
  };
  await writeAtomic(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
  for (const j of judged) {
    const [lo, hi] = j.comparison.ci95;
    process.stdout.write(`${j.claim.id}: ${(100 * j.comparison.mean).toFixed(2)} points [${(100 * lo).toFixed(2)}, ${(100 * hi).toFixed(2)}], p ${j.comparison.p.toFixed(3)} (Holm ${j.adjustedP.toFixed(3)}): ${j.verdict}\n`);
  }
  process.stdout.write(`summary: ${path.relative(process.cwd(), path.join(out, 'summary.json'))}\n`);
  if (failed.length > 0 || summary.missing.length > 0) {
    process.stderr.write(`${summary.missing.length} run(s) missing: ${summary.missing.join(', ')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
