/** The α table `mtlc train` and `mtlc weights` print: each junction's kind is named. */
import { describe, expect, it } from 'vitest';
import { formatAlphas } from '../../src/runtime/train/format.js';
import type { JunctionAlpha } from '../../src/runtime/train/types.js';

const mix = [
  [0.9, 0.1],
  [0.2, 0.8],
];

describe('formatAlphas', () => {
  it('names a sluice or NDDR junction (its N×N is not a scalar cross-stitch)', () => {
    const alphas: JunctionAlpha[] = [
      { name: 'early', layerName: 'cross_stitch_early', kind: 'nddr', mode: 'scalar', towers: ['a', 'b'], shape: [2, 2], values: mix },
      { name: 'mid', layerName: 'cross_stitch_mid', kind: 'sluice', mode: 'scalar', towers: ['a', 'b'], shape: [2, 2], values: mix },
      { name: 'late', layerName: 'cross_stitch_late', kind: 'crossStitch', mode: 'scalar', towers: ['a', 'b'], shape: [2, 2], values: mix },
      { name: 'old', layerName: 'cross_stitch_old', mode: 'scalar', towers: ['a', 'b'], shape: [2, 2], values: mix },
    ];
    const lines = formatAlphas(alphas).split('\n');
    expect(lines).toContain('α early (nddr, scalar):');
    expect(lines).toContain('α mid (sluice, scalar):');
    expect(lines).toContain('α late (scalar):');
    expect(lines).toContain('α old (scalar):');
    expect(lines).toContain('  a       0.9000   0.1000');
  });
});
