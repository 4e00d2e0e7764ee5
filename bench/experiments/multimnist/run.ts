/**
 * `npm run experiment:multimnist [-- --quick] [--jobs N] [--out DIR]`: the cross-stitch
 * reproduction on the built-in MultiMNIST (issue 7). Every run of `planRuns` trains one variant
 * of specs/multi-mnist.yaml (compiled by mtlc from the IR, as `mtlc train --variant` does) on the
 * wasm backend in its own child process, `--jobs` (default 2) at a time: wasm is single-threaded,
 * so two children use both cores. Each run writes `<out>/runs/<id>.json` when it finishes; a
 * rerun skips runs whose file exists (delete the folder to start over). At the end
 * `<out>/summary.json` holds the config, machine, every result and the aggregated tables;
 * `bench/experiments/multimnist/report.ts` turns it into docs/results.md.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { writeAtomic } from '../../../src/runtime/files.js';
import { aggregate, FULL, pct, planRuns, QUICK, summariseAlpha, type ExperimentConfig, type RunResult, type RunSpec } from './plan.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SPEC = path.join(ROOT, 'specs/multi-mnist.yaml');
const SELF = fileURLToPath(import.meta.url);

/** One run, in this process: compile the variant, train on wasm, test, write `<dir>/<id>.json`. */
async function runOne(spec: RunSpec, cfg: ExperimentConfig, dir: string): Promise<void> {
  const started = performance.now();
  const { validateSpecFile } = await import('../../../src/api/validate.js');
  const { compileModel } = await import('../../../src/api/compile.js');
  const { applyVariant, parseVariant, modelParams } = await import('../../../src/model/variant.js');
  const { transpileGenerated } = await import('../../../src/cli/commands/train.js');
  const checked = validateSpecFile(SPEC, 'specs/multi-mnist.yaml');
  if (!checked.model) throw new Error(`specs/multi-mnist.yaml does not check: ${checked.diagnostics.map((d) => d.message).join('; ')}`);
  let model = applyVariant(checked.model, parseVariant(spec.variant, checked.model));
  // The runtime layer is built from `options` (its init too); `init` beside it is what inspect shows.
  if (spec.init) model = { ...model, junctions: model.junctions.map((j) => ({ ...j, init: { self: spec.init![0], other: spec.init![1] }, options: { ...j.options, init: { self: spec.init![0], other: spec.init![1] } } })) };
  if (spec.lrMultiplier !== undefined) model = { ...model, training: { ...model.training, crossStitchLearningRateMultiplier: spec.lrMultiplier } };
  const files = compileModel(model, { specPath: 'specs/multi-mnist.yaml' }).files.filter((f) => f.path.endsWith('.ts'));
  // Generated code imports `mtlc/runtime`; under the repo it resolves to this package (sources).
  const hash = createHash('sha256').update(files.map((f) => f.content).join('\0')).digest('hex').slice(0, 12);
  const cache = path.join(ROOT, '.mtlc-cache', 'experiment-multimnist', hash);
  await fs.mkdir(cache, { recursive: true });
  for (const f of files) await writeAtomic(path.join(cache, path.basename(f.path).replace(/\.ts$/, '.mjs')), await transpileGenerated(f.content, path.basename(f.path)));
  const generated = (await import(pathToFileURL(path.join(cache, 'model.mjs')).href)) as Record<string, unknown>;
  const trainModule = (await import(pathToFileURL(path.join(cache, 'train.mjs')).href)) as Record<string, unknown>;
  const build = generated[`build${model.name}`] as (o?: { seed?: number }) => { model: { countParams(): number } };
  const plan = Object.values(trainModule).find((v) => typeof v === 'object' && v !== null && 'modelName' in v) as import('../../../src/runtime/plan.js').TrainingPlan;

  const runtime = await import('mtlc/runtime');
  const tf = await import('@tensorflow/tfjs');
  // The backend before any tensor: data made on tfjs's default backend and moved to wasm by
  // trainModel's backend switch trained on garbage (losses ~1e-45, chance accuracy).
  await runtime.selectBackend('wasm');
  const tasks = plan.tasks.map((t) => t.name);
  // The spec's task order maps tasks to digits: first = upper-left, second = lower-right.
  const digitOf = (task: string): 'left' | 'right' => (checked.model!.towers[0]!.task === task ? 'left' : 'right');
  const pickTasks = (ys: Record<string, import('@tensorflow/tfjs').Tensor>) => Object.fromEntries(tasks.map((t) => [t, ys[digitOf(t)]!]));
  const train = runtime.multiMnistTensors(cfg.trainSize, 'train', cfg.dataSeed);
  const test = runtime.multiMnistTensors(cfg.testSize, 'test', cfg.dataSeed);
  const t0 = performance.now();
  const history: { epoch: number; loss: number; accuracy: Record<string, number> }[] = [];
  const result = await runtime.trainModel(plan, build as never, {
    inputs: train.xs,
    targets: pickTasks(train.ys),
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    seed: spec.seed,
    backend: 'wasm',
    validationSplit: 0,
    quiet: true,
    onEpochEnd: (record) => {
      history.push({ epoch: record.epoch, loss: record.loss, accuracy: Object.fromEntries(tasks.map((t) => [t, record.tasks[t]?.metrics['accuracy'] ?? NaN])) });
    },
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  // Test accuracy: argmax of each head against the digit, in batches.
  function testAccuracy(built: { predict(x: import('@tensorflow/tfjs').Tensor): Record<string, import('@tensorflow/tfjs').Tensor> }): Record<string, number> {
    const correct: Record<string, number> = Object.fromEntries(tasks.map((t) => [t, 0]));
    const n = cfg.testSize;
    for (let i = 0; i < n; i += 256) {
      const size = Math.min(256, n - i);
      tf.tidy(() => {
        const out = built.predict(test.xs.slice([i, 0, 0, 0], [size, 28, 28, 1]));
        for (const t of tasks) {
          const ok = out[t]!.argMax(-1).equal(test.ys[digitOf(t)]!.slice([i, 0], [size, 10]).argMax(-1)).sum().dataSync()[0]!;
          correct[t]! += ok;
        }
      });
    }
    return Object.fromEntries(tasks.map((t) => [t, correct[t]! / n]));
  }
  const accuracy = testAccuracy(result.built as never);
  const res: RunResult = {
    spec,
    params: result.model.countParams(),
    irParams: modelParams(model),
    accuracy,
    history,
    alphas: result.alphas.map((a) => summariseAlpha(a.name, a.values)),
    trainSeconds,
    wallSeconds: (performance.now() - started) / 1000,
    backend: result.backend,
    examplesPerSecond: (cfg.trainSize * cfg.epochs) / trainSeconds,
  };
  await writeAtomic(path.join(dir, `${spec.id}.json`), `${JSON.stringify(res, null, 1)}\n`);
}

/** Runs `specs` in child processes, `jobs` at a time; resolves with the ids that failed. */
async function runAll(specs: readonly RunSpec[], cfg: ExperimentConfig, dir: string, jobs: number, quick: boolean): Promise<string[]> {
  const queue = [...specs];
  const failed: string[] = [];
  let done = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let spec = queue.shift(); spec; spec = queue.shift()) {
      const s = spec;
      const code = await new Promise<number>((resolve) => {
        const child = spawn(process.execPath, [...process.execArgv, SELF, '--child', JSON.stringify(s), ...(quick ? ['--quick'] : []), '--out', path.dirname(dir)], {
          stdio: ['ignore', 'inherit', 'pipe'],
        });
        let err = '';
        child.stderr.on('data', (b: Buffer) => void (err = (err + b.toString()).slice(-4000)));
        child.on('close', (c) => {
          if (c !== 0) process.stderr.write(`run ${s.id} failed (exit ${c}):\n${err}\n`);
          resolve(c ?? 1);
        });
      });
      done++;
      if (code !== 0) failed.push(s.id);
      const min = (performance.now() - started) / 60000;
      process.stdout.write(`[${done}/${specs.length}] ${s.id} ${code === 0 ? 'done' : 'FAILED'} (${min.toFixed(1)} min elapsed)\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  return failed;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      jobs: { type: 'string' },
      out: { type: 'string' },
      child: { type: 'string' },
    },
    strict: true,
  });
  const quick = Boolean(values.quick);
  const cfg = quick ? QUICK : FULL;
  const out = path.resolve(values.out ?? path.join(ROOT, 'runs', quick ? 'experiment-multimnist-quick' : 'experiment-multimnist'));
  const dir = path.join(out, 'runs');
  await fs.mkdir(dir, { recursive: true });
  if (values.child) {
    await runOne(JSON.parse(values.child) as RunSpec, cfg, dir);
    return 0;
  }
  const jobs = values.jobs === undefined ? 2 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    process.stderr.write(`--jobs: expected a positive integer, got '${values.jobs}'\n`);
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
  const planned = planRuns(cfg);
  const have = new Set((await fs.readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)));
  const todo = planned.filter((s) => !have.has(s.id));
  process.stdout.write(
    `MultiMNIST experiment${quick ? ' (quick)' : ''}: ${planned.length} runs (${planned.length - todo.length} already done in ${path.relative(process.cwd(), dir) || '.'}), ` +
      `${cfg.trainSize} train / ${cfg.testSize} test examples, ${cfg.epochs} epochs, ${jobs} at a time on wasm\n`,
  );
  const began = new Date();
  const t0 = performance.now();
  const failed = await runAll(todo, cfg, dir, jobs, quick);
  const results: RunResult[] = [];
  for (const s of planned) {
    try {
      results.push(JSON.parse(await fs.readFile(path.join(dir, `${s.id}.json`), 'utf8')) as RunResult);
    } catch {
      // failed or missing: listed in tables.missing
    }
  }
  const tables = aggregate(cfg, results);
  const summary = {
    command: `npm run experiment:multimnist${quick ? ' -- --quick' : ''}${values.jobs ? ` --jobs ${jobs}` : ''}`,
    config: cfg,
    started: began.toISOString(),
    finished: new Date().toISOString(),
    /** This invocation's wall time (runs skipped as done are not in it). */
    wallMinutes: (performance.now() - t0) / 60000,
    /** Sum of every result's wall time over the jobs: the whole experiment's wall time if run at once. */
    estimatedFullWallMinutes: results.reduce((a, r) => a + r.wallSeconds, 0) / 60 / jobs,
    jobs,
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGB: Math.round(os.totalmem() / 2 ** 30), platform: `${os.platform()} ${os.release()}`, node: process.version },
    tables,
    results,
  };
  await writeAtomic(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
  const tasks = ['left', 'right'];
  const line = (r: (typeof tables.variants)[number]) =>
    `  ${r.label.padEnd(20)} ${tasks.map((t) => pct(r.accuracy[t]).padEnd(12)).join(' ')} ${String(r.params).padStart(8)}  ${r.trainSeconds.mean.toFixed(0)} s  (${r.runs} runs)\n`;
  process.stdout.write(`\ntest accuracy % (mean ± std over seeds)   left         right        params   train time\n`);
  for (const r of [...tables.variants, ...tables.alphaInit, ...tables.alphaLr]) process.stdout.write(line(r));
  process.stdout.write(`\nsummary: ${path.relative(process.cwd(), path.join(out, 'summary.json'))}\n`);
  if (failed.length > 0 || tables.missing.length > 0) {
    process.stderr.write(`${tables.missing.length} run(s) missing: ${tables.missing.join(', ')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
