import { describe, expect, it } from 'vitest';
import { inkOverlap, makeMultiMnist } from '../../src/runtime/data/multimnist.js';

describe('built-in MultiMNIST placements', () => {
  it('fixed is the default placement, and a draw is deterministic for its seed', () => {
    const a = makeMultiMnist(50, 'train', 3);
    const b = makeMultiMnist(50, 'train', 3, { placement: 'fixed' });
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(b.images.buffer))).toBe(true);
    const r1 = makeMultiMnist(50, 'train', 3, { placement: 'random' });
    const r2 = makeMultiMnist(50, 'train', 3, { placement: 'random' });
    expect(Buffer.from(r1.images.buffer).equals(Buffer.from(r2.images.buffer))).toBe(true);
    expect(Buffer.from(r1.images.buffer).equals(Buffer.from(a.images.buffer))).toBe(false);
  });

  it('overlap grows from fixed (8,8) to Sener & Koltun (6,6) to ordered random shifts: about 7 %, 14 %, 22 %', () => {
    const fixed = inkOverlap(400, 'train', 1, { placement: 'fixed' });
    const sk = inkOverlap(400, 'train', 1, { placement: 'senerKoltun' });
    const random = inkOverlap(400, 'train', 1, { placement: 'random' });
    expect(fixed).toBeGreaterThan(0.05);
    expect(fixed).toBeLessThan(0.09);
    expect(sk).toBeGreaterThan(0.11);
    expect(sk).toBeLessThan(0.17);
    expect(random).toBeGreaterThan(0.18);
    expect(random).toBeLessThan(0.26);
  });

  it('distinctClasses never pairs a digit with its own class; without it some pairs share one', () => {
    const d = makeMultiMnist(500, 'train', 5, { distinctClasses: true });
    expect([...d.left].every((c, i) => c !== d.right[i])).toBe(true);
    const plain = makeMultiMnist(500, 'train', 5);
    expect([...plain.left].some((c, i) => c === plain.right[i])).toBe(true);
  });
});
