/** Command-line options of `npm run bench`. */

export const FIGURES = ['train', 'overhead', 'generated', 'compile', 'memory'] as const;
export type Figure = (typeof FIGURES)[number];

export interface BenchOptions {
  quick: boolean;
  only: Figure[];
  installPeers: boolean;
  /** Also run the cpu backend figure (slow); on by default, off with --no-cpu. */
  cpu: boolean;
  /** torch.set_num_threads for the PyTorch peer (default 2: the machine's cores). */
  peerThreads: number;
  name: string;
  /** Folder for the results file (default bench/results). */
  resultsDir: string | undefined;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only <figure>[,<figure>...]] [--install-peers] [--no-cpu] [--peer-threads N] [--name NAME]

figures: ${FIGURES.join(', ')}
  train      training throughput of the generated MultiMNIST net on wasm and cpu vs PyTorch
  overhead   cross-stitch overhead: stitched / unstitched step time (wasm, and PyTorch)
  generated  the generated model vs the same model written by hand in tfjs
  compile    cold \`mtlc compile\` vs a Node that only loads ts-morph; 100 specs in one call
  memory     peak RSS and tfjs tensor count across epochs of a short training run
--quick          fewer repetitions and steps (a smoke run; ratios are rougher)
--install-peers  apt-get install python3-torch when PyTorch is absent
--no-cpu         skip the (very slow) cpu backend throughput
--name NAME      results go to bench/results/<date>-NAME.json (default: full or quick)
--results-dir D  write the results file into D instead of bench/results
--peer-threads N torch.set_num_threads(N) in the PyTorch peer (default 2)
PyTorch: python3 on PATH, then /usr/bin/python3; MTLC_BENCH_PYTHON=/path/to/python to choose.
`;

export class UsageError extends Error {}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { quick: false, only: [], installPeers: false, cpu: true, peerThreads: 2, name: '', resultsDir: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        o.quick = true;
        break;
      case '--install-peers':
        o.installPeers = true;
        break;
      case '--no-cpu':
        o.cpu = false;
        break;
      case '--help':
      case '-h':
        o.help = true;
        break;
      case '--only':
        for (const f of value().split(',')) {
          const name = f.trim();
          if (!(FIGURES as readonly string[]).includes(name)) {
            throw new UsageError(`unknown figure "${name}" for --only; choose from ${FIGURES.join(', ')}`);
          }
          if (!o.only.includes(name as Figure)) o.only.push(name as Figure);
        }
        break;
      case '--peer-threads': {
        const v = value();
        if (!/^[1-9]\d*$/.test(v)) throw new UsageError(`--peer-threads needs a positive integer, got "${v}"`);
        o.peerThreads = Number(v);
        break;
      }
      case '--results-dir':
        o.resultsDir = value();
        break;
      case '--name': {
        const v = value();
        if (!/^[A-Za-z0-9._-]+$/.test(v)) throw new UsageError(`--name may use letters, digits, dot, dash and underscore, got "${v}"`);
        o.name = v;
        break;
      }
      default:
        throw new UsageError(`unknown option "${arg}"`);
    }
  }
  if (!o.name) o.name = o.quick ? 'quick' : 'full';
  return o;
}

export function wants(o: BenchOptions, f: Figure): boolean {
  return o.only.length === 0 || o.only.includes(f);
}
