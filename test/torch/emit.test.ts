/**
 * The torch target's emitter (pure; no Python needed): committed goldens for specs/ match, the
 * output is deterministic, spec text reaches Python only as escaped literals and comments (the
 * hostile-strings fixture compiles to Python that parses, when a Python is present), and a layer
 * kind without a torch lowering is an error located at that layer (`mtlc compile --target torch`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSpec } from 'mtlc';
import { defaultRegistry } from '../../src/api/registry.js';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { emitTorch } from '../../src/targets/torch/index.js';
import { pyLiteral } from '../../src/targets/torch/python.js';
import { root, torchPython } from './torch-helpers.js';

function emitSpec(spec: string) {
  const checked = validateSpec(readFileSync(path.join(root, spec), 'utf8'), spec);
  expect(checked.model, JSON.stringify(checked.diagnostics)).toBeDefined();
  return emitTorch(checked.model!, defaultRegistry(), { specPath: spec });
}

describe('torch target emitter', () => {
  for (const spec of ['specs/multi-mnist.yaml', 'specs/face-attributes.yaml', 'specs/customer-signals.yaml', 'specs/sluice-digits.yaml', 'specs/nddr-digits.yaml']) {
    it(`spec=${spec}: generated/torch/ is its golden, byte for byte; a second emit is identical`, () => {
      const { files, problems } = emitSpec(spec);
      expect(problems).toEqual([]);
      for (const f of files) expect(readFileSync(path.join(root, 'generated', 'torch', f.path), 'utf8'), f.path).toBe(f.content);
      expect(emitSpec(spec).files).toEqual(files);
    });
  }

  it('hostile strings stay inert: Python parses every file (and the literals read back as the text)', () => {
    const { files } = emitSpec('test/codegen/fixtures/hostile.yaml');
    expect(files.length).toBe(3);
    const hostile = "a'b\"c\\d\ne\u2028f\u0000g\u0085h#i'''\"\"\"";
    const lit = pyLiteral({ [hostile]: [hostile, 1e-7, -0, true, null] });
    if (!torchPython) return;
    const src = files.map((f) => `compile(${pyLiteral(f.content)}, ${pyLiteral(f.path)}, 'exec')`).join('\n');
    const r = spawnSync(torchPython, ['-c', `${src}\nimport json, sys\nsys.stdout.write(json.dumps(${lit}))`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ [hostile]: [hostile, 1e-7, 0, true, null] });
  });

  it('a plugin layer kind without a torch lowering: located error no-torch-lowering, nothing written (exit 1)', async () => {
    const example = path.join(root, 'examples', 'residual-block');
    let out = '';
    let err = '';
    const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { NO_COLOR: '1' }, cwd: example, isTTY: false };
    const code = await main(['compile', '--target', 'torch', '--check', '--format', 'json', 'residual-pair.yaml'], io);
    expect(code).toBe(1);
    const diags = (JSON.parse(out) as { diagnostics: { code: string; line: number; path: string; message: string }[] }).diagnostics;
    const d = diags.find((x) => x.code === 'no-torch-lowering');
    expect(d, out + err).toBeDefined();
    expect(d!.message).toContain("'residualDense'");
    expect(d!.path).toMatch(/^\/towers\/\w+\/layers\/\d+$/);
    expect(d!.line).toBeGreaterThan(1);
  });
});
