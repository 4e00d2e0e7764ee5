/**
 * mtlc in a user's own project, as the README tells a user to install it: this repository packed
 * once (`npm pack`, what the registry would serve), installed into fresh temp projects with npm
 * and with pnpm (strict layout) beside `@tensorflow/tfjs`, the peer the user installs. In each:
 * one copy of @tensorflow/tfjs-core; `mtlc compile`; a small program importing the generated
 * model type-checks under the README's tsconfig and runs; `mtlc train` trains one epoch on tiny
 * data; the generated train.ts run directly is the CLI; a missing tfjs is a clear exit 3. Then a
 * Vite app in the npm project imports the spec (`mtlc/vite`), builds without any Node module,
 * and predicts in headless Chromium on the cpu and webgl backends what Node predicts.
 * Installs come from the npm cache where they can (`--prefer-offline`); the whole file takes
 * about a minute on 2 cores.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string; peerDependencies: Record<string, string>; devDependencies: Record<string, string> };
const TFJS = `@tensorflow/tfjs@${pkg.peerDependencies['@tensorflow/tfjs']}`;
const tsc = join(repo, 'node_modules/typescript/bin/tsc');
const pnpm = join(repo, 'node_modules/.bin/pnpm');
const CHROMIUM = '/usr/bin/chromium';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; never throws (the caller asserts the exit code with the output in view). */
function run(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}, timeout = 240_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', CI: '1', ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as ExecFileException).code === 'number' ? ((error as ExecFileException).code as number) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const ok = (r: Run, what: string): Run => {
  expect(r.code, `${what} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
};

/** Every installed @tensorflow/tfjs-core, as real directories (pnpm links them from .pnpm). */
function tfjsCoreCopies(project: string): string[] {
  const found = new Set<string>();
  const walk = (dir: string, depth: number): void => {
    if (depth > 12) return;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (p.endsWith(join('@tensorflow', 'tfjs-core')) && existsSync(join(p, 'package.json'))) found.add(realpathSync(p));
      if (lstatSync(p).isDirectory() && (name === 'node_modules' || name.startsWith('@') || name === '.pnpm' || dir.endsWith('node_modules') || dir.endsWith('.pnpm'))) walk(p, depth + 1);
    }
  };
  walk(join(project, 'node_modules'), 0);
  return [...found];
}

/** The tsconfig the README gives users (its ```jsonc block that starts with `// tsconfig.json`). */
function readmeTsconfig(): Record<string, unknown> {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const block = /```jsonc\n\/\/ tsconfig\.json[^\n]*\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no ```jsonc block starting with // tsconfig.json');
  return JSON.parse(block.replace(/\/\/[^\n]*/g, '').replace(/,(\s*[}\]])/g, '$1')) as Record<string, unknown>;
}

/** The install line the README gives (npm). */
function readmeInstallLine(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const line = /^npm i(?:nstall)? mtlc [^\n]*$/m.exec(readme)?.[0];
  if (!line) throw new Error('README.md has no `npm i mtlc ...` line');
  return line;
}

const SPEC = `# a user's spec: two small conv towers, stitched twice
version: 1
name: Tiny
input: { name: image, shape: [8, 8, 1] }
towers:
  left:
    layers:
      - { type: conv2d, name: conv, filters: 4, kernelSize: 3, activation: relu }
      - { type: maxPooling2d, name: pool, poolSize: 2 }
      - { type: flatten, name: flat }
      - { type: dense, name: fc, units: 8, activation: relu }
    head: { units: 3, activation: softmax }
    loss: categoricalCrossentropy
    metrics: [accuracy]
  right:
    layers:
      - { type: conv2d, name: conv, filters: 4, kernelSize: 3, activation: relu }
      - { type: maxPooling2d, name: pool, poolSize: 2 }
      - { type: flatten, name: flat }
      - { type: dense, name: fc, units: 8, activation: relu }
    head: { units: 1 }
    loss: meanSquaredError
crossStitch:
  - { name: afterPool, after: pool, mode: channel }
  - { name: afterFc, after: fc, mode: scalar }
training: { batchSize: 8, epochs: 1, optimizer: { type: adam } }
data: { format: jsonl, path: tiny.jsonl, input: image, targets: { left: digit, right: size } }
`;

