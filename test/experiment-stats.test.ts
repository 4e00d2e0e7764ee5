import { describe, expect, it } from 'vitest';
import { holm, pairedComparison, signFlipP, tInterval, verdict } from '../bench/experiments/lib/paired.js';

describe('paired statistics', () => {
  it('t interval matches a textbook value (n = 5, mean 2, sd 1: t(0.975, 4) = 2.776)', () => {
    const [lo, hi] = tInterval([1, 2, 3, 2, 2].map((x) => (x - 2) * Math.SQRT2 + 2));
    expect(lo).toBeCloseTo(2 - 2.776445 / Math.sqrt(5), 5);
    expect(hi).toBeCloseTo(2 + 2.776445 / Math.sqrt(5), 5);
  });

  it('sign-flip p: all positive differences of n pairs give 2/2^n; a symmetric set gives 1', () => {
    expect(signFlipP([1, 2, 3, 4, 5])).toBeCloseTo(2 / 32, 12);
    expect(signFlipP([1, -1, 2, -2])).toBe(1);
    // By hand: [3, 1, -1]: |sum| = 3; patterns with |sum| >= 3: ±(3,1,-1)→3, ±(3,1,1)→5, ±(3,-1,-1)→1 no, ±(3,-1,1)→3 → 6 of 8.
    expect(signFlipP([3, 1, -1])).toBeCloseTo(6 / 8, 12);
  });

  it('pairs by seed and ignores seeds one side lacks', () => {
    const c = pairedComparison(
      new Map([
        [1, 0.9],
        [2, 0.8],
        [3, 0.7],
      ]),
      new Map([
        [2, 0.7],
        [3, 0.5],
        [4, 0.1],
      ]),
    );
    expect(c.seeds).toEqual([2, 3]);
    expect(c.differences.map((d) => +d.toFixed(10))).toEqual([0.1, 0.2]);
    expect(c.mean).toBeCloseTo(0.15, 12);
  });

  it('Holm: step-down, monotone, capped at 1', () => {
    expect(holm([0.01, 0.04, 0.03])).toEqual([0.03, 0.06, 0.06]);
    expect(holm([0.5, 0.9])).toEqual([1, 1]);
  });

  it('verdicts follow the sign of the claim', () => {
    expect(verdict({ mean: 0.02 }, 0.01, 1)).toBe('supported');
    expect(verdict({ mean: -0.02 }, 0.01, 1)).toBe('reversed');
    expect(verdict({ mean: 0.02 }, 0.2, 1)).toBe('not supported');
  });
});
