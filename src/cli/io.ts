/** Where the CLI reads and writes: the process by default, buffers in tests. */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Whether stdout/stderr are terminals (colour, progress bars). */
  readonly isTTY: boolean;
}

export function processIO(): CliIO {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

/** Colour is on for a TTY unless NO_COLOR is set (https://no-color.org); FORCE_COLOR forces it. */
export function useColor(io: CliIO): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return io.isTTY;
}

/** Exit codes (PRODUCT.md §4). */
export const ExitCode = {
  ok: 0,
  /** Invalid spec, stale output, failed check. */
  invalid: 1,
  /** Usage or I/O error. */
  usage: 2,
  /** Requested backend cannot load. */
  backendUnavailable: 3,
} as const;

/** A user-facing failure: printed as `mtlc: message` with no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
