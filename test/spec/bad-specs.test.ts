/**
 * The corpus of bad specs (test/fixtures/bad-specs/): each file has one mistake, and
 * `mtlc validate --format json` must exit 1 with an error at the expected line and column, with
 * the expected code and JSON pointer, and never print a stack trace.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';

const dir = fileURLToPath(new URL('../fixtures/bad-specs/', import.meta.url));
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  { code: string; line: number; column: number; path: string }
>;

interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: string;
  code: string;
  message: string;
  path: string;
  hint?: string;
}

async function validateJson(args: string[], cwd = dir) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { NO_COLOR: '1' }, cwd, isTTY: false };
  const exitCode = await main(['validate', '--format', 'json', ...args], io);
  return { exitCode, stdout, stderr, diagnostics: (JSON.parse(stdout) as { diagnostics: JsonDiagnostic[] }).diagnostics };
}

describe('bad specs corpus', () => {
  it('has a fixture for every expectation and at least 25 cases', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(Object.keys(expected).sort());
    expect(files.length).toBeGreaterThanOrEqual(25);
  });

  for (const [file, want] of Object.entries(expected)) {
    it(`file=${file}; code=${want.code}; at=${want.line}:${want.column}`, async () => {
      const { exitCode, stderr, stdout, diagnostics } = await validateJson([file]);
      expect(exitCode).toBe(1);
      expect(stderr).toBe('');
      expect(stdout).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
      const errors = diagnostics.filter((d) => d.severity === 'error');
      expect(errors).toHaveLength(1);
      const [d] = errors;
      const { hint, ...where } = want as typeof want & { hint?: string };
      expect({ code: d!.code, line: d!.line, column: d!.column, path: d!.path }).toEqual(where);
      if (hint !== undefined) expect(d!.hint).toContain(hint);
      expect(d!.file).toBe(file);
      expect(d!.endLine).toBeGreaterThanOrEqual(d!.line);
      if (d!.endLine === d!.line) expect(d!.endColumn).toBeGreaterThan(d!.column);
      expect(d!.message.length).toBeGreaterThan(10);
    });
  }
});

describe('generated bad inputs', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'mtlc-bad-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('refuses a file over 1 MiB before parsing it', async () => {
    writeFileSync(join(tmp, 'huge.yaml'), `version: 1\ndescription: "${'x'.repeat(1024 * 1024)}"\n`);
    const { exitCode, diagnostics } = await validateJson(['huge.yaml'], tmp);
    expect(exitCode).toBe(1);
    expect(diagnostics).toMatchObject([{ code: 'file-too-large', line: 1, column: 1, severity: 'error' }]);
  });

  it('gives one error per file when several bad files are validated together', async () => {
    const files = ['unknown-loss.yaml', 'duplicate-key.yaml', 'empty-file.yaml'];
    const { exitCode, diagnostics } = await validateJson(files);
    expect(exitCode).toBe(1);
    expect(diagnostics.map((d) => [d.file, d.code])).toEqual([
      ['unknown-loss.yaml', 'unknown-loss'],
      ['duplicate-key.yaml', 'duplicate-key'],
      ['empty-file.yaml', 'empty-file'],
    ]);
  });
});
