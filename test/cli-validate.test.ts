/** `mtlc validate` in-process through `main(argv, io)`: exit codes and the three formats. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import type { CliIO } from '../src/cli/io.js';

const valid = `version: 1
name: Pair
input: { shape: [8] }
towers:
  a:
    layers:
      - { type: dense, name: h, units: 4, activation: relu }
    head: { units: 1 }
    loss: meanSquaredError
  b:
    layers:
      - { type: dense, name: h, units: 4, activation: relu }
    head: { units: 2, activation: softmax }
    loss: categoricalCrossentropy
crossStitch:
  - after: h
data: { format: csv, path: train.csv, input: x, targets: { a: ya, b: yb } }
`;
const invalid = valid.replace('activation: relu }\n    head: { units: 1 }', 'activation: rellu, unitz: 3 }\n    head: { units: 1 }');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mtlc-cli-validate-'));
  writeFileSync(join(dir, 'valid.yaml'), valid);
  writeFileSync(join(dir, 'invalid.yaml'), invalid);
  mkdirSync(join(dir, 'specs'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], env: Record<string, string> = { NO_COLOR: '1' }, isTTY = false) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env, cwd: dir, isTTY };
  const exitCode = await main(args, io);
  return { exitCode, stdout, stderr };
}

describe('mtlc validate', () => {
  it('exits 0 for valid specs and says so', async () => {
    const { exitCode, stdout, stderr } = await run(['validate', 'valid.yaml']);
    expect(exitCode).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('ok valid.yaml');
    expect(stdout).toContain('1 spec valid');
  });

  it('exits 1 and prints every problem with a code frame, a caret and a hint (pretty)', async () => {
    const { exitCode, stdout } = await run(['validate', 'valid.yaml', 'invalid.yaml']);
    expect(exitCode).toBe(1);
    expect(stdout).toContain("error[unknown-activation]: unknown activation 'rellu' in layer h of tower a");
    expect(stdout).toContain('--> invalid.yaml:7:55');
    expect(stdout).toContain('7 |       - { type: dense, name: h, units: 4, activation: rellu, unitz: 3 }');
    expect(stdout).toContain(`  | ${' '.repeat(54)}^^^^^\n`);
    expect(stdout).toContain('= hint: did you mean relu?');
    expect(stdout).toContain("error[unknown-property]: unknown property 'unitz' in layer h of tower a");
    expect(stdout).toContain('= hint: did you mean units?');
    expect(stdout).toMatch(/2 errors in 1 invalid spec \(2 specs checked\)\n$/);
    expect(stdout).not.toMatch(/\x1b\[/);
  });

  it('draws a code frame for YAML errors too', async () => {
    writeFileSync(join(dir, 'syntax.yaml'), 'version: 1\nname: X\ntowers:\n  a:\n    layers:\n      - type: dense\n      units: 4\n');
    const { exitCode, stdout } = await run(['validate', 'syntax.yaml']);
    expect(exitCode).toBe(1);
    expect(stdout).toContain('error[yaml-syntax]');
    expect(stdout).toContain('--> syntax.yaml:7:7');
    expect(stdout).toContain('7 |       units: 4\n  |       ^^^^^\n');
  });

  it('colours pretty output on a TTY, and not with NO_COLOR', async () => {
    expect((await run(['validate', 'invalid.yaml'], {}, true)).stdout).toMatch(/\x1b\[/);
    expect((await run(['validate', 'invalid.yaml'], { NO_COLOR: '1' }, true)).stdout).not.toMatch(/\x1b\[/);
  });

  it('prints one JSON object in the PRODUCT.md §4 shape (json)', async () => {
    const { exitCode, stdout } = await run(['validate', '--format', 'json', 'invalid.yaml', 'valid.yaml']);
    expect(exitCode).toBe(1);
    const parsed = JSON.parse(stdout) as { diagnostics: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual(['diagnostics', 'specs', 'summary']);
    expect(parsed.diagnostics).toEqual([
      {
        file: 'invalid.yaml',
        line: 7,
        column: 55,
        endLine: 7,
        endColumn: 60,
        severity: 'error',
        code: 'unknown-activation',
        message: "unknown activation 'rellu' in layer h of tower a",
        path: '/towers/a/layers/0/activation',
        hint: 'did you mean relu?',
      },
      {
        file: 'invalid.yaml',
        line: 7,
        column: 62,
        endLine: 7,
        endColumn: 67,
        severity: 'error',
        code: 'unknown-property',
        message: "unknown property 'unitz' in layer h of tower a",
        path: '/towers/a/layers/0/unitz',
        hint: 'did you mean units?',
      },
    ]);
    expect(Object.keys(parsed.diagnostics[0]!).slice(0, 9)).toEqual(['file', 'line', 'column', 'endLine', 'endColumn', 'severity', 'code', 'message', 'path']);
  });

  it('prints an empty list for valid specs (json)', async () => {
    const { exitCode, stdout } = await run(['validate', '-f', 'json', 'valid.yaml']);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ diagnostics: [], specs: [{ file: 'valid.yaml', valid: true, errors: 0, warnings: 0 }], summary: { specs: 1, invalid: 0, errors: 0, warnings: 0 } });
  });

  it('prints GitHub workflow annotations (github)', async () => {
    const { exitCode, stdout } = await run(['validate', '--format', 'github', 'invalid.yaml']);
    expect(exitCode).toBe(1);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      "::error file=invalid.yaml,line=7,col=55,endLine=7,endColumn=60,title=unknown-activation::unknown activation 'rellu' in layer h of tower a (at /towers/a/layers/0/activation)%0Adid you mean relu?",
    );
  });

  it('exits 2 for a missing file, still reporting the others', async () => {
    const { exitCode, stdout } = await run(['validate', '--format', 'json', 'missing.yaml', 'invalid.yaml']);
    expect(exitCode).toBe(2);
    const codes = (JSON.parse(stdout) as { diagnostics: { code: string; file: string }[] }).diagnostics.map((d) => `${d.file}:${d.code}`);
    expect(codes).toEqual(['missing.yaml:io-error', 'invalid.yaml:unknown-activation', 'invalid.yaml:unknown-property']);
  });

  it('exits 2 for a directory, with a hint to pass its files', async () => {
    const { exitCode, stdout } = await run(['validate', 'specs']);
    expect(exitCode).toBe(2);
    expect(stdout).toContain('error[io-error]: specs is a directory, not a spec file');
    expect(stdout).toContain('hint: pass the spec files, e.g. specs/*.yaml');
  });

  it('exits 2 for usage errors: no file, unknown format', async () => {
    const none = await run(['validate']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain("missing required argument 'spec'");
    const format = await run(['validate', '--format', 'xml', 'valid.yaml']);
    expect(format.exitCode).toBe(2);
    expect(format.stderr).toContain('Allowed choices are pretty, json, github');
  });

  it('has --help describing formats and exit codes', async () => {
    const { exitCode, stdout } = await run(['validate', '--help']);
    expect(exitCode).toBe(0);
    expect(stdout).toContain('Usage: mtlc validate [options] <spec...>');
    expect(stdout).toContain('--format <format>');
    expect(stdout).toContain('Exit codes: 0 all specs valid, 1 any spec invalid, 2 usage or I/O error');
  });

  it('mtlc schema prints the committed schema', async () => {
    const { exitCode, stdout } = await run(['schema']);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ title: 'MtlSpec', $schema: 'https://json-schema.org/draft/2020-12/schema' });
  });
});
