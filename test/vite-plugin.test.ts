/**
 * The Vite plugin (`mtlc/vite`): its hooks called directly (spec module, parts, located errors,
 * HMR wiring, declarations), and Vitest itself run on test/vite-fixture/, whose test file
 * imports `.mtl.yaml` specs through the built `mtlc/vite`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Plugin } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { mtlc, type MtlcViteOptions } from 'mtlc/vite';

const root = fileURLToPath(new URL('../', import.meta.url));
const fixture = path.join(root, 'test', 'vite-fixture');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface RaisedError {
  message: string;
  loc?: { file: string; line: number; column: number };
  frame?: string;
}

/** The plugin with its hooks callable as Vite would call them. */
function plugin(options: MtlcViteOptions, viteRoot = fixture) {
  const p = mtlc(options) as Plugin & Record<string, unknown>;
  const hook = <F extends (...args: never[]) => unknown>(h: unknown): F => (typeof h === 'function' ? h : (h as { handler: F }).handler) as F;
  hook<(c: { root: string }) => void>(p.configResolved)({ root: viteRoot });
  const watched: string[] = [];
  const context = {
    error(e: string | RaisedError): never {
      throw Object.assign(new Error(typeof e === 'string' ? e : e.message), typeof e === 'string' ? {} : e);
    },
    addWatchFile: (f: string) => void watched.push(f),
  };
  return {
    watched,
    load: (id: string) => hook<(this: typeof context, id: string) => Promise<string | null>>(p.load).call(context, id),
    resolveId: (id: string) => hook<(id: string) => string | null>(p.resolveId)(id),
    hotUpdate: (ctx: unknown) => hook<(ctx: unknown) => unknown>(p.handleHotUpdate)(ctx),
  };
}

const residualConfig = path.join(root, 'examples', 'residual-block', 'mtlc.config.ts');

