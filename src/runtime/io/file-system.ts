/**
 * A `file://` IO handler for TensorFlow.js in Node that needs no tfjs-node: `model.json` plus
 * `weights.bin`, the layout tfjs-node and the tfjs converter use.
 *
 * Saving is crash-safe: at every instant `model.json` names a weights file holding exactly its
 * weights, so a process killed mid-save leaves the previous model loadable (or the new one).
 *   1. write `model.json` and `weights.bin` to temp names in the target directory, fsync both;
 *   2. if a previous model exists: hard-link its `weights.bin` to `weights.prev.bin` and
 *      atomically repoint the previous `model.json` at that link;
 *   3. rename the new weights over `weights.bin` (the previous model.json no longer uses it);
 *   4. rename the new `model.json` into place (the switch), fsync the directory;
 *   5. remove `weights.prev.bin`.
 * Leftovers of an interrupted save (temp files, `weights.prev.bin`) are cleaned by the next save.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
const WEIGHTS_PREV = 'weights.prev.bin';
const TMP_MARK = '.mtlc-tmp-';

/** Steps of a save, in order; a test hook may throw at any of them to simulate a crash. */
export type SaveStep = 'temp-written' | 'previous-repointed' | 'weights-renamed' | 'model-renamed';

export interface FileSystemHandlerOptions {
  /** Called before each step of a save (tests inject crashes here). */
  readonly beforeStep?: (step: SaveStep) => void | Promise<void>;
}

/** A user-facing IO error: which file, what is wrong. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    readonly code: 'model-json-missing' | 'model-json-invalid' | 'weights-missing' | 'weights-size-mismatch' | 'save-failed' | 'not-a-directory',
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

function stripScheme(url: string): string {
  return url.startsWith('file://') ? url.slice('file://'.length) : url;
}

/** `dir` or `dir/model.json` -> { dir, modelJson }. */
function resolvePaths(dirOrModelJsonPath: string): { dir: string; modelJson: string } {
  const p = path.resolve(stripScheme(dirOrModelJsonPath));
  if (p.endsWith('.json')) return { dir: path.dirname(p), modelJson: p };
  return { dir: p, modelJson: path.join(p, MODEL_JSON) };
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

function expectedBytes(specs: readonly tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const s of specs) {
    if (s.quantization || s.dtype === 'string') return null;
    const b = DTYPE_BYTES[s.dtype];
    if (b === undefined) return null;
    total += s.shape.reduce((a, d) => a * d, 1) * b;
  }
  return total;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  const h = await fs.open(file, 'wx');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const h = await fs.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // Some file systems do not allow fsync on a directory; the renames are still atomic.
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp files of interrupted saves: those whose writer process is gone. Temp files of a
 * live process (this one included: a concurrent save) are left alone.
 */
async function cleanLeftovers(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const stale = names.filter((n) => {
    const at = n.indexOf(TMP_MARK);
    if (at < 0) return false;
    const pid = Number.parseInt(n.slice(at + TMP_MARK.length), 10);
    return !processAlive(pid);
  });
  await Promise.all(stale.map((n) => fs.rm(path.join(dir, n), { force: true })));
}

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const buf = Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
  return new Uint8Array(buf);
}

class FileSystemHandler implements tf.io.IOHandler {
  private readonly dir: string;
  private readonly modelJson: string;

