/**
 * validate ⇒ train, as a property: every random spec the checker accepts compiles, its generated
 * code type-checks under strict (one tsc program over all of them), it builds, and one training
 * epoch on cpu and on wasm (the backend `auto` picks here) starts from the same weights and ends
 * with the same losses and the same weight updates, to float tolerance. A spec the checker
 * refuses is fine (the generator varies widths so some junctions mismatch); the test also checks
 * that most generated specs are accepted, so it cannot pass vacuously.
 * Size: MTLC_PROPERTY_RUNS (default 60, 20–60 s on 2 shared cores); bench/validate-train.ts runs
 * more.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend, trainModel, type ModelBuilder, type TrainingPlan } from 'mtlc/runtime';
import { compileSpec } from '../../src/api/compile.js';
import { validateSpec } from '../../src/api/validate.js';
import { specArbitrary } from './spec-arbitrary.js';

const root = path.join(import.meta.dirname, '..', '..');
const RUNS = Number(process.env['MTLC_PROPERTY_RUNS'] ?? 60);
const SEED = Number(process.env['MTLC_PROPERTY_SEED'] ?? 20261130);
const EXAMPLES = 8;
const LR = 0.01;

// Inside the package, so generated code resolves `mtlc/runtime` and `@tensorflow/tfjs`.
mkdirSync(path.join(root, '.mtlc-cache'), { recursive: true });
const work = mkdtempSync(path.join(root, '.mtlc-cache', 'property-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Seeded inputs and loss-appropriate targets (class indices, one-hot, [0,1], real values). */
function data(plan: TrainingPlan, seed: number): { x: Float32Array; xShape: number[]; ys: Record<string, { values: Float32Array; shape: number[] }> } {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
  const xShape = [EXAMPLES, ...plan.input.shape];
  const x = Float32Array.from({ length: xShape.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1);
  const ys: Record<string, { values: Float32Array; shape: number[] }> = {};
  for (const t of plan.tasks) {
    const units = t.outputShape.reduce((a, b) => a * b, 1);
    if (t.loss === 'sparseCategoricalCrossentropy') {
      ys[t.name] = { values: Float32Array.from({ length: EXAMPLES }, () => Math.floor(rnd() * units)), shape: [EXAMPLES, 1] };
    } else if (t.loss === 'categoricalCrossentropy') {
      const v = new Float32Array(EXAMPLES * units);
      for (let i = 0; i < EXAMPLES; i++) v[i * units + Math.floor(rnd() * units)] = 1;
      ys[t.name] = { values: v, shape: [EXAMPLES, units] };
    } else {
      const binary = t.loss === 'binaryCrossentropy';
      ys[t.name] = { values: Float32Array.from({ length: EXAMPLES * units }, () => (binary ? Math.round(rnd()) : rnd() * 2 - 1)), shape: [EXAMPLES, units] };
    }
  }
  return { x, xShape, ys };
}

interface Outcome {
  names: string[];
  initial: Float32Array[];
  final: Float32Array[];
  loss: number;
  tasks: Record<string, number>;
}

async function trainOn(backend: 'cpu' | 'wasm', plan: TrainingPlan, build: ModelBuilder, d: ReturnType<typeof data>): Promise<Outcome> {
  // The backend first: the initial weights and the data tensors are made on it.
  await selectBackend(backend);
  const initialModel = build({ seed: 3 });
  const initial = initialModel.model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  const names = initialModel.model.weights.map((w) => w.originalName);
  initialModel.model.dispose();
  const inputs = tf.tensor(d.x, d.xShape);
  const targets = Object.fromEntries(Object.entries(d.ys).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
  const result = await trainModel(plan, build, { inputs, targets, epochs: 1, batchSize: EXAMPLES, backend, quiet: true, seed: 3 });
  const final = result.model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  const h = result.history[0]!;
  result.model.dispose();
  tf.dispose([inputs, ...Object.values(targets)]);
  return { names, initial, final, loss: h.loss, tasks: Object.fromEntries(Object.entries(h.tasks).map(([k, v]) => [k, v.loss])) };
}

/** max |a − b| over max(|b|, floor): a relative error that tolerates float noise near zero. */
function rel(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-4): number {
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

describe('validate ⇒ train (random accepted specs)', () => {
  it(`${RUNS} random specs: accepted ones compile, type-check, and train alike on cpu and wasm`, async () => {
    const samples = fc.sample(specArbitrary, { numRuns: RUNS, seed: SEED });
    const failures: string[] = [];
    const rejected = new Map<string, number>();
    let accepted = 0;
    const kinds = new Map<string, number>();
    const dirs: string[] = [];
    for (const [i, { spec, summary }] of samples.entries()) {
      const text = `# ${summary}\n${stringify(spec)}`;
      const file = `spec-${i}.yaml`;
      // Failing specs are kept (with their summary) for a look: .mtlc-cache/property-failures/.
      const keep = (): string => {
        const dir = path.join(root, '.mtlc-cache', 'property-failures');
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, `${SEED}-${file}`), text);
        return path.join('.mtlc-cache', 'property-failures', `${SEED}-${file}`);
      };
      const where = `#${i} ${summary}`;
      const { model, diagnostics } = validateSpec(text, file);
      const errors = diagnostics.filter((d) => d.severity === 'error');
      if (!model || errors.length > 0) {
        for (const e of errors) rejected.set(e.code, (rejected.get(e.code) ?? 0) + 1);
        continue;
      }
      accepted++;
      for (const j of (spec['crossStitch'] as { kind?: string; mode?: string }[] | undefined) ?? []) {
        const k = j.kind ?? j.mode ?? 'channel';
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
      }
      try {
        const { files } = compileSpec(text, file);
        const dir = path.join(work, String(i));
        dirs.push(dir);
        for (const f of files) {
          mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
          writeFileSync(path.join(dir, f.path), f.content);
        }
        writeFileSync(path.join(dir, file), text);
        const folder = path.join(dir, files[0]!.path.split('/')[0]!);
        const trainModule = (await import(path.join(folder, 'train.ts'))) as Record<string, unknown>;
        const modelModule = (await import(path.join(folder, 'model.ts'))) as Record<string, unknown>;
        const specPlan = Object.values(trainModule).find((v) => typeof v === 'object' && v !== null && 'modelName' in v) as TrainingPlan;
        // Plain SGD with one learning rate for every group: a weight's update is −lr × its
        // gradient, so the comparison is of gradients (Adam's first step is lr × sign(g), which
        // float noise flips for gradients near zero).
        const plan: TrainingPlan = { ...specPlan, optimizer: { type: 'sgd', learningRate: LR }, crossStitchLearningRateMultiplier: 1 };
        const build = modelModule[`build${model.name}`] as ModelBuilder;
        const d = data(plan, i + 1);
        const cpu = await trainOn('cpu', plan, build, d);
        const wasm = await trainOn('wasm', plan, build, d);
        const problems: string[] = [];
        cpu.initial.forEach((w, k) => {
          if (rel(wasm.initial[k]!, w, 1e-6) > 1e-6) problems.push(`initial weight ${k} differs between backends`);
        });
        if (rel([wasm.loss], [cpu.loss], 1e-3) > 2e-3) problems.push(`epoch loss cpu ${cpu.loss} wasm ${wasm.loss}`);
        for (const [task, l] of Object.entries(cpu.tasks)) if (rel([wasm.tasks[task]!], [l], 1e-3) > 2e-3) problems.push(`task ${task} loss cpu ${l} wasm ${wasm.tasks[task]}`);
        // Compare gradients (update / −lr). A gradient that is zero in exact arithmetic (a bias
        // before batch normalisation) is float noise on both backends, so each weight's error is
        // taken relative to its own scale or 1% of the model's largest gradient, whichever is more.
        const grads = (o: Outcome): Float32Array[] => o.final.map((w, k) => w.map((v, j) => (o.initial[k]![j]! - v) / LR));
        const gc = grads(cpu);
        const gw = grads(wasm);
        const largest = Math.max(...gc.map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
        gc.forEach((g, k) => {
          const e = rel(gw[k]!, g, Math.max(1e-2 * largest, 1e-4));
          if (e > 1e-2) problems.push(`weight ${k} (${cpu.names[k]}): gradient differs by ${(e * 100).toFixed(1)}% between cpu and wasm`);
        });
        if (!Number.isFinite(cpu.loss)) problems.push(`loss ${cpu.loss}`);
        if (problems.length) failures.push(`${where} (${keep()})\n  ${problems.join('\n  ')}`);
      } catch (e) {
        failures.push(`${where} (${keep()})\n  threw: ${e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 4).join('\n    ') : String(e)}`);
      }
    }
    // One strict tsc program over every accepted spec's generated code.
    if (dirs.length > 0) {
      writeFileSync(
        path.join(work, 'tsconfig.json'),
        JSON.stringify({ extends: path.join(root, 'tsconfig.json'), compilerOptions: { noEmit: true, strict: true, types: ['node'], rootDir: root }, include: ['./**/*.ts'] }),
      );
      try {
        execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(work, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
      } catch (e) {
        failures.push(`tsc:\n${(e as { stdout?: string }).stdout ?? String(e)}`);
      }
    }
    const summary = `${accepted}/${RUNS} accepted; refused by code: ${JSON.stringify(Object.fromEntries(rejected))}`;
    console.info(`validate ⇒ train, seed ${SEED}: ${summary}; junction kinds trained: ${JSON.stringify(Object.fromEntries(kinds))}`);
    if (failures.length) throw new Error(`${failures.length} failure(s); ${summary}\n\n${failures.slice(0, 8).join('\n\n')}`);
    expect(accepted, summary).toBeGreaterThanOrEqual(Math.ceil(RUNS * 0.5));
  }, 600_000);
});