function tinyData(): string {
  const rows: string[] = [];
  for (let i = 0; i < 24; i++) {
    const image = Array.from({ length: 64 }, (_, j) => Number((((i * 31 + j * 17) % 97) / 97).toFixed(3)));
    rows.push(JSON.stringify({ image, digit: i % 3, size: Number((image[0]! * 2).toFixed(3)) }));
  }
  return `${rows.join('\n')}\n`;
}

/** The same input in Node and in the page: 2 images, values 0/128 .. 127/128. */
const INPUT = 'tf.range(0, 128).reshape([2, 8, 8, 1]).div(128)';

const PROGRAM = `import * as tf from '@tensorflow/tfjs';
import { buildTiny, type TinyOutputs } from './generated/tiny/index.js';

const { predict, tasks } = buildTiny({ seed: 7 });
const y: TinyOutputs = predict(${INPUT});
const result = Object.fromEntries(tasks.map((t) => [t, { shape: y[t].shape, sum: y[t].sum().dataSync()[0] }]));
process.stdout.write(JSON.stringify({ backend: tf.getBackend(), result }) + '\\n');
`;

type Predictions = Record<string, { shape: number[]; sum: number }>;

/** A fresh project with the spec and its data; `install` adds mtlc (the tarball) and tfjs. */
function makeProject(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }, null, 2));
  writeFileSync(join(dir, 'tiny.mtl.yaml'), SPEC);
  writeFileSync(join(dir, 'tiny.jsonl'), tinyData());
  writeFileSync(join(dir, 'program.ts'), PROGRAM);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...readmeTsconfig(), include: ['program.ts', 'generated'] }, null, 2));
  // The generated code alone needs no ambient types at all (no Node, no DOM).
  writeFileSync(
    join(dir, 'tsconfig.generated.json'),
    JSON.stringify({ extends: './tsconfig.json', compilerOptions: { types: [], lib: ['ES2023'], noEmit: true }, include: ['generated'] }, null, 2),
  );
}

/** A Vite app in `<dir>/web`: the README's vite.config.ts, a page that imports the spec and predicts on cpu and webgl. */
function makeWebApp(dir: string): void {
  const web = join(dir, 'web');
  mkdirSync(web, { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html>\n<html><body><pre id="out">running</pre><script type="module" src="./main.ts"></script></body></html>\n');
  writeFileSync(
    join(web, 'vite.config.ts'),
    "import { defineConfig } from 'vite';\nimport { mtlc } from 'mtlc/vite';\n\nexport default defineConfig({ plugins: [mtlc()] });\n",
  );
  writeFileSync(
    join(web, 'main.ts'),
    `import * as tf from '@tensorflow/tfjs';
import { buildTiny } from '../tiny.mtl.yaml';
// In a browser bundle the runtime's main entry is its model part (the "browser" export condition).
import { CrossStitch } from 'mtlc/runtime';

const out = document.getElementById('out')!;
try {
  const results: Record<string, unknown> = {};
  for (const backend of ['cpu', 'webgl']) {
    if (!(await tf.setBackend(backend))) throw new Error(backend + ' backend unavailable');
    const { predict, tasks } = buildTiny({ seed: 7 });
    const y = predict(${INPUT});
    results[backend] = Object.fromEntries(tasks.map((t) => [t, { shape: y[t].shape, sum: y[t].sum().dataSync()[0] }]));
  }
  results['runtime'] = CrossStitch.className;
  out.textContent = JSON.stringify(results);
} catch (e) {
  out.textContent = 'error: ' + String((e as Error).stack ?? e);
}
`,
  );
}

const work = mkdtempSync(join(tmpdir(), 'mtlc-user-'));
const npmProject = join(work, 'npm-app');
const pnpmProject = join(work, 'pnpm-app');

/** What a user does in a project, step by step; each step starts when the one before has ended. */
interface Flow {
  install: Promise<Run>;
  compile: Promise<Run>;
  typecheck: Promise<Run>;
  typecheckGenerated?: Promise<Run>;
  program: Promise<Run>;
  train: Promise<Run>;
  webBuild?: Promise<Run>;
}

function userFlow(dir: string, install: () => Promise<Run>, all: boolean): Flow {
  // `all`: also the checks one layout is enough for (generated code alone; the Vite build).
  const mtlc = join(dir, 'node_modules/.bin/mtlc');
  const after = (step: Promise<Run>, next: () => Promise<Run>): Promise<Run> =>
    step.then((r) => (r.code === 0 ? next() : { code: -1, stdout: '', stderr: 'an earlier step failed' }));
  const installed = install();
  const compile = after(installed, () => run(mtlc, ['compile', 'tiny.mtl.yaml'], dir));
  const typecheck = after(compile, () => run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir));
  const typecheckGenerated = all ? after(compile, () => run(process.execPath, [tsc, '-p', 'tsconfig.generated.json'], dir)) : undefined;
  const program = after(typecheck, () => run(process.execPath, ['dist/program.js'], dir));
  const train = after(compile, () => run(mtlc, ['train', 'tiny.mtl.yaml', '--epochs', '1', '--quiet', '--out', 'runs/cli'], dir));
  // Not minified: the same modules, a few seconds less (README states the minified size).
  const webBuild = all ? after(installed, () => run(join(dir, 'node_modules/.bin/vite'), ['build', '--minify', 'false'], join(dir, 'web'))) : undefined;
  return { install: installed, compile, typecheck, ...(typecheckGenerated ? { typecheckGenerated } : {}), program, train, ...(webBuild ? { webBuild } : {}) };
}

const flows: Partial<Record<'npm' | 'pnpm', Flow>> = {};

beforeAll(async () => {
  if (!existsSync(join(repo, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does) before this test');
  // `npm test` has just built dist/: pack without running `prepare` again.
  const packed = ok(await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], repo), 'npm pack');
  const tarball = join(work, packed.stdout.trim().split('\n').pop()!);
  expect(readmeInstallLine()).toContain(TFJS);
  makeProject(npmProject);
  makeWebApp(npmProject);
  makeProject(pnpmProject);
  // Both projects go at once (installs wait on network and disk); the tests below await their steps.
  // @types/node is for the program's own `process`.
  const types = `@types/node@${pkg.devDependencies['@types/node']}`;
  flows.npm = userFlow(
    npmProject,
    () => run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, TFJS, `vite@${pkg.devDependencies['vite']}`, types], npmProject),
    true,
  );
  flows.pnpm = userFlow(pnpmProject, () => run(pnpm, ['add', tarball, TFJS, types], pnpmProject, { npm_config_prefer_offline: 'true' }), false);
}, 60_000);

