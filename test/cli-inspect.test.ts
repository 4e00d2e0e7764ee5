/** `mtlc inspect` in-process: tables, JSON, exit codes 0/1/2, colour rules. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';

const root = join(import.meta.dirname, '..');

async function run(args: string[], options: { env?: Record<string, string>; isTTY?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: options.env ?? {},
    cwd: root,
    isTTY: options.isTTY ?? false,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

function tempSpec(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mtlc-inspect-'));
  const file = join(dir, 'spec.yaml');
  writeFileSync(file, text);
  return file;
}

describe('mtlc inspect', () => {
  it('tables each tower with shapes and parameters, the junctions and the totals', async () => {
    const { code, stdout, stderr } = await run(['inspect', 'specs/multi-mnist.yaml']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('MultiMnist  specs/multi-mnist.yaml');
    expect(stdout).toContain('tower left');
    expect(lines).toContain('  conv1         conv2d                 [24, 24, 10]     260');
    expect(lines).toContain('  fc1           dense                  [50]          16,050');
    expect(lines).toContain('  ↔ afterPool1  crossStitch (channel)  [12, 12, 10]');
    expect(lines).toContain('  left (head)   dense                  [10]             510');
    expect(lines).toContain('  afterPool2  crossStitch (channel)  left, right  pool2  [4, 4, 20]        80');
    expect(lines.filter((l) => /^ {2}total +21,840$/.test(l))).toHaveLength(2);
    expect(lines).toContain('  total             44,000');
    expect(stdout).not.toMatch(/\u001b\[/);
  });

  it("a spec's description reaches the terminal with its control characters escaped", async () => {
    const spec = tempSpec(`version: 1
name: Ctl
description: "red \\u001b[31m text \\u0007 bell"
input: { shape: [4] }
towers:
  a: { layers: [ { type: dense, name: h, units: 2 } ], head: { units: 1 }, loss: meanSquaredError }
  b: { layers: [ { type: dense, name: h, units: 2 } ], head: { units: 1 }, loss: meanSquaredError }
crossStitch: [ { name: j, after: h } ]
`);
    const { code, stdout } = await run(['inspect', spec]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[1]).toBe('red \\u001b[31m text \\u0007 bell');
    // The JSON form carries what the pretty one shows (the text as written: JSON escapes it).
    const json = await run(['inspect', spec, '--format', 'json']);
    expect(JSON.parse(json.stdout).description).toBe('red \u001b[31m text \u0007 bell');
    expect(stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });

  it('shows per-tower layers and shapes of a unit junction over different widths', async () => {
    const { code, stdout } = await run(['inspect', 'specs/face-attributes.yaml']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/late +crossStitch \(unit\) +gender, age +fc +gender \[32\], age \[64\] +9,216/);
  });

  it("totals count every junction kind's parameters as junctions, not as cross-stitch α", async () => {
    const { code, stdout } = await run(['inspect', 'specs/nddr-digits.yaml']);
    expect(code).toBe(0);
    expect(stdout.split('\n')).toContain('  junctions          8,496');
    expect(stdout).not.toContain('cross-stitch α');
  });

  it('--format json gives the model as data', async () => {
    const { code, stdout } = await run(['inspect', 'specs/customer-signals.yaml', '--format', 'json']);
    expect(code).toBe(0);
    const body = JSON.parse(stdout);
    expect(body.name).toBe('CustomerSignals');
    expect(body.towers.map((t: { task: string; params: number }) => [t.task, t.params])).toEqual([
      ['churn', 1600 + 256 + 2080 + 33],
      ['spend', 1600 + 256 + 2080 + 33],
      ['tenure', 1600 + 256 + 1040 + 68],
    ]);
    expect(body.junctions[1]).toMatchObject({ name: 'money', label: 'crossStitch (channel)', mode: 'channel', towers: ['churn', 'spend'], after: { churn: 'h2', spend: 'hidden2' }, params: 128 });
    expect(body.totals).toEqual({ towers: 3969 * 2 + 2964, junctions: 9 + 128, total: 3969 * 2 + 2964 + 137 });
    expect(body.diagnostics).toEqual([]);
  });

  it('an invalid spec exits 1 with located diagnostics and no stack trace', async () => {
    const file = tempSpec(
      [
        'version: 1',
        'name: Broken',
        'input: { shape: [8, 8, 1] }',
        'towers:',
        '  a:',
        '    layers:',
        '      - { type: conv2d, filters: 2, kernelSize: 9 }',
        '      - { type: flatten }',
        '    head: { units: 1 }',
        '    loss: meanSquaredError',
        '',
      ].join('\n'),
    );
    const pretty = await run(['inspect', file]);
    expect(pretty.code).toBe(1);
    expect(pretty.stdout).toBe('');
    expect(pretty.stderr).toContain('error[shape-non-positive]: layer "conv2d1" (conv2d) of tower "a"');
    expect(pretty.stderr).toContain(`--> ${file}:7:49 (/towers/a/layers/0/kernelSize)`);
    expect(pretty.stderr).not.toMatch(/\n\s+at /);
    const json = await run(['inspect', file, '--format', 'json']);
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout);
    expect(body.diagnostics.find((d: { severity: string }) => d.severity === 'error')).toMatchObject({
      file,
      line: 7,
      column: 49,
      code: 'shape-non-positive',
      path: '/towers/a/layers/0/kernelSize',
    });
  });

  it('schema errors come first: an unknown key is reported with a suggestion and exit 1', async () => {
    const file = tempSpec(
      ['version: 1', 'name: Broken', 'input: { shape: [4] }', 'towers:', '  a:', '    layers: [{ type: dense, unit: 2 }]', '    head: { units: 1 }', '    loss: meanSquaredError', ''].join('\n'),
    );
    const { code, stdout } = await run(['inspect', file, '--format', 'json']);
    expect(code).toBe(1);
    const body = JSON.parse(stdout);
    expect(body.towers).toBeUndefined();
    expect(body.diagnostics.some((d: { line: number; severity: string }) => d.line === 6 && d.severity === 'error')).toBe(true);
  });

  it('a missing file or a bad option exits 2', async () => {
    const missing = await run(['inspect', 'specs/nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('error: cannot read specs/nope.yaml: no such file\n');
    expect((await run(['inspect', 'specs/multi-mnist.yaml', '--format', 'xml'])).code).toBe(2);
    expect((await run(['inspect'])).code).toBe(2);
  });

  it('colours only on a TTY without NO_COLOR', async () => {
    expect((await run(['inspect', 'specs/multi-mnist.yaml'], { isTTY: true })).stdout).toMatch(/\u001b\[1m/);
    expect((await run(['inspect', 'specs/multi-mnist.yaml'], { isTTY: true, env: { NO_COLOR: '1' } })).stdout).not.toMatch(/\u001b\[/);
  });
});
