/**
 * `npm run bench:torch [-- --reps N --train-size N]`: the torch engine beside the tfjs engine on
 * the MultiMNIST spec, interleaved (tfjs wasm, torch 1 process, torch 2 ranks, repeated):
 * - training examples/s of one epoch (tfjs: its epoch line; torch: rank 0's epoch, steps only);
 * - nproc 2 vs 1 in examples per CPU-second (the ranks' summed process CPU time of the epoch).
 * Startup (importing torch, the data hand-over) is not in the figures. Prints a markdown table
 * and the load average before and after: the machine may be shared, so compare ratios.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { findTorchPython, launch, type TorchEvent } from '../src/runtime/torch/launch.js';
import { parseCommand } from './lib/cli.js';
import { repoPath } from './lib/optional.js';

const values = parseCommand<{ reps?: string; 'train-size'?: string }>(
  { reps: { type: 'string' }, 'train-size': { type: 'string' } },
  'usage: npm run bench:torch [-- --reps 3] [--train-size 3000]\n  the torch engine (1 process, 2 gloo ranks) beside the tfjs engine (wasm) on the MultiMNIST spec\n',
);
if (typeof values === 'number') process.exit(values);
const reps = Number(values.reps ?? 3);
const trainSize = Number(values['train-size'] ?? 3000);
const cli = repoPath('bin/mtlc.js');

const py = findTorchPython(undefined);
if ('missing' in py) {
  process.stderr.write(`bench:torch: ${py.missing}\n`);
  process.exit(3);
}
const { python, torch: torchVersion } = py;
const dir = mkdtempSync(path.join(tmpdir(), 'mtlc-bench-torch-'));
const spec = path.join(dir, 'multi-mnist.yaml');
writeFileSync(spec, readFileSync(repoPath('specs/multi-mnist.yaml'), 'utf8').replace(/^data:.*$/m, `data: { format: multimnist, trainSize: ${trainSize}, testSize: 64 }`));

function tfjsRun(): number {
  const r = spawnSync(process.execPath, [cli, 'train', spec, '--backend', 'wasm', '--epochs', '1', '--out', path.join(dir, 'tfjs'), '--restart'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const m = /epoch 1\/1 .*\((\d+) ex\/s\)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`tfjs run failed: ${r.stderr.slice(-2000)}`);
  return Number(m[1]);
}

// The torch job once (data shards, initial weights), then only the training runs.
const prep = spawnSync(process.execPath, [cli, 'train', spec, '--engine', 'torch', '--epochs', '1', '--out', path.join(dir, 'torch'), '--prepare-only'], { cwd: dir, encoding: 'utf8' });
if (prep.status !== 0) throw new Error(prep.stderr);
// The printed command: PYTHONPATH=<package root>:<runtime> <python> -m <package>.train --job ...
const printed = /PYTHONPATH=([^\s:]+)\S* \S+ -m (\w+)\.train/.exec(prep.stdout);
if (!printed) throw new Error(`bench:torch: cannot read the package from --prepare-only's output:\n${prep.stdout}`);
const root = printed[1]!;
const pkg = printed[2]!;
const job = path.join(dir, 'torch', 'torch', 'job.json');

async function torchRun(nproc: number): Promise<{ exs: number; perCpu: number }> {
  let epoch: TorchEvent | undefined;
  const r = await launch({ python, nproc, packageRoot: root, packageName: pkg, job, onEvent: (e) => (e.event === 'epoch' ? (epoch = e) : undefined), onLine: () => {} });
  if (r.exitCode !== 0 || !epoch) throw new Error(`torch run (nproc ${nproc}) failed`);
  const examples = (epoch['record'] as { examples: number }).examples;
  return { exs: epoch['examplesPerSecond'] as number, perCpu: examples / (epoch['cpuSeconds'] as number) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const loadBefore = loadavg()[0]!;
const tfjs: number[] = [];
const one: { exs: number; perCpu: number }[] = [];
const two: { exs: number; perCpu: number }[] = [];
for (let i = 0; i < reps; i++) {
  tfjs.push(tfjsRun());
  one.push(await torchRun(1));
  two.push(await torchRun(2));
  process.stderr.write(`rep ${i + 1}: tfjs wasm ${tfjs[i]} ex/s, torch nproc 1 ${one[i]!.exs.toFixed(0)} ex/s (${one[i]!.perCpu.toFixed(0)} ex/cpu-s), nproc 2 ${two[i]!.exs.toFixed(0)} ex/s (${two[i]!.perCpu.toFixed(0)} ex/cpu-s)\n`);
}
const loadAfter = loadavg()[0]!;
const ratios = tfjs.map((t, i) => one[i]!.exs / t);
const cpuRatios = two.map((t, i) => t.perCpu / one[i]!.perCpu);
const exsRatios = two.map((t, i) => t.exs / one[i]!.exs);
process.stdout.write(
  [
    `| figure (\`npm run bench:torch\`, ${reps} interleaved reps, MultiMNIST LeNet pair, ${trainSize} examples, batch 64, torch ${torchVersion}) | measured | peer | ratio (median of paired) |`,
    '| --- | --- | --- | --- |',
    `| training ex/s: torch engine, 1 process vs tfjs engine, wasm | ${median(one.map((o) => o.exs)).toFixed(0)} ex/s | ${median(tfjs).toFixed(0)} ex/s | ${median(ratios).toFixed(2)}× |`,
    `| training ex/s: torch, 2 gloo ranks vs 1 process | ${median(two.map((o) => o.exs)).toFixed(0)} ex/s | ${median(one.map((o) => o.exs)).toFixed(0)} ex/s | ${median(exsRatios).toFixed(2)}× |`,
    `| examples per CPU-second: torch, 2 gloo ranks vs 1 process | ${median(two.map((o) => o.perCpu)).toFixed(0)} | ${median(one.map((o) => o.perCpu)).toFixed(0)} | ${median(cpuRatios).toFixed(2)}× |`,
    `| load average (1 min) before / after | ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)} | | |`,
    '',
  ].join('\n'),
);
rmSync(dir, { recursive: true, force: true });
