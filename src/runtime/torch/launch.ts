/**
 * Finding a Python with PyTorch and launching the generated training script: one process
 * (`python -m <pkg>.train`) for --nproc 1, else `python -m torch.distributed.run` (torchrun) on
 * this machine with gloo on CPU (NCCL when the ranks see GPUs). Debian's torchrun under Python
 * 3.11 fails on its default `--redirects 0` (Std.from_str returns None), so it is given
 * `--redirects 1 --tee 1`: stdout goes through, prefixed `[default<rank>]:`; the prefix is
 * stripped here. Rank 0 prints progress as JSON events after `@mtlc `. Several runs on one
 * machine at once each rendezvous on a port of their own (localhost:0: the OS picks it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TORCH_INSTALL_HINT =
  'install PyTorch for a Python 3: `sudo apt-get install -y python3-torch` (Debian/Ubuntu) or `pip install torch numpy`; then pass --python PATH if it is not the `python3` on PATH';

export interface TorchPython {
  python: string;
  torch: string;
}

/** The `python/` folder of this mtlc package (mtlc_torch lives there). */
export function pythonRuntimeDir(): string {
  // src/runtime/torch/launch.ts or dist/runtime/torch/launch.js -> <package>/python
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'python');
}

/** Where a Python with torch is looked for when neither --python nor MTLC_PYTHON names one. */
export const DEFAULT_PYTHONS: readonly string[] = ['python3', '/usr/bin/python3'];

/** --python, else MTLC_PYTHON, else python3 on PATH, then /usr/bin/python3: the first that imports torch. */
export function findTorchPython(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, defaults: readonly string[] = DEFAULT_PYTHONS): TorchPython | { missing: string } {
  const candidates = explicit ? [explicit] : env['MTLC_PYTHON'] ? [env['MTLC_PYTHON']] : [...defaults];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000, env });
    if (r.status === 0) return { python, torch: r.stdout.trim() };
    const why = r.error ? ((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message) : /No module named '?\w+'?/.exec(r.stderr)?.[0] ?? `exit ${r.status}`;
    tried.push(`${python} (${why})`);
  }
  return { missing: `no Python with PyTorch: tried ${tried.join(', ')}; ${TORCH_INSTALL_HINT}` };
}

export interface TorchEvent {
  event: string;
  [key: string]: unknown;
}

export interface LaunchOptions {
  python: string;
  nproc: number;
  /** Folder holding the generated package, and its name. */
  packageRoot: string;
  packageName: string;
  job: string;
  /** Called per event of rank 0. */
  onEvent: (e: TorchEvent) => void;
  /** Other output lines (warnings, user prints), without the rank prefix. */
  onLine: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface LaunchResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

const RANK_PREFIX = /^\[[A-Za-z_]*\d+\]:/;
export const EVENT_PREFIX = '@mtlc ';

/**
 * How the ranks meet: on this machine (`local`: a c10d store on a port the OS picks, so runs side
 * by side never meet; torchrun's --standalone would always take 29400), or on several machines at
 * a c10d endpoint (`{ nodes, endpoint, id }`).
 */
export type Rendezvous = 'local' | { nodes: string; endpoint: string; id: string };

/**
 * The Python arguments: the package's train module (one process on this machine), or torchrun
 * over it. mtlc runs them with JSON events; the command it prints for a person, with plain lines.
 */
export function launchArgs(o: Pick<LaunchOptions, 'nproc' | 'packageName' | 'job'> & { events?: 'json' | 'text' }, rendezvous: Rendezvous = 'local'): string[] {
  const script = ['-m', `${o.packageName}.train`, '--job', o.job, ...((o.events ?? 'json') === 'json' ? ['--events', 'json'] : [])];
  if (o.nproc === 1 && rendezvous === 'local') return script;
  const meet = rendezvous === 'local' ? ['--rdzv_backend', 'c10d', '--rdzv_endpoint', 'localhost:0', '--nnodes', '1'] : ['--nnodes', rendezvous.nodes, '--rdzv_backend', 'c10d', '--rdzv_endpoint', rendezvous.endpoint, '--rdzv_id', rendezvous.id];
  return ['-m', 'torch.distributed.run', ...meet, '--nproc_per_node', String(o.nproc), '--redirects', '1', '--tee', '1', ...script];
}

/** A word for a POSIX shell: as is when plain, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line a user pastes into a shell to run the job as mtlc would (progress as plain lines). */
export function pastableCommand(python: string, packageRoot: string, args: readonly string[]): string {
  const pythonPath = [packageRoot, pythonRuntimeDir()].join(path.delimiter);
  return [`PYTHONPATH=${shellWord(pythonPath)}`, shellWord(python), ...args.map(shellWord)].join(' ');
}

export async function launch(o: LaunchOptions): Promise<LaunchResult> {
  const env = { ...(o.env ?? process.env) };
  env['PYTHONPATH'] = [o.packageRoot, pythonRuntimeDir(), env['PYTHONPATH']].filter(Boolean).join(path.delimiter);
  env['PYTHONUNBUFFERED'] = '1';
  // torchrun sets OMP_NUM_THREADS=1 per rank when unset; one rank alone may use the cores.
  const child = spawn(o.python, launchArgs(o), { cwd: o.packageRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const handle = (line: string): void => {
    const text = line.replace(RANK_PREFIX, '');
    if (text.startsWith(EVENT_PREFIX)) {
      try {
        o.onEvent(JSON.parse(text.slice(EVENT_PREFIX.length)) as TorchEvent);
        return;
      } catch {
        // not ours after all
      }
    }
    o.onLine(text);
  };
  createInterface({ input: child.stdout }).on('line', handle);
  createInterface({ input: child.stderr }).on('line', (line) => o.onLine(line.replace(RANK_PREFIX, '')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal }));
  });
}
