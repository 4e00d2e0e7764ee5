/** Writes a results file atomically (temp file in the same folder, then rename). */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoPath } from './optional.js';

export const RESULTS_DIR = repoPath('bench/results');

/** `2026-11-28T1542Z`: sorts by time, safe in file names. */
export function stamp(d = new Date()): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}

export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${process.pid}-${Date.now()}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

export function resultsPath(name: string, d = new Date(), dir = RESULTS_DIR): string {
  return join(dir, `${stamp(d)}-${name}.json`);
}
