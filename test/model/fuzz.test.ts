/**
 * Property: random mutations of valid specs never make checkModel throw; a returned model
 * always comes with no error; every diagnostic has a kebab-case code and a 1-based position.
 * (No timing here: fast-check's run count bounds the work.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLayerRegistry } from '../../src/layers/index.js';
import { checkModel } from '../../src/model/check/index.js';
import { specDocument } from './spec-doc.js';

const root = join(import.meta.dirname, '..', '..');
const registry = createLayerRegistry();
const docs = ['multi-mnist', 'face-attributes', 'customer-signals'].map((n) => specDocument(readFileSync(join(root, 'specs', `${n}.yaml`), 'utf8'), `${n}.yaml`));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in the data. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function mutate(data: unknown, path: (string | number)[], op: 'set' | 'delete', value: unknown): unknown {
  const copy = structuredClone(data) as Json;
  if (path.length === 0) return op === 'set' ? value : null;
  let node = copy as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (op === 'delete') {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else {
    node[last] = value;
  }
  return copy;
}

const interesting = fc.oneof(
  fc.constantFrom(0, -1, 1, 1.5, 1e9, -0, Number.MAX_SAFE_INTEGER, '', 'pool1', 'fc1', 'left', '__proto__', 'constructor', 'unit', 'scalar', null, true, [], {}, [1], [0, 0]),
  fc.jsonValue({ maxDepth: 2 }),
);

describe('checkModel under random mutations', () => {
  it('never throws and keeps its promises', () => {
    fc.assert(
      fc.property(
        fc.nat(docs.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('set' as const, 'delete' as const), interesting), { minLength: 1, maxLength: 3 }),
        (which, ops) => {
          const doc = docs[which]!;
          let data: unknown = doc.data;
          for (const [pick, op, value] of ops) {
            const all = paths(data);
            data = mutate(data, all[pick % all.length]!, op, value);
          }
          const result = checkModel({ ...doc, data }, registry);
          if (result.model) expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
          for (const d of result.diagnostics) {
            expect(d.code).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
            expect(d.line).toBeGreaterThanOrEqual(1);
            expect(d.column).toBeGreaterThanOrEqual(1);
          }
        },
      ),
      { numRuns: 400, seed: 20261128 },
    );
  });
});
