/**
 * The parts other rooms are building, loaded when (and if) they exist, so the harness measures
 * what has landed and reports the rest as "not yet". Imports go through the package name
 * (`mtlc/runtime`), exactly as generated code does, so both share one runtime module
 * (`npm run bench` runs Node with `--conditions=source`, which resolves it to src/).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as tf from '@tensorflow/tfjs';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const repoPath = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

export type RuntimeModule = Record<string, unknown>;

/** A multi-task builder's result, as PRODUCT.md §5 specifies `build<Name>()`. */
export interface BuiltModel {
  model: tf.LayersModel;
  tasks: readonly string[];
  junctions?: readonly unknown[];
}
export type Builder = (options?: Record<string, unknown>) => BuiltModel;

let runtimePromise: Promise<RuntimeModule | undefined> | undefined;

/** The runtime module, or undefined when it cannot be imported yet. */
export function loadRuntime(): Promise<RuntimeModule | undefined> {
  runtimePromise ??= (async () => {
    const specifier = 'mtlc/runtime';
    try {
      return (await import(specifier)) as RuntimeModule;
    } catch {
      try {
        return (await import(pathToFileURL(repoPath('src/runtime/index.ts')).href)) as RuntimeModule;
      } catch {
        return undefined;
      }
    }
  })();
  return runtimePromise;
}

export interface CrossStitchCtor {
  new (args: { mode: 'channel' | 'scalar' | 'unit'; init?: unknown; trainable?: boolean; name?: string }): tf.layers.Layer;
}

/** The runtime's CrossStitch layer class, when it has landed. */
export async function runtimeCrossStitch(): Promise<CrossStitchCtor | undefined> {
  const runtime = await loadRuntime();
  const c = runtime?.CrossStitch;
  return typeof c === 'function' ? (c as CrossStitchCtor) : undefined;
}

/** The runtime's training loop, when it has landed. */
export async function runtimeTrainModel(): Promise<((...args: unknown[]) => Promise<unknown>) | undefined> {
  const runtime = await loadRuntime();
  const f = runtime?.trainModel;
  return typeof f === 'function' ? (f as (...args: unknown[]) => Promise<unknown>) : undefined;
}

export const GENERATED_MODEL = 'generated/multi-mnist/model.ts';

export interface GeneratedModule {
  build: Builder;
  /** The training plan literal, when the generated code exports one. */
  plan?: unknown;
  file: string;
}

/**
 * The committed generated MultiMNIST model (generated/multi-mnist/model.ts exporting
 * `buildMultiMnist`), or the reason it cannot be used yet.
 */
export async function loadGenerated(file = repoPath(GENERATED_MODEL)): Promise<GeneratedModule | { missing: string }> {
  if (!existsSync(file)) return { missing: `${GENERATED_MODEL} does not exist yet` };
  try {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const build = mod.buildMultiMnist;
    if (typeof build !== 'function') return { missing: `${GENERATED_MODEL} has no buildMultiMnist export` };
    const planName = Object.keys(mod).find((k) => /plan$/i.test(k));
    return { build: build as Builder, plan: planName ? mod[planName] : undefined, file };
  } catch (error) {
    return { missing: `${GENERATED_MODEL} failed to load: ${firstLine(error)}` };
  }
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}
