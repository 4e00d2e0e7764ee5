import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./train-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function run(out: string, resume: boolean, onSpawn?: (kill: () => void) => void): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', child, out, ...(resume ? ['resume'] : [])], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(null) : code === 0 ? resolve(0) : reject(new Error(`child exited ${code}: ${err}`))));
    onSpawn?.(() => p.kill('SIGKILL'));
  });
}

function epochOf(out: string): number {
  try {
    return (JSON.parse(readFileSync(path.join(out, 'checkpoint', 'state.json'), 'utf8')) as { epoch: number }).epoch;
  } catch {
    return 0;
  }
}

describe('resume after kill -9', () => {
  it('a run killed after its first checkpoint and resumed reaches the weights of an uninterrupted run', async () => {
    const a = mkdtempSync(path.join(tmpdir(), 'mtlc-kill-a-'));
    const b = mkdtempSync(path.join(tmpdir(), 'mtlc-kill-b-'));
    dirs.push(a, b);
    await run(a, false);
    let killedAt = -1;
    const status = await run(b, false, (kill) => {
      const poll = setInterval(() => {
        const e = epochOf(b);
        if (e >= 1) {
          killedAt = e;
          clearInterval(poll);
          kill();
        }
      }, 5);
    });
    expect(status).toBeNull();
    expect(killedAt).toBeGreaterThanOrEqual(1);
    expect(existsSync(path.join(b, 'final-weights.json'))).toBe(false);
    await run(b, true);
    const wa = JSON.parse(readFileSync(path.join(a, 'final-weights.json'), 'utf8')) as Record<string, number[]>;
    const wb = JSON.parse(readFileSync(path.join(b, 'final-weights.json'), 'utf8')) as Record<string, number[]>;
    expect(Object.keys(wb)).toEqual(Object.keys(wa));
    // Adam's beta powers are recomputed with pow() on restore (tfjs), so allow float rounding.
    for (const k of Object.keys(wa)) wa[k]!.forEach((v, i) => expect(Math.abs(v - wb[k]![i]!)).toBeLessThan(1e-4));
    const epochs = readFileSync(path.join(b, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { epoch: number }).epoch);
    expect(epochs).toEqual([1, 2, 3]);
  }, 120_000);
});
