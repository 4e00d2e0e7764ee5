/**
 * The bench refuses a verdict when the machine was disturbed (bench/lib/disturbance.ts): a
 * collapsed repetition is flagged, too few clean pairs refuse the verdict instead of "met", and
 * a process hogging a core during a timed window is seen as other processes' load. No timing of
 * our own code is asserted.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkPairs, LIMITS, readProcStat, sample, type Sample } from '../bench/lib/disturbance.js';
import { compareTimes, judge } from '../bench/figures/context.js';

const clean = (ns: number): Sample => ({ ns, disturbed: false, why: [], othersCores: 0, steal: 0 });

describe('checkPairs', () => {
  it('flags a collapsed repetition (> 1.5× its series best) and judges on the clean pairs', () => {
    const a = [100, 101, 99, 102, 100, 98].map(clean);
    const b = [50, 52, 400, 51, 49, 50].map(clean); // one PyTorch repetition collapsed
    const check = checkPairs(a, b);
    expect(check.clean).toEqual([0, 1, 3, 4, 5]);
    expect(check.refused).toBeUndefined();
    expect(b[2]!.why.join()).toMatch(/series' best/);
  });

  it('refuses a verdict when fewer than two thirds of the pairs are clean, whatever the ratio', () => {
    const a = [100, 100, 100, 100, 100, 100].map(clean);
    const b = [50, 300, 300, 300, 50, 50].map(clean);
    const check = checkPairs(a, b);
    expect(check.refused).toMatch(/^disturbed: 3\/6 pairs/);
    const ratio = compareTimes([50, 50, 50], [100, 100, 100]);
    expect(judge(ratio, 0.33, 'higher')).toBe('met');
    expect(judge(ratio, 0.33, 'higher', check)).toMatch(/^no verdict \(disturbed/);
  });

  it('refuses when other processes took CPU in every window', () => {
    const busy = (ns: number): Sample => ({ ns, disturbed: true, why: ['other processes used 1.00 cores'], othersCores: 1, steal: 0 });
    const check = checkPairs([1, 1, 1].map(busy), [1, 1, 1].map(clean));
    expect(check.refused).toMatch(/^disturbed: 3\/3 pairs \(other processes used 0\.5 of \d+ cores/);
    expect(LIMITS.minClean).toBe(3);
  });
});

describe.skipIf(!readProcStat())('sample (Linux /proc/stat)', () => {
  it("sees a process hogging a core as others' load", async () => {
    const hog = spawn(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 3000);'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const s = await sample(() => new Promise((r) => setTimeout(() => r(600_000_000n), 600)));
      expect(s.othersCores!).toBeGreaterThan(LIMITS.othersCores);
      expect(s.disturbed).toBe(true);
      expect(s.why.join()).toMatch(/other processes used/);
    } finally {
      hog.kill();
    }
  });
});
