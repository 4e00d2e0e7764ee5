/**
 * The docs' sample of `npm start` output is one real run: README.md and docs/training.md show the
 * same text, and every line of it has the form `mtlc train` prints today (numbers aside: they
 * change with the backend and the kernels), checked against a small real run of the same spec.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(join(root, file), 'utf8');

/** The fenced block whose first line starts with `backend:` (the `npm start` sample). */
function startSample(file: string): string {
  const block = [...read(file).matchAll(/```\n(backend:[\s\S]*?)```/g)][0]?.[1];
  if (!block) throw new Error(`${file} has no npm start sample`);
  return block;
}

/** A line's form: numbers masked, spacing collapsed. */
const form = (line: string): string => line.replace(/-?\d[\d,]*(\.\d+)?/g, '#').replace(/\s+/g, ' ').trim();

describe('the npm start sample output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtlc-docs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is the same in README.md and docs/training.md', () => {
    expect(startSample('docs/training.md')).toBe(startSample('README.md'));
  });

  it('has the form of what `mtlc train specs/multi-mnist.yaml` prints', async () => {
    // The same spec on a few examples (the sample's 6,000 take ten seconds).
    const spec = read('specs/multi-mnist.yaml').replace(/data: \{ format: multimnist[^}]*\}/, 'data: { format: multimnist, trainSize: 64, testSize: 32 }');
    expect(spec).toContain('trainSize: 64');
    writeFileSync(join(dir, 'multi-mnist.yaml'), spec);
    let out = '';
    const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (out += t), env: { NO_COLOR: '1' }, cwd: dir, isTTY: false };
    expect(await main(['train', 'multi-mnist.yaml', '--epochs', '1', '--backend', 'wasm', '--out', 'runs/multi-mnist'], io)).toBe(0);
    const printed = new Set(out.split('\n').map(form));
    const sample = startSample('README.md').split('\n').filter((l) => l.trim() !== '' && l.trim() !== '...');
    // The first line's reason for the backend depends on what is installed; its start does not.
    expect(out).toMatch(/^backend: wasm[ (]/m);
    for (const line of sample.slice(1)) expect([...printed], line).toContain(form(line));
  });
});
