/**
 * `writeCompiled`: the file-system shell around the pure emitter. Same files -> no writes
 * (content compared first); writes are atomic (temp file in the same folder + rename); a file
 * without the generated header is never overwritten (a conflict); files in a compiled model's
 * folder that carry our header but are no longer produced are removed (stale). In check mode
 * nothing is written: the result lists what would change.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GENERATED_MARKER, type GeneratedFile } from '../codegen/emit.js';

export interface WriteOptions {
  /** Write nothing; report what would change. */
  readonly check?: boolean;
}

export interface WriteResult {
  /** Paths relative to outDir (posix). */
  written: string[];
  unchanged: string[];
  /** Missing or different (check mode: would be written). */
  stale: string[];
  /** Generated files no longer produced (removed, or in check mode: would be removed). */
  removed: string[];
  /** Files that exist without the generated header: never overwritten. */
  conflicts: string[];
}

async function readOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

let counter = 0;
const tempName = (file: string): string => path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);

export async function writeAtomic(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    await fs.writeFile(tmp, content);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

export const isGenerated = (content: string): boolean => content.startsWith(GENERATED_MARKER);

/**
 * Writes `files` (paths relative to `outDir`). Conflicts are checked for every file before
 * anything is written, so a conflict leaves the output as it was.
 */
export async function writeCompiled(files: readonly GeneratedFile[], outDir: string, options: WriteOptions = {}): Promise<WriteResult> {
  const result: WriteResult = { written: [], unchanged: [], stale: [], removed: [], conflicts: [] };
  const plan: { file: GeneratedFile; abs: string }[] = [];
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const abs = path.join(outDir, ...file.path.split('/'));
    const existing = await readOrUndefined(abs);
    if (existing === file.content) result.unchanged.push(file.path);
    else if (existing !== undefined && !isGenerated(existing)) result.conflicts.push(file.path);
    else {
      result.stale.push(file.path);
      plan.push({ file, abs });
    }
  }
  // Stale generated files in the folders of the compiled models.
  const produced = new Set(files.map((f) => f.path));
  const folders = [...new Set(files.map((f) => f.path.split('/').slice(0, -1).join('/')))].sort();
  const toRemove: string[] = [];
  for (const folder of folders) {
    let entries: string[];
    try {
      entries = (await fs.readdir(path.join(outDir, ...folder.split('/')), { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
    } catch {
      continue;
    }
    for (const name of entries.sort()) {
      const rel = folder ? `${folder}/${name}` : name;
      if (produced.has(rel) || !name.endsWith('.ts')) continue;
      const content = await readOrUndefined(path.join(outDir, ...rel.split('/')));
      if (content !== undefined && isGenerated(content)) toRemove.push(rel);
    }
  }
  result.removed = toRemove;
  if (options.check || result.conflicts.length > 0) return result;
  // All of a model's files or none: every new content is staged in a temp file beside its target
  // first (a full disk fails here, leaving the old files as they were), then renamed into place.
  const staged: { tmp: string; abs: string; path: string }[] = [];
  try {
    for (const { file, abs } of plan) {
      await fs.mkdir(path.dirname(abs), { recursive: true });
      const tmp = tempName(abs);
      staged.push({ tmp, abs, path: file.path });
      await fs.writeFile(tmp, file.content);
    }
  } catch (e) {
    await Promise.all(staged.map((s) => fs.rm(s.tmp, { force: true })));
    throw new WriteError(`${(e as Error).message.replace(/^[A-Z]+: /, '')}; nothing written`, e);
  }
  for (const s of staged) {
    await fs.rename(s.tmp, s.abs);
    result.written.push(s.path);
  }
  for (const rel of toRemove) await fs.rm(path.join(outDir, ...rel.split('/')), { force: true });
  return result;
}

/** A failed write of generated files; none of the model's files was changed. */
export class WriteError extends Error {
  override readonly name = 'WriteError';
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

/** The spec path a generated file's header names, or undefined for a file we did not generate. */
export function headerSpec(content: string): string | undefined {
  if (!isGenerated(content)) return undefined;
  const line = content.slice(GENERATED_MARKER.length, content.indexOf('\n'));
  const m = /^(.*), sha256 [0-9a-f]+\.$/.exec(line);
  if (!m) return undefined;
  const raw = m[1]!;
  if (!raw.startsWith("'")) return raw;
  return unquote(raw);
}

/** Reads back a literal made by `stringLiteral` (never evaluates text from a file). */
function unquote(raw: string): string | undefined {
  const m = /^'((?:[^'\\]|\\(?:[\\'nrt]|u[0-9a-f]{4}))*)'$/.exec(raw);
  if (!m) return undefined;
  return m[1]!.replace(/\\(?:([\\'])|([nrt])|u([0-9a-f]{4}))/g, (_all, same: string | undefined, letter: string | undefined, hex: string | undefined) =>
    same ?? (letter !== undefined ? ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[letter]! : String.fromCharCode(parseInt(hex!, 16))),
  );
}

/**
 * Generated files in other folders of `outDir` whose header names one of `specPaths` (e.g. after
 * the model was renamed): stale output of those specs. Paths relative to outDir (posix).
 */
export async function findOrphans(outDir: string, specPaths: ReadonlySet<string>, producedFolders: ReadonlySet<string>): Promise<string[]> {
  const orphans: string[] = [];
  let folders: string[];
  try {
    folders = (await fs.readdir(outDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
  for (const folder of folders) {
    if (producedFolders.has(folder)) continue;
    let names: string[];
    try {
      names = (await fs.readdir(path.join(outDir, folder), { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => e.name).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const content = await readOrUndefined(path.join(outDir, folder, name));
      const spec = content === undefined ? undefined : headerSpec(content);
      if (spec !== undefined && specPaths.has(spec)) orphans.push(`${folder}/${name}`);
    }
  }
  return orphans;
}
