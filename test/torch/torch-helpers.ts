/**
 * Shared by the torch tests: the Python with PyTorch (tests skip visibly without it), a
 * long-lived Python helper (helper.py, one process per test file), and fixtures compiled for
 * both targets into `.mtlc-cache/` (so vitest imports the generated TypeScript).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { compileModel } from '../../src/api/compile.js';
import { validateSpec } from '../../src/api/validate.js';
import { defaultRegistry } from '../../src/api/registry.js';
import type { CheckedModel } from '../../src/model/ir.js';
import { findTorchPython, pythonRuntimeDir } from '../../src/runtime/torch/launch.js';
import { emitTorch } from '../../src/targets/torch/index.js';
import type { BuiltModel, TrainingPlan } from '../../src/runtime/index.js';

export const root = path.join(import.meta.dirname, '..', '..');

const found = findTorchPython(undefined);
export const torchPython = 'missing' in found ? undefined : found.python;
/** Why the torch tests skip (printed in the test title), or undefined when they run. */
export const skipReason = 'missing' in found ? `skipped: ${found.missing}` : undefined;

export class PyHelper {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly queue: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(python: string) {
    this.child = spawn(python, [path.join(import.meta.dirname, 'helper.py')], {
      env: { ...process.env, PYTHONPATH: pythonRuntimeDir(), OMP_NUM_THREADS: '1' },
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.queue.shift()?.(line));
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`python helper timed out; stderr: ${this.stderr}`)), 120_000);
      this.queue.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
  }

  ready = (): Promise<Record<string, unknown>> => this.next();

  async request<T = Record<string, unknown>>(req: Record<string, unknown>): Promise<T> {
    const answer = this.next();
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    const r = await answer;
    if (r['error']) throw new Error(`python: ${String(r['error'])}\n${String(r['trace'] ?? '')}`);
    return r as T;
  }

  close(): void {
    this.child.stdin.end();
  }
}

export interface CompiledFixture {
  model: CheckedModel;
  dir: string;
  /** The torch package's folder and name. */
  torchRoot: string;
  torchPackage: string;
  build: (options?: { seed?: number }) => BuiltModel;
  plan: TrainingPlan;
}

/** Compiles a spec for both targets into a fresh folder under .mtlc-cache/ and imports the tfjs side. */
export async function compileFixture(spec: string): Promise<CompiledFixture> {
  const text = readFileSync(path.join(root, spec), 'utf8');
  const checked = validateSpec(text, spec);
  if (!checked.model) throw new Error(JSON.stringify(checked.diagnostics));
  const base = path.join(root, '.mtlc-cache');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, 'torch-test-'));
  for (const f of compileModel(checked.model, { specPath: spec }).files) {
    const file = path.join(dir, 'ts', f.path);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, f.content);
  }
  const emitted = emitTorch(checked.model, defaultRegistry(), { specPath: spec });
  if (emitted.problems.length) throw new Error(JSON.stringify(emitted.problems));
  for (const f of emitted.files) {
    const file = path.join(dir, 'py', f.path);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, f.content);
  }
  const folder = emitted.files[0]!.path.split('/')[0]!;
  const kebab = compileModel(checked.model, { specPath: spec }).files[0]!.path.split('/')[0]!;
  const modelMod = (await import(path.join(dir, 'ts', kebab, 'model.ts'))) as Record<string, unknown>;
  const trainMod = (await import(path.join(dir, 'ts', kebab, 'train.ts'))) as Record<string, unknown>;
  const build = modelMod[`build${checked.model.name}`] as CompiledFixture['build'];
  const plan = Object.values(trainMod).find((v) => typeof v === 'object' && v !== null && 'modelName' in v) as TrainingPlan;
  return { model: checked.model, dir, torchRoot: path.join(dir, 'py'), torchPackage: folder, build, plan };
}

/** Largest |a - b| / max(1, |b|) over two equally long arrays. */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return m;
}
