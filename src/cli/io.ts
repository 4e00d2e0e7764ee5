/** Where the CLI reads and writes: the process by default, buffers in tests. */
import { describeFsError as describeRuntimeFsError } from '../runtime/files.js';
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Whether stdout/stderr are terminals (colour, progress bars). */
  readonly isTTY: boolean;
}

/**
 * A write to a process stream that stops quietly once the reader has gone (`mtlc ... | head`):
 * EPIPE would otherwise be an unhandled 'error' event with a stack trace. The command still runs
 * to its end and keeps its exit code.
 */
function streamWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

let processWriters: { stdout: (text: string) => void; stderr: (text: string) => void } | undefined;

export function processIO(): CliIO {
  processWriters ??= { stdout: streamWriter(process.stdout), stderr: streamWriter(process.stderr) };
  return {
    stdout: processWriters.stdout,
    stderr: processWriters.stderr,
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

/** Exit codes (as the README lists them). */
export const ExitCode = {
  ok: 0,
  /** Invalid spec, stale output, failed check. */
  invalid: 1,
  /** Usage or I/O error. */
  usage: 2,
  /** Requested backend cannot load. */
  backendUnavailable: 3,
} as const;

/** A user-facing failure: printed as `error: message` with no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}


/** A file-system failure as a one-line message (see runtime/files.ts), or undefined. */
export function describeFsError(error: unknown): string | undefined {
  return describeRuntimeFsError(error, 'write');
}
