import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  classifyLoadError,
  selectBackend,
  UnknownBackendError,
  type ModuleLoader,
} from '../../src/runtime/backend.js';

/** What Node's ESM loader throws for a package that is not in node_modules. */
function notFound(pkg: string): Error {
  return Object.assign(new Error(`Cannot find package '${pkg}' imported from /app/node_modules/mtlc/dist/runtime/backend.js`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
}
/** What loading tfjs-node-gpu throws on a machine without CUDA 11. */
const cudaMissing = Object.assign(new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory'), {
  code: 'ERR_DLOPEN_FAILED',
});
/** What tfjs-node throws when its libtensorflow download failed at install time. */
const bindingMissing = new Error(
  "The Node.js native addon module (tfjs_binding.node) can not be found at path: /app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node. \nPlease run command 'npm rebuild @tensorflow/tfjs-node build-addon-from-source' to rebuild the native addon module.",
);

/** A loader where the native packages fail as given and the rest load for real. */
function loaderWith(failures: Record<string, unknown>, log: string[] = []): ModuleLoader {
  return async (specifier) => {
    log.push(specifier);
    if (specifier in failures) throw failures[specifier];
    return import(specifier);
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(async () => {
  if (tf.findBackendFactory('tensorflow') != null) tf.removeBackend('tensorflow');
  await tf.setBackend('cpu');
});

describe('explicit backends that cannot load', () => {
  it('gpu on this machine (package not installed) is backend-not-installed, with what to install', async () => {
    const err = await selectBackend('gpu').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    const e = err as BackendUnavailableError;
    expect(e.code).toBe('backend-not-installed');
    expect(e.backend).toBe('gpu');
    expect(e.exitCode).toBe(3);
    expect(e.reason).toBe('@tensorflow/tfjs-node-gpu is not installed');
    expect(e.install).toContain('npm i @tensorflow/tfjs-node-gpu@4.22.0');
    expect(e.install).toMatch(/CUDA 11\.2 and cuDNN 8\.1/);
    expect(e.message).toMatch(/^backend 'gpu' is unavailable: @tensorflow\/tfjs-node-gpu is not installed\n {2}fix: npm i/);
    // Never a silent fallback: the active backend did not change to something else.
    expect(tf.getBackend()).toBe('cpu');
  });

  it('gpu with missing CUDA libraries is backend-cuda-missing and names the library', async () => {
    const err = (await selectBackend('gpu', { loader: loaderWith({ '@tensorflow/tfjs-node-gpu': cudaMissing }) }).catch((e: unknown) => e)) as BackendUnavailableError;
    expect(err.code).toBe('backend-cuda-missing');
    expect(err.reason).toMatch(/installed but a CUDA library failed to load \(libcudart\.so\.11\.0\)/);
    expect(err.install).toMatch(/CUDA 11\.2 and cuDNN 8\.1.*LD_LIBRARY_PATH/);
  });

  it('node with the native binding missing is backend-binding-missing and mentions the mirror', async () => {
    const err = (await selectBackend('node', { loader: loaderWith({ '@tensorflow/tfjs-node': bindingMissing }) }).catch((e: unknown) => e)) as BackendUnavailableError;
    expect(err.code).toBe('backend-binding-missing');
    expect(err.reason).toMatch(/^@tensorflow\/tfjs-node is installed but its native binding or libtensorflow is missing/);
    expect(err.install).toMatch(/TFJS_NODE_CDN_STORAGE=.* npm rebuild @tensorflow\/tfjs-node/);
  });

  it('a dependency missing inside an installed package is load-failed, not not-installed', () => {
    const inner = Object.assign(new Error("Cannot find module 'adm-zip' imported from /app/node_modules/@tensorflow/tfjs-node/dist/index.js"), { code: 'MODULE_NOT_FOUND' });
    const e = classifyLoadError('node', inner);
    expect(e.code).toBe('backend-load-failed');
    expect(e.reason).toMatch(/installed but failed to load: Cannot find module 'adm-zip'/);
  });

  it('a package that loads but registers no backend is backend-init-failed', async () => {
    const err = (await selectBackend('node', { loader: async () => ({}) }).catch((e: unknown) => e)) as BackendUnavailableError;
    expect(err.code).toBe('backend-init-failed');
    expect(err.reason).toMatch(/no 'tensorflow' backend was registered/);
  });
});

describe('auto', () => {
  it('skips gpu (not installed) and node (binding missing), picks wasm, and keeps the reasons', async () => {
    const log: string[] = [];
    const sel = await selectBackend('auto', {
      loader: loaderWith({ '@tensorflow/tfjs-node-gpu': notFound('@tensorflow/tfjs-node-gpu'), '@tensorflow/tfjs-node': bindingMissing }, log),
    });
    expect(log).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm']);
    expect(sel.name).toBe('wasm');
    expect(sel.tfBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(sel.skipped.map((s) => [s.backend, s.code])).toEqual([
      ['gpu', 'backend-not-installed'],
      ['node', 'backend-binding-missing'],
    ]);
    expect(sel.summary).toMatch(/^backend: wasm \(auto; gpu: @tensorflow\/tfjs-node-gpu is not installed; node: @tensorflow\/tfjs-node is installed but its native binding/);
    // The wasm backend computes.
    expect(Array.from(tf.add(tf.tensor([1, 2]), tf.tensor([3, 4])).dataSync())).toEqual([4, 6]);
  });

  it('falls back to cpu when wasm fails too', async () => {
    const sel = await selectBackend('auto', {
      loader: loaderWith({
        '@tensorflow/tfjs-node-gpu': notFound('@tensorflow/tfjs-node-gpu'),
        '@tensorflow/tfjs-node': notFound('@tensorflow/tfjs-node'),
        '@tensorflow/tfjs-backend-wasm': notFound('@tensorflow/tfjs-backend-wasm'),
      }),
    });
    expect(sel.name).toBe('cpu');
    expect(sel.skipped.map((s) => s.backend)).toEqual(['gpu', 'node', 'wasm']);
  });

  it('takes gpu first when it loads (simulated native backend)', async () => {
    const fakeNative: ModuleLoader = async (specifier) => {
      if (specifier === '@tensorflow/tfjs-node-gpu') {
        // What tfjs-node-gpu does on import: register a backend named 'tensorflow'.
        if (tf.findBackendFactory('tensorflow') == null) tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
        return {};
      }
      throw new Error(`unexpected import ${specifier}`);
    };
    const sel = await selectBackend(undefined, { loader: fakeNative, env: {} });
    expect(sel).toMatchObject({ name: 'gpu', tfBackend: 'tensorflow', requested: 'auto', skipped: [] });
  });
});

describe('choice from MTLC_BACKEND and switching', () => {
  it('MTLC_BACKEND=cpu selects cpu when no choice is given', async () => {
    const sel = await selectBackend(undefined, { env: { MTLC_BACKEND: 'cpu' } });
    expect(sel).toMatchObject({ name: 'cpu', requested: 'cpu', tfBackend: 'cpu' });
  });

  it('MTLC_BACKEND wins over the spec default, which wins over auto', async () => {
    expect((await selectBackend(undefined, { env: { MTLC_BACKEND: 'cpu' }, defaultChoice: 'gpu' })).name).toBe('cpu');
    const err = (await selectBackend(undefined, { env: {}, defaultChoice: 'gpu' }).catch((e: unknown) => e)) as BackendUnavailableError;
    expect(err.code).toBe('backend-not-installed');
  });

  it('an explicit choice wins over MTLC_BACKEND', async () => {
    const sel = await selectBackend('cpu', { env: { MTLC_BACKEND: 'gpu' } });
    expect(sel.name).toBe('cpu');
  });

  it('an unknown MTLC_BACKEND is a usage error naming the variable', async () => {
    const err = await selectBackend(undefined, { env: { MTLC_BACKEND: 'tpu' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownBackendError);
    expect((err as UnknownBackendError).exitCode).toBe(2);
    expect((err as Error).message).toBe("MTLC_BACKEND: unknown backend 'tpu'; expected one of gpu, node, wasm, cpu, auto");
  });

  it('selecting wasm twice, then cpu, then wasm again works in one process', async () => {
    expect((await selectBackend('wasm')).name).toBe('wasm');
    expect((await selectBackend('wasm')).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect((await selectBackend('cpu')).name).toBe('cpu');
    expect((await selectBackend('wasm')).tfBackend).toBe('wasm');
    expect(Array.from(tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync())).toEqual([11]);
  });
});

describe('the cpu backend in a fresh process', () => {
  it('prints no tfjs "install our node backend" banner (mtlc says which backend it chose and why)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const script = `import * as tf from '@tensorflow/tfjs'; import { selectBackend } from 'mtlc/runtime';
      await selectBackend('cpu'); console.log(tf.tensor([1, 2]).add(1).dataSync().join(','));`;
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('2,3');
    expect(r.stderr).not.toContain('looks like you are running TensorFlow.js');
  });
});
