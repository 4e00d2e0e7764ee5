/**
 * docs/api.md's example, run as a user would (`tsx build-models.ts` in a project with mtlc):
 * what it prints is what the page shows, and it writes the generated files.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const page = readFileSync(path.join(root, 'docs', 'api.md'), 'utf8');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The ```ts block after the `<!-- api-example -->` marker, and the indented output after it. */
function example(): { code: string; output: string[] } {
  const marker = page.indexOf('<!-- api-example -->');
  const start = page.indexOf('```ts\n', marker) + '```ts\n'.length;
  const end = page.indexOf('```\n', start);
  const after = page.slice(end).split('\n');
  const first = after.findIndex((l) => l.startsWith('    '));
  const output: string[] = [];
  for (let i = first; i < after.length && after[i]!.startsWith('    '); i++) output.push(after[i]!.slice(4));
  return { code: page.slice(start, end), output };
}

it('docs/api.md: the example runs, prints what the page shows and writes generated/pair/', async () => {
  const { code, output } = example();
  expect(output.length).toBeGreaterThan(2);
  // Inside the package, so `import ... from 'mtlc'` resolves (self-reference) to the sources.
  mkdirSync(path.join(root, '.mtlc-cache'), { recursive: true });
  const dir = mkdtempSync(path.join(root, '.mtlc-cache', 'api-docs-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'build-models.ts'), code);
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'build-models.ts'], { cwd: dir, encoding: 'utf8' });
  expect(stdout.trimEnd().split('\n')).toEqual(output);
  for (const name of ['model.ts', 'train.ts', 'index.ts']) expect(existsSync(path.join(dir, 'generated', 'pair', name))).toBe(true);
  expect(readFileSync(path.join(dir, 'generated', 'pair', 'model.ts'), 'utf8')).toContain('export function buildPair(');
});

it('docs/api.md: the same example compiles a spec with a junction kind of the project\'s mtlc.config (it passes junctionKinds)', async () => {
  const { code, output } = example();
  const dir = mkdtempSync(path.join(root, '.mtlc-cache', 'api-docs-'));
  dirs.push(dir);
  // The gated-junction example's plugin, as a project's config.
  for (const f of ['gate-kind.ts', 'gate-layer.ts', 'mtlc.config.ts']) writeFileSync(path.join(dir, f), readFileSync(path.join(root, 'examples', 'gated-junction', f), 'utf8'));
  const withGate = code.replace('- { name: mid, after: fc, mode: channel }', '- { name: mid, kind: gate, after: fc }');
  expect(withGate).not.toBe(code);
  writeFileSync(path.join(dir, 'build-models.ts'), withGate);
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'build-models.ts'], { cwd: dir, encoding: 'utf8' });
  expect(stdout.trimEnd().split('\n')).toEqual(output);
  expect(readFileSync(path.join(dir, 'generated', 'pair', 'model.ts'), 'utf8')).toMatch(/import .* from '\.\.\/\.\.\/gate-layer\.js'/);
});
