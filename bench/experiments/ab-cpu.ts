/**
 * A/B of two checkouts in process CPU time: runs bench/experiments/specs-cpu.ts (or --script,
 * any script printing such JSON lines; taken from checkout B, copied into A when A lacks it) in
 * A and B alternately, `--rounds` times each (A B, B A, ...),
 * and prints per spec the median CPU ms a step of each side and the median of per-round ratios
 * A/B (> 1: B is cheaper). CPU time, not wall: the machine is shared.
 *
 * Run: node --import tsx bench/experiments/ab-cpu.ts --a /path/to/base --b . [--rounds 5] [--script bench/experiments/trainer-cpu.ts] [-- script args]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';

const own = process.argv.includes('--') ? process.argv.slice(0, process.argv.indexOf('--')) : process.argv;
const arg = (n: string, d: string): string => (own.includes(`--${n}`) ? own[own.indexOf(`--${n}`) + 1]! : d);
const A = path.resolve(arg('a', ''));
const B = path.resolve(arg('b', '.'));
const ROUNDS = Number(arg('rounds', '5'));
const rest = process.argv.includes('--') ? process.argv.slice(process.argv.indexOf('--') + 1) : [];
const script = arg('script', 'bench/experiments/specs-cpu.ts');
if (!existsSync(path.join(A, script))) copyFileSync(path.join(B, script), path.join(A, script));

function once(dir: string): Map<string, number> {
  const out = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...rest], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = new Map<string, number>();
  for (const line of out.split('\n')) if (line.startsWith('{')) {
    const r = JSON.parse(line) as { spec: string; cpuMsPerStep: number };
    m.set(r.spec, r.cpuMsPerStep);
  }
  return m;
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const a: Map<string, number>[] = [];
const b: Map<string, number>[] = [];
for (let r = 0; r < ROUNDS; r++) {
  if (r % 2 === 0) {
    a.push(once(A));
    b.push(once(B));
  } else {
    b.push(once(B));
    a.push(once(A));
  }
  process.stderr.write(`round ${r + 1}/${ROUNDS}\n`);
}
console.log(`A = ${A}, B = ${B}; ${ROUNDS} alternating rounds; CPU ms per training step (median)\n`);
console.log('| spec | A | B | A/B (median of rounds) | range of A/B |\n| --- | ---: | ---: | ---: | --- |');
for (const spec of a[0]!.keys()) {
  const ratios = a.map((m, i) => m.get(spec)! / b[i]!.get(spec)!);
  console.log(`| ${spec} | ${med(a.map((m) => m.get(spec)!)).toFixed(2)} | ${med(b.map((m) => m.get(spec)!)).toFixed(2)} | ${med(ratios).toFixed(3)}× | ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)} |`);
}