afterAll(async () => {
  // Let every started step end before the folder goes.
  await Promise.allSettled(Object.values(flows).flatMap((f) => Object.values(f)));
  rmSync(work, { recursive: true, force: true });
}, 300_000);

for (const manager of ['npm', 'pnpm'] as const) {
  describe(`${manager} project with the packed tarball`, () => {
    const dir = manager === 'npm' ? npmProject : pnpmProject;
    const flow = () => flows[manager]!;

    it('installs with exactly one copy of @tensorflow/tfjs-core', async () => {
      ok(await flow().install, `${manager} install`);
      expect(tfjsCoreCopies(dir)).toHaveLength(1);
    }, 300_000);

    it('compiles the spec; a program importing the model type-checks under the README tsconfig and runs', async () => {
      ok(await flow().compile, 'mtlc compile');
      ok(await flow().typecheck, 'tsc (README tsconfig)');
      if (flow().typecheckGenerated) ok(await flow().typecheckGenerated!, 'tsc (generated code, no ambient types)');
      const out = ok(await flow().program, 'the program');
      expect(out.stderr).not.toMatch(/already registered/);
      const { result } = JSON.parse(out.stdout) as { result: Predictions };
      expect(result['left']!.shape).toEqual([2, 3]);
      expect(result['right']!.shape).toEqual([2, 1]);
      expect(result['left']!.sum).toBeCloseTo(2, 5); // softmax rows sum to 1
      writeFileSync(join(dir, 'node-predictions.json'), JSON.stringify(result));
    }, 300_000);

    it('`mtlc train` trains one epoch on tiny data', async () => {
      const trained = ok(await flow().train, 'mtlc train');
      expect(`${trained.stdout}${trained.stderr}`).not.toMatch(/already registered|internal error/i);
      expect(existsSync(join(dir, 'runs/cli/model/model.json'))).toBe(true);
    }, 300_000);

    if (manager === 'npm') {
      it('the generated train.js run directly is the same CLI', async () => {
        ok(await flow().program, 'the program');
        const direct = ok(await run(process.execPath, ['dist/generated/tiny/train.js', '--epochs', '1', '--quiet', '--out', 'runs/direct'], dir), 'train.js');
        expect(existsSync(join(dir, 'runs/direct/model/model.json')), direct.stdout).toBe(true);
        const help = ok(await run(process.execPath, ['dist/generated/tiny/train.js', '--help'], dir), 'train.js --help');
        expect(help.stdout).toContain('Train Tiny (tasks: left, right)');
      });

      // (pnpm links the peer into mtlc's own folder of its store as well: only npm's flat tree can lack it.)
      it('without @tensorflow/tfjs, `mtlc train` says what to install (exit 3, not an internal error)', async () => {
        await Promise.allSettled(Object.values(flow()));
        const installed = join(dir, 'node_modules/@tensorflow/tfjs');
        const aside = `${installed}.aside`;
        renameSync(installed, aside);
        try {
          const r = await run(join(dir, 'node_modules/.bin/mtlc'), ['train', 'tiny.mtl.yaml', '--epochs', '1', '--quiet'], dir);
          expect(r.code, r.stderr).toBe(3);
          expect(r.stderr).toContain('@tensorflow/tfjs is not installed');
          expect(r.stderr).toContain(`npm i ${TFJS}`);
          expect(r.stderr).not.toMatch(/\n\s+at /);
        } finally {
          renameSync(aside, installed);
        }
      });
    }
  });
}

