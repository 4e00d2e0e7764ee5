/**
 * Every spec in ../shared/spec-examples compiles as written: `mtlc compile` writes its three
 * files, `--check` then finds them up to date, and the output type-checks under strict. Skips
 * where ../shared is absent (a user's clone).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import type { CliIO } from '../src/cli/io.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shared = join(root, '..', 'shared', 'spec-examples');
const examples = existsSync(shared) ? readdirSync(shared).filter((f) => f.endsWith('.yaml')).sort() : [];

async function cli(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { NO_COLOR: '1' }, cwd: root, isTTY: false };
  return { exitCode: await main(args, io), stdout, stderr };
}

describe.skipIf(examples.length === 0)('shared spec examples compile as written', () => {
  // Inside the package (gitignored cache) so the output's `mtlc/runtime` imports resolve.
  let out = '';
  beforeAll(() => {
    mkdirSync(join(root, '.mtlc-cache'), { recursive: true });
    out = mkdtempSync(join(root, '.mtlc-cache', 'shared-examples-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it.each(examples)('example=%s: compile writes model.ts, train.ts, index.ts; --check finds them fresh', async (file) => {
    const spec = join(shared, file);
    const compiled = await cli(['compile', spec, '--out', out]);
    expect(compiled.exitCode, compiled.stdout + compiled.stderr).toBe(0);
    const written = [...compiled.stdout.matchAll(/^wrote (.+)$/gm)].map((m) => m[1]!.split(/[\\/]/).pop());
    expect(written.sort()).toEqual(['index.ts', 'model.ts', 'train.ts']);
    const check = await cli(['compile', '--check', spec, '--out', out]);
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);
  });

  it('their generated code type-checks under strict', () => {
    writeFileSync(
      join(out, 'tsconfig.json'),
      JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true, strict: true, types: ['node'] }, include: ['./**/*.ts'] }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(out, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(output).toBe('');
  }, 120_000);
});
