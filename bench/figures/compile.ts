/**
 * Compile figures: a cold `mtlc compile` of the example (a fresh Node running bin/mtlc.js)
 * against a fresh Node that only loads ts-morph, interleaved; and 100 specs in one call.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmtMedian } from '../lib/table.js';
import { repoPath, repoRoot } from '../lib/optional.js';
import { compareTimes, interleave, judge, ratioCell, series, type BenchContext } from './context.js';

export const EXAMPLE_SPEC = 'specs/multi-mnist.yaml';

interface Timed {
  ns: bigint;
  status: number | null;
  stderr: string;
}

function timedSpawn(args: readonly string[]): Timed {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  const ns = process.hrtime.bigint() - t0;
  return { ns, status: r.status, stderr: `${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** Newest modification time (ms) of the .ts files under a folder. */
function newestTs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestTs(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Writes `count` variants of a spec (a distinct `name:` each) into `dir`; returns their paths. */
export function writeVariants(specText: string, dir: string, count: number): string[] {
  if (!/^name:\s*\S+/m.test(specText)) throw new Error('the example spec has no top-level `name:` line to vary');
  const files: string[] = [];
  for (let i = 1; i <= count; i++) {
    const text = specText.replace(/^name:\s*(\S+)(.*)$/m, (_m, name: string, rest: string) => `name: ${name}V${i}${rest}`);
    const file = join(dir, `variant-${String(i).padStart(3, '0')}.yaml`);
    writeFileSync(file, text);
    files.push(file);
  }
  return files;
}

const firstLines = (s: string) => s.trim().split('\n').slice(0, 2).join(' / ').slice(0, 200);

export async function compileFigures(ctx: BenchContext): Promise<void> {
  const cold = 'cold compile vs ts-morph load';
  const many = '100 specs, one compile call';
  const spec = repoPath(EXAMPLE_SPEC);
  const bin = 'bin/mtlc.js';
  const notYet = (why: string) => {
    ctx.row({ figure: cold, a: 'not yet', b: 'not yet', ratio: 'n/a', target: '≤ 2×', status: 'not yet', note: why });
    ctx.row({ figure: many, a: 'not yet', b: '—', ratio: '—', target: '< 5 s', status: 'not yet' });
  };
  if (!existsSync(spec)) return notYet(`${EXAMPLE_SPEC} does not exist yet`);
  const notes: string[] = [];
  const dist = repoPath('dist/cli/main.js');
  if (existsSync(dist) && newestTs(repoPath('src')) > statSync(dist).mtimeMs) {
    notes.push('dist/ is older than src/ (run `npm run build` to measure the current compiler)');
  }
  const work = mkdtempSync(join(tmpdir(), 'mtlc-bench-compile-'));
  try {
    const probe = timedSpawn([bin, 'compile', spec, '--out', join(work, 'probe')]);
    if (probe.status !== 0) return notYet(`\`mtlc compile\` exited ${probe.status}: ${firstLines(probe.stderr)}`);
    const reps = ctx.options.quick ? 3 : 7;
    let n = 0;
    ctx.log(`${cold}: ${reps} interleaved pairs`);
    const r = await interleave(
      reps,
      async () => {
        const t = timedSpawn([bin, 'compile', spec, '--out', join(work, `cold-${n++}`)]);
        if (t.status !== 0) throw new Error(`mtlc compile failed: ${firstLines(t.stderr)}`);
        return t.ns;
      },
      async () => {
        const t = timedSpawn(['--input-type=module', '-e', "await import('ts-morph')"]);
        if (t.status !== 0) throw new Error(`loading ts-morph failed: ${firstLines(t.stderr)}`);
        return t.ns;
      },
    );
    const a = series('node bin/mtlc.js compile specs/multi-mnist.yaml', r.a);
    const b = series("node -e \"await import('ts-morph')\"", r.b);
    const ratio = compareTimes(r.a, r.b);
    ctx.record('compile.cold', { a, b, ratio });
    ctx.row({
      figure: cold,
      a: fmtMedian(a.time.median, a.time.spread, 'ms'),
      b: fmtMedian(b.time.median, b.time.spread, 'ms'),
      ratio: ratioCell(ratio),
      target: '≤ 2×',
      status: judge(ratio, 2, 'lower'),
      note: notes.join('; ') || undefined,
    });

    const specsDir = join(work, 'specs');
    spawnSync('mkdir', ['-p', specsDir]);
    const files = writeVariants(readFileSync(spec, 'utf8'), specsDir, 100);
    const manyReps = ctx.options.quick ? 1 : 3;
    const times: number[] = [];
    for (let i = 0; i < manyReps; i++) {
      const t = timedSpawn([bin, 'compile', ...files, '--out', join(work, `many-${i}`)]);
      if (t.status !== 0) {
        ctx.row({ figure: many, a: 'error', b: '—', ratio: '—', target: '< 5 s', status: 'unmet', note: `exit ${t.status}: ${firstLines(t.stderr)}` });
        return;
      }
      const outDir = join(work, `many-${i}`);
      const written = existsSync(outDir) ? readdirSync(outDir).length : 0;
      if (written < 100) notes.push(`only ${written} output folders for 100 specs`);
      times.push(Number(t.ns));
    }
    const m = series('node bin/mtlc.js compile <100 specs>', times);
    ctx.record('compile.many', m);
    ctx.row({
      figure: many,
      a: fmtMedian(m.time.median / 1000, m.time.spread, 's', 2),
      b: '—',
      ratio: '—',
      target: '< 5 s',
      status: m.time.median < 5000 ? 'met' : 'unmet',
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