const chromium = existsSync(CHROMIUM);

describe.skipIf(!chromium)(`a Vite app importing the spec, in headless Chromium${chromium ? '' : ` (skipped: ${CHROMIUM} is not installed; .ci/run installs it with apt-get install -y chromium)`}`, () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('builds with no Node module in the bundle and predicts on cpu and webgl what Node predicts', async () => {
    const build = ok(await flows.npm!.webBuild!, 'vite build');
    expect(`${build.stdout}${build.stderr}`).not.toMatch(/externalized for browser compatibility|__vite-browser-external|is not exported by/);
    const assets = join(npmProject, 'web/dist/assets');
    const bundle = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(assets, f), 'utf8')).join('\n');
    expect(bundle).not.toMatch(/from\s*["']node:|require\(["'](fs|path|worker_threads|readline)["']\)/);
    expect(bundle).not.toContain('cli-progress');
    // The SIMD training kernels run only in Node's wasm training: no JS of theirs, no .wasm asset.
    expect(bundle).not.toMatch(/cs_forward2|MTLC_WASM_SIMD/);
    expect(readdirSync(assets).filter((f) => f.endsWith('.wasm'))).toEqual([]);

    server = serve(join(npmProject, 'web/dist'));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const text = await inChromium(`http://127.0.0.1:${port}/`);
    expect(text.startsWith('error'), text).toBe(false);
    const page = JSON.parse(text) as Record<'cpu' | 'webgl', Predictions> & { runtime: string };
    expect(page.runtime).toBe('CrossStitch');
    ok(await flows.npm!.program, 'the program'); // Node's predictions, to compare
    const node = JSON.parse(readFileSync(join(npmProject, 'node-predictions.json'), 'utf8')) as Predictions;
    for (const backend of ['cpu', 'webgl'] as const) {
      expect(page[backend]['left']!.shape).toEqual([2, 3]);
      expect(page[backend]['right']!.shape).toEqual([2, 1]);
      expect(page[backend]['left']!.sum).toBeCloseTo(2, 4);
      expect(page[backend]['right']!.sum, backend).toBeCloseTo(node['right']!.sum, 4);
    }
  }, 300_000);
});

function serve(root: string): Server {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const file = join(root, path === '/' ? 'index.html' : path);
    if (!file.startsWith(root) || !existsSync(file) || lstatSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
}

/** Loads `url` in headless Chromium (a fresh profile, no network of its own) and returns #out's text once the page is done. */
async function inChromium(url: string): Promise<string> {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: mkdtempSync(join(work, 'chromium-')),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      // WebGL on the CPU (SwiftShader): Chromium no longer falls back to it without this flag.
      '--enable-unsafe-swiftshader',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction("document.getElementById('out')?.textContent !== 'running'", { timeout: 60_000 });
    const text = (await page.$eval('#out', (e) => e.textContent)) ?? '';
    return errors.length ? `error: ${errors.join('\n')}` : text;
  } finally {
    await browser.close();
  }
}