describe('mtlc/vite hooks', () => {
  const face = path.join(fixture, 'face.mtl.yaml');

  it('a spec module re-exports its model and train parts; other files are not ours', async () => {
    const p = plugin({ configFile: residualConfig });
    expect(await p.load(path.join(fixture, 'other.ts'))).toBeNull();
    const code = await p.load(face);
    expect(code).toBe(`export * from ${JSON.stringify(`${face}?mtlc-part=model`)};\nexport * from ${JSON.stringify(`${face}?mtlc-part=train`)};\n`);
    expect(p.resolveId(`${face}?mtlc-part=model`)).toBe(`${face}?mtlc-part=model`);
    expect(p.resolveId('./face.mtl.yaml')).toBeNull();
    expect(p.watched).toContain(residualConfig);
  });

  it('the model part is JavaScript importing the plugin runtime class by absolute path; train imports its sibling part', async () => {
    const p = plugin({ configFile: residualConfig });
    const model = (await p.load(`${face}?mtlc-part=model`))!;
    expect(model).toContain('export function buildFace(');
    expect(model).not.toMatch(/: tf\.SymbolicTensor/); // types are gone
    expect(model).toContain(`from '${path.join(root, 'examples', 'residual-block', 'residual-dense.ts')}'`);
    const train = (await p.load(`${face}?mtlc-part=train`))!;
    expect(train).toContain(`from ${JSON.stringify(`${face}?mtlc-part=model`)}`);
  });

  it('an invalid spec raises an error located at the first problem, with the code frame', async () => {
    const p = plugin({ configFile: false });
    const broken = path.join(fixture, 'broken.mtl.yaml');
    const error = (await p.load(broken).catch((e: unknown) => e)) as RaisedError;
    expect(error.message).toBe('broken.mtl.yaml:7:41: units of layer fc of tower a: expected a positive integer, got 0 [out-of-range]');
    expect(error.loc).toEqual({ file: broken, line: 7, column: 40 });
    expect(error.frame).toContain('7 |       - { type: dense, name: fc, units: 0 }');
  });

  it('without the plugin kinds a residualDense layer is an unknown type, located', async () => {
    const p = plugin({ configFile: false });
    const error = (await p.load(face).catch((e: unknown) => e)) as RaisedError;
    expect(error.message).toMatch(/^face\.mtl\.yaml:10:17: unknown layer type 'residualDense'/);
    expect(error.message).toContain('(and 1 more)');
  });

  it('a broken config is a Vite error naming the config file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtlc-vite-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'package.json'), '{}');
    writeFileSync(path.join(dir, 'mtlc.config.json'), '{ "layerKinds": 3 }');
    cpSync(face, path.join(dir, 'face.mtl.yaml'));
    const error = (await plugin({}, dir).load(path.join(dir, 'face.mtl.yaml')).catch((e: unknown) => e)) as RaisedError;
    expect(error.message).toBe(`mtlc config ${path.join(dir, 'mtlc.config.json')}: layerKinds must be an array of layer kinds, got number 3`);
  });

  it('HMR: a spec edit updates every module of that file; a config edit updates all spec modules', async () => {
    const p = plugin({ configFile: residualConfig });
    await p.load(face);
    const specModule = { id: face, file: face };
    const modelPart = { id: `${face}?mtlc-part=model`, file: face };
    const other = { id: path.join(fixture, 'x.ts'), file: path.join(fixture, 'x.ts') };
    const moduleGraph = {
      idToModuleMap: new Map([specModule, modelPart, other].map((m) => [m.id, m])),
      getModulesByFile: (file: string) => new Set([specModule, modelPart, other].filter((m) => m.file === file)),
    };
    const server = { moduleGraph };
    expect(p.hotUpdate({ file: face, modules: [specModule], server })).toEqual([specModule, modelPart]);
    expect(p.hotUpdate({ file: residualConfig, modules: [], server })).toEqual([specModule, modelPart]);
    expect(p.hotUpdate({ file: other.file, modules: [other], server })).toBeUndefined();
  });

  it('dts: writes <name>.mtl.d.yaml.ts, which TypeScript uses for the import (allowArbitraryExtensions)', async () => {
    const dir = mkdtempSync(path.join(root, '.mtlc-cache', 'vite-dts-'));
    dirs.push(dir);
    cpSync(face, path.join(dir, 'face.mtl.yaml'));
    await plugin({ configFile: residualConfig, dts: true }, dir).load(path.join(dir, 'face.mtl.yaml'));
    const dts = readFileSync(path.join(dir, 'face.mtl.d.yaml.ts'), 'utf8');
    expect(dts).toContain('export declare function buildFace(options?: BuildOptions): FaceModel;');
    writeFileSync(
      path.join(dir, 'use.ts'),
      "import * as tf from '@tensorflow/tfjs';\nimport { buildFace, trainFace, type FaceTask } from './face.mtl.yaml';\n" +
        "const task: FaceTask = 'smile';\nconst out = buildFace({ seed: 1 }).predict(tf.ones([1, 8]));\nexport const shapes = [out[task].shape, out.age.shape, typeof trainFace];\n" +
        "// @ts-expect-error not a task of the spec\nexport const wrong: FaceTask = 'frown';\n",
    );
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: path.join(root, 'tsconfig.json'), compilerOptions: { allowArbitraryExtensions: true, noEmit: true }, include: ['./*.ts'] }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(dir, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8' });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(output).toBe('');
  });
});

describe('Vitest with mtlc/vite (test/vite-fixture)', () => {
  it('a test file that imports .mtl.yaml specs passes: build + predict, and the located error of an invalid spec', async () => {
    // The fixture imports mtlc/vite as a user would: the built package (npm test builds first).
    expect(existsSync(path.join(root, 'dist', 'vite', 'index.js')), 'dist/ missing: run npm run build').toBe(true);
    const report = path.join(mkdtempSync(path.join(tmpdir(), 'mtlc-vite-run-')), 'report.json');
    dirs.push(path.dirname(report));
    const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
    await promisify(execFile)(process.execPath, [vitest, 'run', '--root', fixture, '--reporter=json', `--outputFile=${report}`], { cwd: root, env: { ...process.env, NO_COLOR: '1' } }).catch(
      (e: { stdout?: string; stderr?: string }) => {
        throw new Error(`fixture run failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
      },
    );
    const result = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number; testResults: { assertionResults: { title: string; status: string }[] }[] };
    expect(result.numFailedTests).toBe(0);
    expect(result.testResults.flatMap((f) => f.assertionResults.map((a) => `${a.status} ${a.title}`))).toEqual([
      'passed imports a spec, builds the model on cpu and predicts one tensor per task',
      'passed an invalid spec fails the import with the file, line and column of the problem',
      'passed the model part alone can be imported (?mtlc-part=model) and is the same module the spec re-exports',
    ]);
  });
});
