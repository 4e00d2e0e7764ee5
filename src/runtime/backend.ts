/**
 * Backend selection (docs/backends.md):
 *   gpu  -> @tensorflow/tfjs-node-gpu (libtensorflow with CUDA 11.2 / cuDNN 8.1)
 *   node -> @tensorflow/tfjs-node     (libtensorflow, CPU)
 *   wasm -> @tensorflow/tfjs-backend-wasm, plus the training kernels the runtime supplies
 *   cpu  -> the plain JavaScript backend bundled with @tensorflow/tfjs
 *   auto -> the first of gpu, node, wasm, cpu that loads; the reasons the others did not are kept.
 * An explicit backend that cannot load throws `BackendUnavailableError` (exit code 3) saying
 * why and what to install; there is never a silent fallback.
 *
 * The native packages are optional peer dependencies: they are imported with a dynamic
 * `import()` of a string TypeScript does not resolve, through an injectable loader so tests can
 * simulate a missing or a failing module.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice, BackendName } from './plan.js';
import { prepareWasmSimdKernels, registerWasmTrainingKernels } from './wasm-kernels/index.js';
import { loadCrossStitchSimd } from './cross-stitch.js';
// The cpu backend's AvgPoolGrad, exact at 'same' borders (registered on import).
import './avg-pool-grad.js';

export const BACKEND_ORDER: readonly BackendName[] = ['gpu', 'node', 'wasm', 'cpu'];
const CHOICES: readonly BackendChoice[] = [...BACKEND_ORDER, 'auto'];

/** The npm package behind each backend, and the tfjs backend name it registers. */
export const BACKEND_PACKAGES: Readonly<Record<BackendName, { readonly pkg: string; readonly tfName: string }>> = {
  gpu: { pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  node: { pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  cpu: { pkg: '@tensorflow/tfjs', tfName: 'cpu' },
};

/** Loads a module by specifier; the default is Node's dynamic `import()`. */
export type ModuleLoader = (specifier: string) => Promise<unknown>;

export const defaultModuleLoader: ModuleLoader = (specifier) => import(specifier);

export type BackendErrorCode =
  | 'backend-not-installed'
  | 'backend-cuda-missing'
  | 'backend-binding-missing'
  | 'backend-load-failed'
  | 'backend-init-failed';

/** An explicit backend could not be used. `exitCode` is 3 (backend unavailable). */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  readonly exitCode = 3;
  constructor(
    readonly code: BackendErrorCode,
    readonly backend: BackendName,
    /** Why it did not load (one line). */
    readonly reason: string,
    /** What to do about it. */
    readonly install: string,
  ) {
    super(`backend '${backend}' is unavailable: ${reason}\n  fix: ${install}`);
  }
}

/** `MTLC_BACKEND` or `--backend` holds something that is not a backend. Exit code 2 (usage). */
export class UnknownBackendError extends Error {
  override readonly name = 'UnknownBackendError';
  readonly exitCode = 2;
  readonly code = 'backend-unknown';
  constructor(
    readonly value: string,
    readonly source: string,
  ) {
    super(`${source}: unknown backend '${value}'; expected one of ${CHOICES.join(', ')}`);
  }
}

export interface SkippedBackend {
  readonly backend: BackendName;
  readonly code: BackendErrorCode;
  readonly reason: string;
}

export interface BackendSelection {
  /** The mtlc backend in use. */
  readonly name: BackendName;
  /** The tfjs backend name (`tf.getBackend()`): tensorflow, wasm or cpu. */
  readonly tfBackend: string;
  /** What was asked for. */
  readonly requested: BackendChoice;
  /** For `auto`: the backends tried before `name`, and why each was not used. */
  readonly skipped: readonly SkippedBackend[];
  /** One line for logs: "backend: wasm (auto; gpu: ..., node: ...)". */
  readonly summary: string;
}

export interface SelectBackendOptions {
  readonly loader?: ModuleLoader;
  /** Where `MTLC_BACKEND` is read from when `choice` is undefined (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Used when `choice` is undefined and `MTLC_BACKEND` is unset: the spec's `training.backend`.
   * Precedence: explicit choice (a --backend flag) > MTLC_BACKEND > defaultChoice > 'auto'.
   */
  readonly defaultChoice?: BackendChoice;
}

const CUDA_LIB = /\b(lib(?:cudart|cudnn|cublas|cublasLt|cufft|curand|cusolver|cusparse|nvinfer|cuda)\.so[.\d]*)/;
const BINDING = /tfjs_binding\.node|libtensorflow(?:_framework)?\.so|native addon/i;

function installHint(backend: BackendName): string {
  switch (backend) {
    case 'gpu':
      return 'npm i @tensorflow/tfjs-node-gpu@4.22.0 (Linux x86_64 with CUDA 11.2 and cuDNN 8.1; see docs/backends.md)';
    case 'node':
      return 'npm i @tensorflow/tfjs-node@4.22.0 (see docs/backends.md)';
    case 'wasm':
      return 'npm i @tensorflow/tfjs-backend-wasm@4.22.0';
    case 'cpu':
      return 'npm i @tensorflow/tfjs@4.22.0';
  }
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * Is `e` "this very package is not installed" (and not a missing file or dependency inside it)?
 * Node says `Cannot find package 'X'` (ERR_MODULE_NOT_FOUND); vite/vitest say
 * `Could not resolve "X" ... Is it installed?`.
 */
function isNotInstalled(e: unknown, pkg: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  const msg = messageOf(e);
  const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)|Failed to load url|Could not resolve/i.test(msg);
  if (!notFound) return false;
  return msg.includes(`'${pkg}'`) || msg.includes(`"${pkg}"`) || new RegExp(`(package|module|url) ${pkg.replace(/[/.]/g, '\\$&')}(\\s|$)`).test(msg);
}

/** Classifies a failure to import `pkg` for `backend`. */
export function classifyLoadError(backend: BackendName, e: unknown): BackendUnavailableError {
  const { pkg } = BACKEND_PACKAGES[backend];
  const msg = messageOf(e).split('\n')[0]!.trim();
  if (isNotInstalled(e, pkg)) {
    return new BackendUnavailableError('backend-not-installed', backend, `${pkg} is not installed`, installHint(backend));
  }
  const cuda = CUDA_LIB.exec(messageOf(e));
  if (cuda) {
    return new BackendUnavailableError(
      'backend-cuda-missing',
      backend,
      `${pkg} is installed but a CUDA library failed to load (${cuda[1]}): ${msg}`,
      'install CUDA 11.2 and cuDNN 8.1 (tfjs-node-gpu 4.x links against libcudart.so.11.0 and libcudnn.so.8) and put their lib64 directories on LD_LIBRARY_PATH; or use --backend node / wasm',
    );
  }
  if (BINDING.test(messageOf(e))) {
    return new BackendUnavailableError(
      'backend-binding-missing',
      backend,
      `${pkg} is installed but its native binding or libtensorflow is missing (the download at install time probably failed): ${msg}`,
      `reinstall it where https://storage.googleapis.com is reachable, or point the download at a mirror: TFJS_NODE_CDN_STORAGE=https://your-mirror/ npm rebuild ${pkg} (see docs/backends.md)`,
    );
  }
  return new BackendUnavailableError('backend-load-failed', backend, `${pkg} is installed but failed to load: ${msg}`, `reinstall ${pkg} (npm i ${pkg}@4.22.0) and check its install log`);
}

/** Parses a choice from a flag or environment variable. */
export function parseBackendChoice(value: string, source = 'backend'): BackendChoice {
  const v = value.trim().toLowerCase();
  if ((CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new UnknownBackendError(value, source);
}

async function activate(backend: BackendName, tfName: string): Promise<void> {
  if (tf.findBackendFactory(tfName) == null) {
    throw new BackendUnavailableError(
      'backend-init-failed',
      backend,
      `${BACKEND_PACKAGES[backend].pkg} loaded but no '${tfName}' backend was registered with this copy of @tensorflow/tfjs (two copies installed? check that their versions match: npm ls @tensorflow/tfjs-core)`,
      `install matching versions: npm i @tensorflow/tfjs@4.22.0 ${BACKEND_PACKAGES[backend].pkg}@4.22.0`,
    );
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfName);
    await tf.ready();
  } catch (e) {
    throw new BackendUnavailableError('backend-init-failed', backend, `the '${tfName}' backend failed to initialise: ${messageOf(e)}`, installHint(backend));
  }
  if (!ok || tf.getBackend() !== tfName) {
    throw new BackendUnavailableError('backend-init-failed', backend, `the '${tfName}' backend failed to initialise (tf.setBackend returned false)`, installHint(backend));
  }
  // tfjs's cpu backend prints a "Hi, looks like you are running TensorFlow.js in Node.js" banner
  // on first use; mtlc already says which backend it chose and why, so mark it as used.
  if (tfName === 'cpu') {
    const cpu = tf.engine().findBackend('cpu') as unknown as { firstUse?: boolean } | null;
    if (cpu && typeof cpu.firstUse === 'boolean') cpu.firstUse = false;
  }
}

/** Loads and activates one backend, or throws `BackendUnavailableError`. */
async function tryBackend(backend: BackendName, loader: ModuleLoader): Promise<void> {
  const { pkg, tfName } = BACKEND_PACKAGES[backend];
  if (backend !== 'cpu') {
    try {
      await loader(pkg);
    } catch (e) {
      throw classifyLoadError(backend, e);
    }
  }
  if (backend === 'wasm') {
    try {
      registerWasmTrainingKernels();
      // Compiles the SIMD kernels where they cannot load synchronously (browsers); never throws:
      // without them every kernel takes its previous path.
      await prepareWasmSimdKernels();
      // The cross-stitch kernels' SIMD path, loaded apart from the layer (browser bundles leave it out).
      await loadCrossStitchSimd();
    } catch (e) {
      throw new BackendUnavailableError('backend-init-failed', backend, `registering the wasm training kernels failed: ${messageOf(e)}`, installHint(backend));
    }
  }
  await activate(backend, tfName);
}

/**
 * Selects and activates a backend. `choice` defaults to `MTLC_BACKEND`, else
 * `options.defaultChoice` (the spec's), else `auto`.
 * Calling it again (same or another backend) switches; it is safe to call many times.
 */
export async function selectBackend(choice?: BackendChoice, options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const loader = options.loader ?? defaultModuleLoader;
  const env = options.env ?? process.env;
  let requested: BackendChoice;
  if (choice !== undefined) {
    requested = parseBackendChoice(choice, 'backend');
  } else {
    const fromEnv = env['MTLC_BACKEND'];
    requested =
      fromEnv !== undefined && fromEnv.trim() !== ''
        ? parseBackendChoice(fromEnv, 'MTLC_BACKEND')
        : options.defaultChoice !== undefined
          ? parseBackendChoice(options.defaultChoice, 'training.backend')
          : 'auto';
  }
  if (requested !== 'auto') {
    await tryBackend(requested, loader);
    return { name: requested, tfBackend: tf.getBackend(), requested, skipped: [], summary: `backend: ${requested} (${BACKEND_PACKAGES[requested].tfName})` };
  }
  const skipped: SkippedBackend[] = [];
  for (const backend of BACKEND_ORDER) {
    try {
      await tryBackend(backend, loader);
      const why = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
      return { name: backend, tfBackend: tf.getBackend(), requested, skipped, summary: `backend: ${backend} (auto${why ? `; ${why}` : ''})` };
    } catch (e) {
      if (!(e instanceof BackendUnavailableError)) throw e;
      skipped.push({ backend, code: e.code, reason: e.reason });
    }
  }
  // Unreachable in practice: cpu ships with @tensorflow/tfjs.
  const last = skipped[skipped.length - 1]!;
  throw new BackendUnavailableError(last.code, 'cpu', skipped.map((s) => `${s.backend}: ${s.reason}`).join('; '), installHint('cpu'));
}
