/**
 * Property test: random mutations of valid specs (keys deleted, values replaced by other types,
 * keys renamed, junk inserted, text cut or spliced) never make validateSpec throw, and every
 * diagnostic it returns is well formed. Bounded numRuns; no timing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateSpec } from '../../src/api/validate.js';
import type { Diagnostic } from '../../src/spec/diagnostic.js';
import { loadSpecText } from '../../src/spec/load.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dirs = [join(root, '../shared/spec-examples'), join(root, 'specs')].filter((d) => existsSync(d));
const texts = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(d, f), 'utf8')));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

function paths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const k of Object.keys(value)) paths((value as Record<string, unknown>)[k], [...prefix, k], out);
  return out;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

type Mutation =
  | { kind: 'delete'; pick: number }
  | { kind: 'replace'; pick: number; value: Json }
  | { kind: 'rename'; pick: number; name: string }
  | { kind: 'insert'; pick: number; name: string; value: Json };

const keyName = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'type', 'name', 'units', 'layers', 'after', 'filter', 'toString', ''),
  fc.string({ maxLength: 12 }),
);
const junk: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(-1, 0, 1.5, 1e308, -0, '', 'conv2d', 'dense', [], {}, [0, 0], { self: 2 }, ['left'], null, true),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: junk }),
  fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(), name: keyName }),
  fc.record({ kind: fc.constant('insert' as const), pick: fc.nat(), name: keyName, value: junk }),
);

function apply(data: Json, m: Mutation): Json {
  const all = paths(data);
  const path = all[m.pick % all.length]!;
  if (path.length === 0) return m.kind === 'replace' ? m.value : data;
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1]!;
  let parent: unknown = data;
  for (const s of parentPath) parent = (parent as Record<string | number, unknown>)[s];
  const container = parent as Record<string | number, Json> & Json[];
  switch (m.kind) {
    case 'delete':
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else delete container[key];
      break;
    case 'replace':
      container[key] = m.value;
      break;
    case 'rename':
      if (!Array.isArray(container)) {
        const value = container[key]!;
        delete container[key];
        Object.defineProperty(container, m.name, { value, enumerable: true, writable: true, configurable: true });
      }
      break;
    case 'insert': {
      const target = container[key];
      if (Array.isArray(target)) target.push(m.value);
      else if (target && typeof target === 'object') Object.defineProperty(target, m.name, { value: m.value, enumerable: true, writable: true, configurable: true });
      break;
    }
  }
  return data;
}

function wellFormed(diagnostics: Diagnostic[], file: string): void {
  for (const d of diagnostics) {
    expect(d.file).toBe(file);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.endLine).toBeGreaterThanOrEqual(d.line);
    expect(d.code).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    expect(typeof d.message).toBe('string');
    expect(d.path === '' || d.path.startsWith('/')).toBe(true);
  }
}

describe.skipIf(texts.length === 0)('validateSpec under random mutations', () => {
  const specs = texts.map((t) => loadSpecText(t, 'x.yaml').document!.data as Json) as Json[];

  it('never throws for mutated data (1-3 mutations per run)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, mutations) => {
        let data: Json = clone(specs[which % specs.length]!);
        for (const m of mutations) data = apply(data, m);
        const text = stringify(data);
        const result = validateSpec(text, 'mutated.yaml');
        wellFormed(result.diagnostics, 'mutated.yaml');
        expect(result.model === undefined || !result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      }),
      { numRuns: 300, seed: 20260601 },
    );
  });

  it('never throws for mutated text (splices of junk, cuts)', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('\t', '\u0000', ': ', '- ', '{', ']', '&a ', '*a', '---\n', '"', "'", '\n  ', '!!binary', '? ', '<<: *x', '%YAML 1.1\n'),
    );
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat({ max: 40 }), piece, (which, at, cut, insert) => {
        const text = texts[which % texts.length]!;
        const i = at % (text.length + 1);
        const mutated = text.slice(0, i) + insert + text.slice(Math.min(text.length, i + cut));
        const result = validateSpec(mutated, 'spliced.yaml');
        wellFormed(result.diagnostics, 'spliced.yaml');
      }),
      { numRuns: 300, seed: 20260602 },
    );
  });
});
