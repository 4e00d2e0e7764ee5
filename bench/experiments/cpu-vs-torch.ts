/**
 * A load-tolerant side-by-side: process CPU time per MultiMNIST training step of the generated
 * model on wasm (one thread; SIMD kernels on and off) and of the PyTorch peer on one thread,
 * interleaved. CPU time is what each side consumed, not what it waited for, so it is far less
 * disturbed by other processes than wall time (not immune: a busy sibling hyperthread and shared
 * caches still slow both sides). It is not the goal's figure (wall-time throughput against
 * PyTorch on 2 threads, `npm run bench -- --only train`); it is what can be measured on a
 * shared machine.
 *
 * Run: node --conditions=source --import tsx bench/experiments/cpu-vs-torch.ts [--pairs 9] [--steps 10]
 */
import { selectBackend } from '../../src/runtime/backend.js';
import { useWasmSimdKernels } from '../../src/runtime/wasm-kernels/index.js';
import { buildMultiMnist } from '../../generated/multi-mnist/model.js';
import { makeTrainer } from '../lib/train-step.js';
import { findTorchPython, TorchPeer } from '../lib/python.js';
import { JUNCTION_POSITIONS } from '../peers/hand-written.js';
import { median } from '../lib/stats.js';

const arg = (n: string, d: number): number => (process.argv.includes(`--${n}`) ? Number(process.argv[process.argv.indexOf(`--${n}`) + 1]) : d);
const PAIRS = arg('pairs', 9);
const STEPS = arg('steps', 10);
const torch = findTorchPython();
if (!torch) throw new Error('PyTorch not found (Debian: apt-get install python3-torch)');
await selectBackend('wasm');
const trainer = makeTrainer(buildMultiMnist().model);
const peer = new TorchPeer(torch.python, { junctions: JUNCTION_POSITIONS, batch: 64, threads: 1 });
await peer.ready();
await trainer.run(5);
await peer.runTimed(STEPS);

async function ours(simd: boolean): Promise<number> {
  useWasmSimdKernels(simd);
  const c0 = process.cpuUsage();
  await trainer.run(STEPS);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / STEPS;
}
const rows = { simd: [] as number[], previous: [] as number[], torch: [] as number[] };
for (let p = 0; p < PAIRS; p++) {
  rows.simd.push(await ours(true));
  rows.previous.push(await ours(false));
  const t = await peer.runTimed(STEPS);
  rows.torch.push((t.cpuNs ?? Number.NaN) / 1e6 / STEPS);
}
peer.close();
const ratio = (a: number[], b: number[]): number => median(a.map((v, i) => v / b[i]!));
console.log(`CPU ms/step (median of ${PAIRS} × ${STEPS} steps): wasm SIMD ${median(rows.simd).toFixed(1)}, wasm previous ${median(rows.previous).toFixed(1)}, PyTorch 1 thread ${median(rows.torch).toFixed(1)}`);
console.log(`PyTorch CPU / wasm CPU (throughput ratio per CPU-second): SIMD ${ratio(rows.torch, rows.simd).toFixed(2)}×, previous ${ratio(rows.torch, rows.previous).toFixed(2)}×`);
trainer.dispose();
