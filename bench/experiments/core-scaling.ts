/**
 * Do the machine's two vCPUs add up for our kernels? N worker threads each run the SIMD forward
 * convolution (LeNet conv2, batch 32: half a MultiMNIST batch) in its own wasm memory, no tfjs,
 * no JavaScript between calls, for `--seconds`; each reports calls per second of its own CPU time
 * (/proc/thread-self/stat), which other processes on the machine do not inflate. Runs 1 thread,
 * then 2 at once, alternately, `--rounds` times. If two threads at once each get fewer calls per
 * CPU-second than one alone, the vCPUs share execution units or memory bandwidth, and no
 * data-parallel scheme reaches 2× (bench/NOTES.md, why `--workers 2` gives ~1.2×).
 *
 * Run: node --import tsx bench/experiments/core-scaling.ts [--seconds 3] [--rounds 3]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const WASM = new URL('../../src/runtime/wasm-kernels/simd/kernels.wasm', import.meta.url);
// The worker, as plain JavaScript (no loader needed in the thread).
const WORKER = `
const { readFileSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const cpu = () => { const f = readFileSync('/proc/thread-self/stat', 'utf8'); const p = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(p[11]) + Number(p[12])) / 100; };
const memory = new WebAssembly.Memory({ initial: 256 });
const k = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(workerData.wasm)), { env: { memory } }).exports;
const f = new Float32Array(memory.buffer);
for (let i = 0; i < f.length; i++) f[i] = ((i * 7919) % 1000) / 1000 - 0.5;
const B = 32, w = 4 * (B * 12 * 12 * 10 + 16), out = w + 4 * (5000 + 16);
const c0 = cpu(), t0 = Date.now();
let calls = 0;
while (Date.now() - t0 < workerData.seconds * 1000) { k.conv2d_forward(0, B, 12, 12, 10, w, 0, 5, 5, 1, 1, 1, 1, out, 8, 8, 20, 0); calls++; }
parentPort.postMessage({ calls, cpu: cpu() - c0, wall: (Date.now() - t0) / 1000 });
`;

{
  const arg = (n: string, d: number): number => (process.argv.includes(`--${n}`) ? Number(process.argv[process.argv.indexOf(`--${n}`) + 1]) : d);
  const seconds = arg('seconds', 3);
  const rounds = arg('rounds', 3);
  const runThreads = (n: number) =>
    Promise.all(
      Array.from({ length: n }, () => new Promise<{ calls: number; cpu: number; wall: number }>((resolve, reject) => {
        const t = new Worker(WORKER, { eval: true, workerData: { seconds, wasm: fileURLToPath(WASM) } });
        t.once('message', (m) => {
          resolve(m);
          void t.terminate();
        });
        t.once('error', reject);
      })),
    );
  const one: number[] = [];
  const two: number[] = [];
  const load: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = await runThreads(1);
    one.push(a[0]!.calls / a[0]!.cpu);
    const b = await runThreads(2);
    two.push(...b.map((x) => x.calls / x.cpu));
    load.push(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!);
  }
  const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
  console.log(`conv2 forward (batch 32) calls per CPU-second: one thread alone ${med(one).toFixed(1)}; each of two at once ${med(two).toFixed(1)}; ratio ${(med(two) / med(one)).toFixed(3)} (load average ${load.join(', ')})`);
  console.log(`raw: one ${one.map((x) => x.toFixed(1)).join(' ')}; two ${two.map((x) => x.toFixed(1)).join(' ')}`);
}
