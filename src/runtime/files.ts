/**
 * The one way mtlc writes a file (Node only): a temporary file in the same folder, flushed to
 * disk, then renamed over the target, so a reader never sees half a file and a crash leaves the
 * old one. The compiler (generated code, specs, the train cache), the training loop (run
 * folders, checkpoints), bench and scripts all write through here. An error names the file
 * (a FileHandle's ENOSPC carries no path).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** A fresh temporary name beside `file` (same folder, so the rename is atomic). */
export const tempPath = (file: string): string => path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);

/** Writes and fsyncs `file` in place (for files in a folder that is itself swapped in). */
export async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  try {
    const handle = await fs.open(file, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw withPath(e, file);
  }
}

/** Writes `data` to `file` atomically; the temporary file is removed when anything fails. The folder must exist. */
export async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPath(file);
  try {
    await writeSynced(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw withPath(e, file);
  }
}

/** Appends one line and flushes it (a log that survives a crash line by line). */
export async function appendLine(file: string, line: string): Promise<void> {
  try {
    const handle = await fs.open(file, 'a');
    try {
      await handle.writeFile(`${line}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw withPath(e, file);
  }
}

/** The error with `path` set when the system call left it out. */
export function withPath(e: unknown, file: string): unknown {
  if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && !(e as NodeJS.ErrnoException).path) {
    (e as NodeJS.ErrnoException).path = file;
  }
  return e;
}

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'a file is in the way',
  ENOTDIR: 'a path component is a file, not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
};

/**
 * A file-system failure (a path the user gave that cannot be written or read) as a one-line
 * message, or undefined for anything else. Such failures are the user's to fix: exit 2, no stack.
 */
export function describeFsError(error: unknown, syscall = 'access'): string | undefined {
  const e = error as (NodeJS.ErrnoException & { dest?: string }) | null;
  if (!(error instanceof Error) || typeof e?.code !== 'string' || !(e.code in FS_REASONS)) return undefined;
  const where = e.path ? ` ${e.path}${e.dest ? ` -> ${e.dest}` : ''}` : '';
  return `cannot ${e.syscall ?? syscall}${where}: ${FS_REASONS[e.code]} (${e.code})`;
}