  constructor(
    dirOrModelJsonPath: string,
    private readonly options: FileSystemHandlerOptions = {},
  ) {
    const { dir, modelJson } = resolvePaths(dirOrModelJsonPath);
    this.dir = dir;
    this.modelJson = modelJson;
  }

  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new ModelFileError('save-failed', this.modelJson, 'saving binary model topologies is not supported by the file:// handler');
    }
    const { dir } = this;
    const step = async (s: SaveStep) => this.options.beforeStep?.(s);
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (e) {
      throw new ModelFileError('not-a-directory', dir, `cannot create directory ${dir}: ${(e as Error).message}`);
    }
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) throw new ModelFileError('not-a-directory', dir, `${dir} exists and is not a directory`);

    const weightsName = WEIGHTS_BIN;
    const modelName = path.basename(this.modelJson);
    const modelJSON: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: [weightsName], weights: artifacts.weightSpecs ?? [] }],
    };
    if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
    if (artifacts.userDefinedMetadata != null) modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
    if (artifacts.signature != null) modelJSON.signature = artifacts.signature;
    if (artifacts.modelInitializer != null) modelJSON.modelInitializer = artifacts.modelInitializer;

    const tag = `${TMP_MARK}${process.pid}-${randomBytes(6).toString('hex')}`;
    const tmpWeights = path.join(dir, `${weightsName}${tag}`);
    const tmpModel = path.join(dir, `${modelName}${tag}`);
    const finalWeights = path.join(dir, weightsName);
    const prevWeights = path.join(dir, WEIGHTS_PREV);
    const bytes = weightBytes(artifacts.weightData);
    await cleanLeftovers(dir);
    try {
      await writeSynced(tmpWeights, bytes);
      await writeSynced(tmpModel, JSON.stringify(modelJSON));
      await step('temp-written');
      await this.protectPrevious(prevWeights, finalWeights, tag);
      await step('previous-repointed');
      await fs.rename(tmpWeights, finalWeights);
      await step('weights-renamed');
      await fs.rename(tmpModel, this.modelJson);
      await syncDir(dir);
      await step('model-renamed');
      await fs.rm(prevWeights, { force: true });
    } catch (e) {
      await fs.rm(tmpWeights, { force: true }).catch(() => undefined);
      await fs.rm(tmpModel, { force: true }).catch(() => undefined);
      if (e instanceof ModelFileError) throw e;
      throw new ModelFileError('save-failed', this.modelJson, `saving the model to ${dir} failed: ${(e as Error).message}`);
    }
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: Buffer.byteLength(JSON.stringify(artifacts.modelTopology), 'utf8'),
        weightSpecsBytes: Buffer.byteLength(JSON.stringify(artifacts.weightSpecs ?? []), 'utf8'),
        weightDataBytes: bytes.byteLength,
      },
    };
  }

  /**
   * If a readable previous model.json uses weights.bin, make it use a hard link
   * `weights.prev.bin` instead (atomic rewrite), so replacing weights.bin cannot tear it.
   */
  private async protectPrevious(prevWeights: string, finalWeights: string, tag: string): Promise<void> {
    if (!(await exists(this.modelJson)) || !(await exists(finalWeights))) return;
    let old: tf.io.ModelJSON;
    try {
      old = JSON.parse(await fs.readFile(this.modelJson, 'utf8')) as tf.io.ModelJSON;
    } catch {
      return; // Unreadable: nothing worth protecting.
    }
    const manifest = old.weightsManifest;
    if (!Array.isArray(manifest) || !manifest.some((g) => g.paths.includes(WEIGHTS_BIN))) return;
    await fs.rm(prevWeights, { force: true });
    await fs.link(finalWeights, prevWeights);
    const repointed: tf.io.ModelJSON = {
      ...old,
      weightsManifest: manifest.map((g) => ({ ...g, paths: g.paths.map((p) => (p === WEIGHTS_BIN ? WEIGHTS_PREV : p)) })),
    };
    const tmp = path.join(this.dir, `${path.basename(this.modelJson)}${tag}.prev`);
    await writeSynced(tmp, JSON.stringify(repointed));
    await fs.rename(tmp, this.modelJson);
  }

  async load(): Promise<tf.io.ModelArtifacts> {
    const file = this.modelJson;
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
      throw new ModelFileError('model-json-missing', file, `cannot read model file ${file}: ${why}`);
    }
    let json: tf.io.ModelJSON;
    try {
      json = JSON.parse(text) as tf.io.ModelJSON;
    } catch (e) {
      throw new ModelFileError('model-json-invalid', file, `${file} is not valid JSON (${(e as Error).message}); the file is corrupt or not a TensorFlow.js model`);
    }
    if (json === null || typeof json !== 'object' || json.modelTopology == null) {
      throw new ModelFileError('model-json-invalid', file, `${file} has no "modelTopology": not a TensorFlow.js model.json`);
    }
    if (json.weightsManifest != null && !Array.isArray(json.weightsManifest)) {
      throw new ModelFileError('model-json-invalid', file, `${file}: "weightsManifest" must be an array`);
    }
    return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of manifest) {
        specs.push(...group.weights);
        for (const rel of group.paths) {
          const p = path.resolve(path.dirname(file), rel);
          let buf: Buffer;
          try {
            buf = await fs.readFile(p);
          } catch (e) {
            throw new ModelFileError('weights-missing', p, `cannot read weights file ${p} named by ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
          }
          buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
        }
      }
      const data = tf.io.CompositeArrayBuffer.join(buffers);
      const want = expectedBytes(specs);
      if (want !== null && want !== data.byteLength) {
        throw new ModelFileError(
          'weights-size-mismatch',
          file,
          `the weights of ${file} hold ${data.byteLength} bytes but its manifest describes ${want} bytes; the weights file is truncated or belongs to another model`,
        );
      }
      return [specs, data];
    });
  }
}

/** An IOHandler saving to / loading from `dir` (or `dir/model.json`); `file://` prefix allowed. */
export function fileSystemHandler(dirOrModelJsonPath: string, options?: FileSystemHandlerOptions): tf.io.IOHandler {
  if (typeof dirOrModelJsonPath !== 'string' || stripScheme(dirOrModelJsonPath).length === 0) {
    throw new ModelFileError('not-a-directory', String(dirOrModelJsonPath), 'fileSystemHandler needs a directory or a model.json path');
  }
  return new FileSystemHandler(dirOrModelJsonPath, options);
}

const ROUTER_FLAG = Symbol.for('mtlc.fileRouterRegistered');

/** True when tfjs-node (or -gpu) is loaded: it brings its own file:// handler, which we defer to. */
function nativeFileRouterPresent(): boolean {
  try {
    return tf.findBackendFactory('tensorflow') != null;
  } catch {
    return false;
  }
}

function fileRouter(url: string | string[]): tf.io.IOHandler | null {
  if (Array.isArray(url)) return null;
  if (typeof url !== 'string' || !url.startsWith('file://')) return null;
  if (nativeFileRouterPresent()) return null;
  return fileSystemHandler(url);
}

/**
 * Registers the `file://` save and load routers once per process (a second copy of the runtime
 * does not register again). When tfjs-node is loaded its own handler serves `file://` instead.
 */
export function registerFileSystemRouter(): boolean {
  const g = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (g[ROUTER_FLAG]) return false;
  g[ROUTER_FLAG] = true;
  // tfjs types routers as always returning a handler; at run time `null` means "not mine".
  const router = fileRouter as (url: string | string[]) => tf.io.IOHandler;
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
  return true;
}

registerFileSystemRouter();
