/** Loading: plain data from YAML, pointers back to the source, and the safety checks. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../src/api/validate.js';
import { loadSpecFile, loadSpecText, MAX_SPEC_BYTES } from '../../src/spec/load.js';

const spec = `version: 1
name: Shared
towers:
  left:
    layers: &stack
      - { type: dense, name: fc1, units: 8 }
  right:
    layers: *stack
`;

describe('loadSpecText', () => {
  it('builds plain data, expanding aliases into independent copies', () => {
    const { document, diagnostics } = loadSpecText(spec, 's.yaml');
    expect(diagnostics).toEqual([]);
    const data = document!.data as { towers: Record<string, { layers: object[] }> };
    expect(data.towers['right']!.layers).toEqual([{ type: 'dense', name: 'fc1', units: 8 }]);
    expect(data.towers['right']!.layers).not.toBe(data.towers['left']!.layers);
    expect(document!.sha256).toBe(createHash('sha256').update(spec).digest('hex'));
    expect(document!.text).toBe(spec);
  });

  it('locates values, keys, nodes reached through an alias, and missing members', () => {
    const doc = loadSpecText(spec, 's.yaml').document!;
    expect(doc.locate('/towers/left/layers/0/units')).toEqual({ line: 6, column: 42, endLine: 6, endColumn: 43 });
    expect(doc.locateKey!('/towers/left/layers/0/units')).toEqual({ line: 6, column: 35, endLine: 6, endColumn: 40 });
    // Through the alias: located at the anchored node.
    expect(doc.locate('/towers/right/layers/0/units')).toEqual(doc.locate('/towers/left/layers/0/units'));
    // Missing member: closest existing ancestor (the layer mapping).
    expect(doc.locate('/towers/left/layers/0/activation')).toMatchObject({ line: 6, column: 9 });
    expect(doc.locateKey!('/towers/right')).toEqual({ line: 7, column: 3, endLine: 7, endColumn: 8 });
    expect(doc.locate('/nothing/here').line).toBe(1);
  });

  it('keeps __proto__ and constructor as own keys without touching any prototype', () => {
    const { document } = loadSpecText('a:\n  __proto__: { polluted: true }\n  constructor: { prototype: 1 }\n', 'p.yaml');
    const a = (document!.data as { a: Record<string, unknown> }).a;
    expect(Object.keys(a)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(a, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(document!.locate('/a/__proto__/polluted')).toMatchObject({ line: 2, column: 26 });
  });

  it('accepts bytes with a UTF-8 BOM and non-ASCII text', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('name: Café\n')]);
    const { document, diagnostics } = loadSpecText(bytes, 'b.yaml');
    expect(diagnostics).toEqual([]);
    expect(document!.data).toEqual({ name: 'Café' });
  });

  it.each([
    ['duplicate key', 'a: 1\nb: 2\na: 3\n', 'duplicate-key', 3, 1],
    ['several documents', 'a: 1\n---\nb: 2\n', 'multiple-documents', 2, 1],
    ['tab indentation', 'a:\n\tb: 1\n', 'tab-indentation', 2, 1],
    ['only comments', '# nothing\n', 'empty-file', 1, 1],
    ['only a document marker', '---\n', 'empty-file', 1, 1],
    ['syntax error (an unclosed [, at the bracket)', 'a: [1, 2\n', 'yaml-syntax', 1, 4],
    ['an unclosed { in a block list, at the bracket', 'l:\n  - { a: 1, b: 2\n  - { c: 3 }\n', 'yaml-syntax', 2, 5],
    ['a closed { whose continuation line is not indented, at the bracket', 'a:\n  h: { u: 1,\n  v: 2 }\n', 'yaml-syntax', 2, 6],
    ['a tab indenting a key among space-indented ones (no follow-on syntax error)', 'm:\n  a: 1\n\tb: 2\n  c: 3\n', 'tab-indentation', 3, 1],
    ['undefined alias', 'a: *x\n', 'undefined-alias', 1, 4],
    ['self-referencing alias', 'a: &x [1, *x]\n', 'alias-cycle', 1, 11],
    ['mapping as a key', '? { a: 1 }\n: 2\n', 'invalid-key', 1, 3],
    ['NUL character in text', 'a: 1\nb: \u0000\n', 'binary-file', 2, 4],
  ])('text with %s -> %s at %i:%i', (_title, text, code, line, column) => {
    const { document, diagnostics } = loadSpecText(text, 'x.yaml');
    expect(document).toBeUndefined();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ file: 'x.yaml', severity: 'error', code, line, column });
  });

  it('reports every duplicate key, each at the repeated key, naming the first', () => {
    const { diagnostics } = loadSpecText('a: 1\nb:\n  c: 1\n  c: 2\na: 3\n', 'd.yaml');
    expect(diagnostics.map((d) => [d.line, d.column, d.path, d.message])).toEqual([
      [4, 3, '/b/c', "duplicate key 'c': keys must be unique in a mapping (first at line 3)"],
      [5, 1, '/a', "duplicate key 'a': keys must be unique in a mapping (first at line 1)"],
    ]);
  });

  it('handles a 1 MiB mapping of distinct keys', () => {
    let text = '';
    for (let i = 0; text.length < 1_000_000; i++) text += `key${i}: ${i}\n`;
    const { document, diagnostics } = loadSpecText(text, 'wide.yaml');
    expect(diagnostics).toEqual([]);
    expect(Object.keys(document!.data as object).length).toBeGreaterThan(50_000);
  });

  it('stops a billion-laughs expansion with alias-bomb', () => {
    let text = 'l0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) text += `l${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    const { diagnostics } = loadSpecText(text, 'bomb.yaml');
    expect(diagnostics.map((d) => d.code)).toEqual(['alias-bomb']);
  });

  it.each([100, 3000])('refuses nesting %i levels deep with too-deep, without throwing', (depth) => {
    const { diagnostics } = loadSpecText(`a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`, 'deep.yaml');
    expect(diagnostics.map((d) => d.code)).toEqual(['too-deep']);
    expect(diagnostics[0]!.line).toBe(1);
  });

  it('refuses non-UTF-8 bytes with the position of the first bad byte', () => {
    const bytes = new Uint8Array([...Buffer.from('a: 1\nname: caf'), 0xe9, 0x0a]);
    const { diagnostics } = loadSpecText(bytes, 'l.yaml');
    expect(diagnostics).toMatchObject([{ code: 'invalid-utf8', line: 2, column: 10 }]);
    expect(diagnostics[0]!.message).toContain('0xe9');
  });

  it('refuses binary input and UTF-16', () => {
    expect(loadSpecText(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00]), 'x.png').diagnostics[0]!.code).toBe('binary-file');
    expect(loadSpecText(new Uint8Array(Buffer.from('\ufeffa: 1\n', 'utf16le')), 'u.yaml').diagnostics[0]!.code).toBe('invalid-utf8');
  });

  it('refuses text over 1 MiB', () => {
    const { diagnostics } = loadSpecText(`a: "${'x'.repeat(MAX_SPEC_BYTES)}"\n`, 'big.yaml');
    expect(diagnostics).toMatchObject([{ code: 'file-too-large', line: 1, column: 1 }]);
  });
});

describe('YAML merge keys (<<)', () => {
  it('merges an anchored mapping; keys the mapping sets itself win wherever they are written', () => {
    const { document, diagnostics } = loadSpecText('base: &b { loss: mse, head: { units: 2 } }\nt:\n  loss: mae\n  <<: *b\n  layers: [1]\n', 'm.yaml');
    expect(diagnostics).toEqual([]);
    expect((document!.data as { t: unknown }).t).toEqual({ loss: 'mae', head: { units: 2 }, layers: [1] });
    // A merged value is located where it is written: in the anchored mapping.
    expect(document!.locate('/t/head/units')).toMatchObject({ line: 1, column: 38 });
  });

  it('merges a list of aliases, the first one winning', () => {
    const { document } = loadSpecText('x: &a { p: 1 }\ny: &c { p: 2, q: 3 }\nz:\n  <<: [*a, *c]\n  r: 4\n', 'm.yaml');
    expect((document!.data as { z: unknown }).z).toEqual({ p: 1, q: 3, r: 4 });
  });

  it.each([
    ['a merge of a scalar', 'a:\n  <<: 5\n', 'invalid-merge', 2, 7],
    ['a mapping merging itself', 'a: &a { x: 1, <<: *a }\n', 'alias-cycle', 1, 19],
  ])('%s -> %s at %i:%i', (_title, text, code, line, column) => {
    const { document, diagnostics } = loadSpecText(text, 'm.yaml');
    expect(document).toBeUndefined();
    expect(diagnostics).toMatchObject([{ code, line, column }]);
  });

  it('a quoted "<<" is an ordinary key', () => {
    expect(loadSpecText('a:\n  "<<": 5\n', 'm.yaml').document!.data).toEqual({ a: { '<<': 5 } });
  });

  it('a spec whose second tower is the first one merged in, with its own loss and head, validates', () => {
    const text = [
      'version: 1',
      'name: Merged',
      'input: { name: x, shape: [6] }',
      'towers:',
      '  a: &tower',
      '    layers: [{ type: dense, name: h, units: 4 }]',
      '    head: { units: 2, activation: softmax }',
      '    loss: categoricalCrossentropy',
      '  b:',
      '    <<: *tower',
      '    head: { units: 1 }',
      '    loss: meanSquaredError',
      'crossStitch: [{ after: h }]',
      '',
    ].join('\n');
    const { model, diagnostics } = validateSpec(text, 'merged.yaml');
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(model!.towers.map((t) => [t.task, t.loss, t.layers.map((l) => l.name)])).toEqual([
      ['a', 'categoricalCrossentropy', ['h']],
      ['b', 'meanSquaredError', ['h']],
    ]);
  });
});

describe('loadSpecFile', () => {
  it('reports unreadable paths and directories as io-error, and reads files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtlc-load-'));
    try {
      writeFileSync(join(dir, 'ok.yaml'), 'version: 1\n');
      expect(loadSpecFile(join(dir, 'ok.yaml'), 'ok.yaml').document?.data).toEqual({ version: 1 });
      const missing = loadSpecFile(join(dir, 'missing.yaml'), 'missing.yaml').diagnostics;
      expect(missing).toMatchObject([{ code: 'io-error', file: 'missing.yaml', message: 'cannot read missing.yaml: no such file' }]);
      const directory = loadSpecFile(dir, 'specs/').diagnostics;
      expect(directory).toMatchObject([{ code: 'io-error', hint: 'pass the spec files, e.g. specs/*.yaml' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(process.platform === 'win32')('a named pipe with no writer is an io-error at once (it used to block forever)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtlc-fifo-'));
    const fifo = join(dir, 'spec.yaml');
    execFileSync('mkfifo', [fifo]);
    try {
      expect(loadSpecFile(fifo, 'spec.yaml').diagnostics).toMatchObject([{ code: 'io-error', message: 'cannot read spec.yaml: it is a named pipe with no writer' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!existsSync('/dev/zero'))('stops reading an endless device (/dev/zero) at 1 MiB: file-too-large', () => {
    expect(loadSpecFile('/dev/zero', '/dev/zero').diagnostics).toMatchObject([{ code: 'file-too-large', message: expect.stringContaining('more than 1 MiB') }]);
  });
});
