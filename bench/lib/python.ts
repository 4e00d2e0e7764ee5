/**
 * The PyTorch peer: finds a Python with torch (python3 on PATH, then /usr/bin/python3, or
 * MTLC_BENCH_PYTHON), installs Debian's python3-torch only when asked (--install-peers), and
 * runs bench/peers/lenet_pair.py as a long-lived process answering "run N", so its repetitions
 * interleave with tfjs's in one bench run. Never throws for a missing peer: says why instead.
 */
import { ownPids } from './disturbance.js';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { repoPath } from './optional.js';

export interface TorchPython {
  python: string;
  version: string;
}

export const PEER_SCRIPT = repoPath('bench/peers/lenet_pair.py');
export const INSTALL_HINT =
  'install it with `sudo apt-get install -y python3-torch` (Debian/Ubuntu), or run `npm run bench -- --install-peers` as root';

/** MTLC_BENCH_PYTHON, when set, is the only Python tried; else python3 on PATH, then /usr/bin/python3. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.MTLC_BENCH_PYTHON) return [env.MTLC_BENCH_PYTHON];
  return ['python3', '/usr/bin/python3'];
}

export function findTorchPython(candidates = pythonCandidates()): TorchPython | undefined {
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return undefined;
}

/** Finds PyTorch; with `install`, tries apt-get once. Returns the python or the reason it is absent. */
export function ensureTorch(
  install: boolean,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): TorchPython | { missing: string } {
  const candidates = pythonCandidates(env);
  const found = findTorchPython(candidates);
  if (found) return found;
  if (!install) return { missing: `PyTorch not found (tried ${candidates.join(', ')}); ${INSTALL_HINT}` };
  log('PyTorch not found; running apt-get install -y python3-torch ...');
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // stdout of apt goes to stderr: the bench's stdout is its table.
  const apt = (args: string[]) => spawnSync('apt-get', args, { stdio: ['ignore', 2, 2], env: aptEnv });
  let r = apt(['install', '-y', 'python3-torch']);
  if (r.status !== 0) {
    apt(['update']);
    r = apt(['install', '-y', 'python3-torch']);
  }
  const after = findTorchPython(candidates);
  if (after) return after;
  const why = r.error ? r.error.message : `apt-get exited with ${r.status}`;
  return { missing: `installing python3-torch failed (${why}); ${INSTALL_HINT}` };
}

export interface PeerConfig {
  junctions: readonly string[];
  batch?: number;
  threads?: number;
  warmup?: number;
  mode?: 'channel' | 'scalar';
}

/** Arguments of lenet_pair.py for a configuration. */
export function peerArgs(c: PeerConfig): string[] {
  return [
    '--junctions', c.junctions.length ? c.junctions.join(',') : 'none',
    '--mode', c.mode ?? 'channel',
    '--batch', String(c.batch ?? 64),
    '--threads', String(c.threads ?? 2),
    '--warmup', String(c.warmup ?? 5),
  ];
}

export interface PeerInfo {
  torch: string;
  threads: number;
  params: number;
}

/** A running lenet_pair.py --serve. */
export class TorchPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly queue: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private closed = false;
  private stderr = '';
  info: PeerInfo | undefined;

  constructor(python: string, config: PeerConfig) {
    this.child = spawn(python, [PEER_SCRIPT, '--serve', ...peerArgs(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const pid = this.child.pid;
    if (pid !== undefined) {
      ownPids.add(pid);
      this.child.on('exit', () => ownPids.delete(pid));
    }
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else this.queue.push(line);
    });
    this.lines.on('close', () => {
      this.closed = true;
      this.waiting?.(undefined);
      this.waiting = undefined;
    });
  }

  private next(): Promise<string> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new Error(`PyTorch peer exited: ${this.lastError()}`));
    return new Promise((resolve, reject) => {
      this.waiting = (line) => (line === undefined ? reject(new Error(`PyTorch peer exited: ${this.lastError()}`)) : resolve(line));
    });
  }

  private lastError(): string {
    const lines = this.stderr.trim().split('\n');
    return lines[lines.length - 1] || 'no output';
  }

  /** Waits for the peer to build its net and warm up. */
  async ready(): Promise<PeerInfo> {
    const msg = JSON.parse(await this.next()) as PeerInfo & { ready?: boolean };
    if (!msg.ready) throw new Error(`PyTorch peer: unexpected first line ${JSON.stringify(msg)}`);
    this.info = { torch: msg.torch, threads: msg.threads, params: msg.params };
    return this.info;
  }

  /** Runs `steps` training steps in the peer; resolves to their elapsed nanoseconds. */
  async run(steps: number): Promise<bigint> {
    return (await this.runTimed(steps)).ns;
  }

  /** Like `run`, with the peer's own process CPU time (ns) over those steps. */
  async runTimed(steps: number): Promise<{ ns: bigint; cpuNs?: number }> {
    this.child.stdin.write(`run ${steps}\n`);
    const msg = JSON.parse(await this.next()) as { ns?: number; cpuNs?: number; error?: string };
    if (msg.error || typeof msg.ns !== 'number') throw new Error(`PyTorch peer: ${msg.error ?? 'no timing'}`);
    return { ns: BigInt(msg.ns), ...(typeof msg.cpuNs === 'number' ? { cpuNs: msg.cpuNs } : {}) };
  }

  close(): void {
    if (!this.closed) {
      this.child.stdin.end('quit\n');
    }
  }
}
