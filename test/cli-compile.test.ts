/** `mtlc compile`, `graph`, `init` in-process: writing rules, --check, exit codes, watch. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { validateSpec } from '../src/api/validate.js';
import { watchCompile } from '../src/cli/commands/compile.js';
import type { CliIO } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';

const root = join(import.meta.dirname, '..');

function makeIO(cwd: string) {
  const out = { stdout: '', stderr: '' };
  const io: CliIO = { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), env: {}, cwd, isTTY: false };
  return { io, out };
}

async function run(args: string[], cwd = root) {
  const { io, out } = makeIO(cwd);
  const code = await main(args, io);
  return { code, ...out };
}

const temp = () => mkdtempSync(join(tmpdir(), 'mtlc-compile-'));
const mnist = readFileSync(join(root, 'specs/multi-mnist.yaml'), 'utf8');

describe('mtlc compile', () => {
  it('--target torch --check names the command that regenerates that target, and --help says what it writes', async () => {
    const out = temp();
    const check = await run(['compile', '--target', 'torch', '--check', 'specs/multi-mnist.yaml', '--out', out]);
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toContain('run `mtlc compile --target torch` without --check to regenerate');
    const help = await run(['compile', '--help']);
    expect(help.stdout).toContain('{__init__,model,train}.py');
  });

  it('writes model.ts, train.ts, index.ts per spec; a second run rewrites nothing; --check passes', async () => {
    const out = temp();
    const first = await run(['compile', 'specs/multi-mnist.yaml', 'specs/face-attributes.yaml', '--out', out]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(readdirSync(join(out, 'multi-mnist')).sort()).toEqual(['index.ts', 'model.ts', 'train.ts']);
    expect(readFileSync(join(out, 'multi-mnist/model.ts'), 'utf8')).toBe(readFileSync(join(root, 'generated/multi-mnist/model.ts'), 'utf8'));
    const mtime = statSync(join(out, 'multi-mnist/model.ts')).mtimeMs;
    const second = await run(['compile', 'specs/multi-mnist.yaml', 'specs/face-attributes.yaml', '--out', out]);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('wrote');
    expect(statSync(join(out, 'multi-mnist/model.ts')).mtimeMs).toBe(mtime);
    const check = await run(['compile', 'specs/multi-mnist.yaml', 'specs/face-attributes.yaml', '--out', out, '--check']);
    expect(check.code).toBe(0);
    expect(readdirSync(out).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('a warning in one spec: the summary counts every spec compiled, and the warning is shown', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'warn.yaml'), mnist.replace('init: { self: 0.9, other: 0.1 }', 'init: { self: 0.8, other: 0.1 }').replace('name: MultiMnist', 'name: Warned'));
    const r = await run(['compile', 'specs/multi-mnist.yaml', join(dir, 'warn.yaml'), '--out', join(dir, 'out')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning[init-row-sum]');
    expect(r.stdout).toContain('2 specs valid, 1 warning');
  });

  it('--check on a stale tree lists the stale and missing files, exits 1 and writes nothing', async () => {
    const out = temp();
    await run(['compile', 'specs/multi-mnist.yaml', '--out', out]);
    const model = join(out, 'multi-mnist/model.ts');
    const edited = readFileSync(model, 'utf8') + '// edited\n';
    writeFileSync(model, edited);
    const leftover = readFileSync(join(out, 'multi-mnist/index.ts'), 'utf8');
    writeFileSync(join(out, 'multi-mnist/old.ts'), leftover);
    const r = await run(['compile', 'specs/multi-mnist.yaml', 'specs/face-attributes.yaml', '--out', out, '--check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('multi-mnist/model.ts');
    expect(r.stdout).toContain('multi-mnist/old.ts');
    expect(r.stdout).toContain('face-attributes/index.ts');
    expect(readFileSync(model, 'utf8')).toBe(edited);
    expect(existsSync(join(out, 'face-attributes'))).toBe(false);
    // --format json says the same in its one object (stdout), nothing on stderr.
    const json = await run(['compile', 'specs/multi-mnist.yaml', 'specs/face-attributes.yaml', '--out', out, '--check', '--format', 'json']);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    const stale = (JSON.parse(json.stdout) as { files: { path: string; status: string }[] }).files.filter((f) => f.status === 'stale').map((f) => f.path.replace(`${out}/`, ''));
    expect(stale.sort()).toEqual(['face-attributes/index.ts', 'face-attributes/model.ts', 'face-attributes/train.ts', 'multi-mnist/model.ts', 'multi-mnist/old.ts']);
    // A real compile repairs it and removes the stale generated file.
    const fix = await run(['compile', 'specs/multi-mnist.yaml', '--out', out]);
    expect(fix.code).toBe(0);
    expect(existsSync(join(out, 'multi-mnist/old.ts'))).toBe(false);
    expect((await run(['compile', 'specs/multi-mnist.yaml', '--out', out, '--check'])).code).toBe(0);
  });

  it('never overwrites a hand-written file: exit 2, names it, nothing of that spec written', async () => {
    const out = temp();
    mkdirSync(join(out, 'multi-mnist'), { recursive: true });
    writeFileSync(join(out, 'multi-mnist/train.ts'), 'export const mine = 1;\n');
    const r = await run(['compile', 'specs/multi-mnist.yaml', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('multi-mnist/train.ts');
    expect(r.stderr).toContain('not overwriting');
    expect(readFileSync(join(out, 'multi-mnist/train.ts'), 'utf8')).toBe('export const mine = 1;\n');
    expect(existsSync(join(out, 'multi-mnist/model.ts'))).toBe(false);
  });

  it('a write that fails part-way (a full disk) changes none of the model\'s files: exit 2 naming the path, no temp files left', async () => {
    const out = temp();
    await run(['compile', 'specs/multi-mnist.yaml', '--out', out]);
    const before = Object.fromEntries(readdirSync(join(out, 'multi-mnist')).map((f) => [f, readFileSync(join(out, 'multi-mnist', f), 'utf8')]));
    for (const f of Object.keys(before)) writeFileSync(join(out, 'multi-mnist', f), `${before[f]}// old\n`);
    const { promises } = await import('node:fs');
    const real = promises.writeFile;
    let calls = 0;
    const spy = vi.spyOn(promises, 'writeFile').mockImplementation(async (...args: Parameters<typeof real>) => {
      if (++calls === 2) throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', syscall: 'write', path: String(args[0]) });
      return real(...args);
    });
    try {
      const r = await run(['compile', 'specs/multi-mnist.yaml', '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: specs\/multi-mnist.yaml: cannot write .*multi-mnist\/: .*no space left on device.*nothing written/);
    } finally {
      spy.mockRestore();
    }
    for (const f of Object.keys(before)) expect(readFileSync(join(out, 'multi-mnist', f), 'utf8')).toBe(`${before[f]}// old\n`);
    expect(readdirSync(join(out, 'multi-mnist')).sort()).toEqual(Object.keys(before).sort());
  });

  it('an invalid spec is reported like validate (exit 1) while the valid ones still compile', async () => {
    const out = temp();
    const bad = 'test/fixtures/bad-specs/unknown-layer-type.yaml';
    const r = await run(['compile', bad, 'specs/multi-mnist.yaml', '--out', out, '--format', 'json']);
    expect(r.code).toBe(1);
    const validate = await run(['validate', bad, '--format', 'json']);
    const json = JSON.parse(r.stdout) as { diagnostics: unknown[]; files: { path: string; status: string }[]; summary: { invalid: number } };
    expect(json.diagnostics).toEqual((JSON.parse(validate.stdout) as { diagnostics: unknown[] }).diagnostics);
    expect(json.summary.invalid).toBe(1);
    // Everything the pretty output says is in the JSON: here the files written.
    expect(json.files.filter((f) => f.status === 'written').map((f) => f.path.split('/').slice(-1)[0]).sort()).toEqual(['index.ts', 'model.ts', 'train.ts']);
    expect(r.stderr).toBe('');
    expect(existsSync(join(out, 'multi-mnist/model.ts'))).toBe(true);
    const missing = await run(['compile', 'specs/nope.yaml', '--out', out]);
    expect(missing.code).toBe(2);
  });

  it('--watch recompiles when the spec changes and stops on abort', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'm.yaml'), mnist);
    const { io, out } = makeIO(dir);
    const controller = new AbortController();
    const done = watchCompile(['m.yaml'], { out: 'gen' }, io, controller.signal);
    const waitFor = async (pred: () => boolean) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 25));
      expect(pred()).toBe(true);
    };
    await waitFor(() => existsSync(join(dir, 'gen/multi-mnist/model.ts')));
    writeFileSync(join(dir, 'm.yaml'), mnist.replace('name: MultiMnist', 'name: MultiMnistTwo'));
    await waitFor(() => existsSync(join(dir, 'gen/multi-mnist-two/model.ts')));
    controller.abort();
    await done;
    expect(out.stdout).toContain('[watch] ok');
    // The old folder (same spec, former model name) was removed as stale output.
    expect(existsSync(join(dir, 'gen/multi-mnist'))).toBe(false);
    expect(out.stdout).toContain('removed gen/multi-mnist/model.ts');
  });
});

it('renaming the model makes the old folder stale for --check; compile removes it', async () => {
  const dir = temp();
  writeFileSync(join(dir, 'm.yaml'), mnist);
  expect((await run(['compile', 'm.yaml'], dir)).code).toBe(0);
  writeFileSync(join(dir, 'm.yaml'), mnist.replace('name: MultiMnist', 'name: Renamed'));
  const renamed = await run(['compile', 'm.yaml'], dir);
  expect(renamed.code).toBe(0);
  expect(renamed.stdout).toContain('removed generated/multi-mnist/model.ts');
  expect(existsSync(join(dir, 'generated/multi-mnist'))).toBe(false);
  mkdirSync(join(dir, 'generated/multi-mnist'));
  writeFileSync(join(dir, 'generated/multi-mnist/model.ts'), readFileSync(join(dir, 'generated/renamed/model.ts'), 'utf8').replace('Renamed', 'X'));
  const check = await run(['compile', 'm.yaml', '--check'], dir);
  expect(check.code).toBe(1);
  expect(check.stdout).toContain('generated/multi-mnist/model.ts');
  expect((await run(['compile', 'm.yaml'], dir)).code).toBe(0);
  expect(existsSync(join(dir, 'generated/multi-mnist'))).toBe(false);
  expect(existsSync(join(dir, 'generated/renamed/model.ts'))).toBe(true);
});

describe('mtlc graph', () => {
  it('format=mermaid: towers as subgraphs, junction nodes, shapes', async () => {
    const r = await run(['graph', 'specs/multi-mnist.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('flowchart TB\n')).toBe(true);
    expect(r.stdout).toContain('subgraph t0["left"]');
    expect(r.stdout).toContain('{{"afterPool1: cross-stitch (channel)"}}');
    expect(r.stdout).toContain('conv1: conv2d<br/>[24×24×10]');
  });

  it('format=dot: clusters and an escaped label', async () => {
    const r = await run(['graph', 'test/codegen/fixtures/hostile.yaml', '--format', 'dot']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('subgraph cluster_t0 {');
    expect(r.stdout).toMatch(/^digraph "HostileStrings" \{/);
    expect(r.stdout.trimEnd().endsWith('}')).toBe(true);
  });

  it('an invalid spec exits 1 with diagnostics', async () => {
    const r = await run(['graph', 'test/fixtures/bad-specs/unknown-layer-type.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown-layer-type.yaml');
  });
});

describe('mtlc init', () => {
  it('writes specs/<kebab>.yaml with the schema modeline; it validates; never overwrites', async () => {
    const dir = temp();
    mkdirSync(join(dir, 'specs'));
    const r = await run(['init', 'FaceModel'], dir);
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, 'specs/face-model.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../node_modules/mtlc/schemas/mtl-spec.editor.schema.json');
    expect(validateSpec(text, 'face-model.yaml').diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const again = await run(['init', 'FaceModel'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(readFileSync(join(dir, 'specs/face-model.yaml'), 'utf8')).toBe(text);
  });

  it('without specs/ writes ./<kebab>.yaml; in this repo the modeline is a relative path to schemas/', async () => {
    const dir = temp();
    expect((await run(['init'], dir)).code).toBe(0);
    expect(existsSync(join(dir, 'my-model.yaml'))).toBe(true);
    const inRepo = join(root, 'test', 'golden');
    const out = join(temp(), 'x.yaml');
    const r = await run(['init', 'Repo', '--out', out], inRepo);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^# yaml-language-server: \$schema=.*schemas\/mtl-spec\.editor\.schema\.json\n/);
  });
});
