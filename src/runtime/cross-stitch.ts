/**
 * The cross-stitch unit (Misra et al., CVPR 2016) as a TensorFlow.js layer: N >= 2 inputs,
 * N outputs, x̃_i = Σ_j α_ij · x_j.
 *
 * Modes and the shape of the weight `alpha` (row i = output i, column j = input j):
 * - `channel`: α [N, N, C], C the last axis; applied at every position (paper form).
 * - `scalar`:  α [N, N], one mixing matrix for the whole activation.
 * - `unit`:    rank-2 inputs [B, d_i] of any widths; α [D, D] with D = Σ d_i, applied to the
 *              concatenation (x̃ = concat(x) · αᵀ) and split back at offsets d_0, d_0+d_1, ...
 *
 * Initialisation (`init`):
 * - `{self, other}`: self on the diagonal, other/(N−1) off it (default {0.9, 0.1} for channel and
 *   scalar). In unit mode the default is the identity, and `{self, other}` means blocks:
 *   self·I on the diagonal block (i, i), and other/(N−1) on positions (k, k), k < min(d_i, d_j),
 *   of the off-diagonal block (i, j) (a rectangular identity when widths differ).
 * - `{matrix}`: an explicit N×N matrix (replicated per channel in channel mode; expanded into
 *   blocks like `{self, other}` in unit mode), or in unit mode a full D×D matrix.
 *
 * Performance (see bench/NOTES.md): each mode is a handful of large kernels — one matMul per
 * junction in forward and two in backward — and never `gather` (whose gradient needs
 * UnsortedSegmentSum, absent on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import type { JunctionLayer, JunctionParameter, ReportedMix } from './junction.js';
import type { CrossStitchInit, CrossStitchMode } from './plan.js';

/**
 * The wasm backend's SIMD path for the cross-stitch kernels (wasm-kernels/simd-kernels.ts), loaded
 * in Node only. The SIMD module can only ever run in Node (compiled synchronously on first use) or
 * after `prepareWasmSimdKernels()`, which only the Node runtime's backend selection calls; so a
 * browser bundle (cpu, webgl) leaves it out: the specifier is a variable, which bundlers do not
 * follow. In Node the import starts with this module, and `selectBackend('wasm')` awaits
 * `loadCrossStitchSimd()` before the first kernel runs.
 */
type SimdPath = Pick<typeof import('./wasm-kernels/simd-kernels.js'), 'crossStitchForwardSimd' | 'crossStitchBackwardSimd'>;
const SIMD_MODULE = './wasm-kernels/simd-kernels.js';
const inNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
let simdPath: SimdPath | undefined;
let simdLoading: Promise<void> | undefined;

/** Loads the SIMD path of the cross-stitch kernels in Node (idempotent; never rejects: without it the kernels' loops run). */
export function loadCrossStitchSimd(): Promise<void> {
  simdLoading ??= inNode
    ? (import(/* @vite-ignore */ /* webpackIgnore: true */ SIMD_MODULE) as Promise<SimdPath>).then(
        (m) => void (simdPath = m),
        () => undefined,
      )
    : Promise.resolve();
  return simdLoading;
}

void loadCrossStitchSimd();

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Kwargs = Parameters<tf.layers.Layer['call']>[1];
type Shape = (number | null)[];

export interface CrossStitchArgs extends LayerArgs {
  readonly mode: CrossStitchMode;
  readonly init?: CrossStitchInit;
}

const MODES: readonly CrossStitchMode[] = ['channel', 'scalar', 'unit'];
export const DEFAULT_CROSS_STITCH_INIT = { self: 0.9, other: 0.1 } as const;

/** Marks our class so a second copy of this module recognises the registered one as its twin. */
const MTLC_CROSS_STITCH = Symbol.for('mtlc.CrossStitch');

function fmt(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d == null ? 'null' : String(d))).join(',')}]`;
}

function isShapeList(s: Shape | Shape[]): s is Shape[] {
  return Array.isArray(s) && s.length > 0 && Array.isArray(s[0]);
}

function validateInit(init: unknown, where: string): CrossStitchInit | undefined {
  if (init === undefined || init === null) return undefined;
  if (typeof init !== 'object') throw new Error(`${where}: init must be {self, other} or {matrix}, got ${JSON.stringify(init)}`);
  const o = init as Record<string, unknown>;
  if ('matrix' in o) {
    const m = o['matrix'];
    if (
      !Array.isArray(m) ||
      m.length === 0 ||
      !m.every((row) => Array.isArray(row) && row.length > 0 && row.every((v) => typeof v === 'number' && Number.isFinite(v)))
    ) {
      throw new Error(`${where}: init.matrix must be a non-empty array of rows of finite numbers`);
    }
    const rows = m as number[][];
    if (rows.some((r) => r.length !== rows.length)) {
      throw new Error(`${where}: init.matrix must be square, got rows of lengths ${rows.map((r) => r.length).join(', ')} for ${rows.length} rows`);
    }
    return { matrix: rows.map((r) => [...r]) };
  }
  const self = o['self'];
  const other = o['other'];
  if (typeof self !== 'number' || !Number.isFinite(self) || typeof other !== 'number' || !Number.isFinite(other)) {
    throw new Error(`${where}: init must be {self: number, other: number} or {matrix: number[][]}, got ${JSON.stringify(init)}`);
  }
  return { self, other };
}

/** N×N mixing matrix from an init (self on the diagonal, other/(N−1) off it). */
export function mixingMatrix(n: number, init: CrossStitchInit): number[][] {
  if ('matrix' in init) {
    if (init.matrix.length !== n) {
      throw new Error(`init.matrix is ${init.matrix.length}×${init.matrix.length} but the junction stitches ${n} towers (expected ${n}×${n})`);
    }
    return init.matrix.map((r) => [...r]);
  }
  const off = init.other / (n - 1);
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? init.self : off)));
}

/** D×D unit-mode matrix (D = Σ widths): block (i, j) is a[i][j] times a (rectangular) identity. */
export function unitMatrix(widths: readonly number[], init: CrossStitchInit | undefined): number[][] {
  const d = widths.reduce((s, w) => s + w, 0);
  if (init && 'matrix' in init && init.matrix.length === d && d !== widths.length) {
    return init.matrix.map((r) => [...r]);
  }
  if (init && 'matrix' in init && init.matrix.length !== widths.length) {
    throw new Error(
      `init.matrix is ${init.matrix.length}×${init.matrix.length}; unit mode with widths [${widths.join(',')}] needs ${widths.length}×${widths.length} (per-tower blocks) or ${d}×${d} (full)`,
    );
  }
  const a = init ? mixingMatrix(widths.length, init) : mixingMatrix(widths.length, { self: 1, other: 0 });
  const out = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const offsets = widths.map((_, i) => widths.slice(0, i).reduce((s, w) => s + w, 0));
  widths.forEach((di, i) => {
    widths.forEach((dj, j) => {
      const v = a[i]![j]!;
      for (let k = 0; k < Math.min(di, dj); k++) out[offsets[i]! + k]![offsets[j]! + k] = v;
    });
  });
  return out;
}

export class CrossStitch extends tf.layers.Layer implements JunctionLayer {
  static className = 'CrossStitch';
  readonly junctionKind = 'crossStitch';
  static readonly [MTLC_CROSS_STITCH] = true;

  readonly mode: CrossStitchMode;
  readonly init: CrossStitchInit | undefined;
  /** Input shapes seen at build time (batch axis included, possibly null). */
  private builtShapes: Shape[] = [];
  private alpha: tf.LayerVariable | null = null;

  constructor(args: CrossStitchArgs) {
    super(args);
    const where = `CrossStitch${args?.name ? ` '${args.name}'` : ''}`;
    if (!args || !MODES.includes(args.mode)) {
      throw new Error(`${where}: mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(args?.mode)}`);
    }
    this.mode = args.mode;
    this.init = validateInit(args.init, where);
    this.supportsMasking = false;
  }

  private where(): string {
    return `CrossStitch '${this.name}' (${this.mode} mode)`;
  }

  /**
   * Tensors made by another copy of tfjs (a second @tensorflow/tfjs in the user's tree, e.g. a
   * folder install that brings its own node_modules) would crash deep in a kernel at predict
   * time; refuse them here, when the model is built, saying why and what to do.
   */
  override apply(inputs: Parameters<tf.layers.Layer['apply']>[0], kwargs?: Kwargs): ReturnType<tf.layers.Layer['apply']> {
    for (const x of Array.isArray(inputs) ? inputs : [inputs]) {
      if (!(x instanceof tf.SymbolicTensor) && !(x instanceof tf.Tensor)) {
        throw new Error(
          `${this.where()}: its inputs come from another copy of @tensorflow/tfjs than the one mtlc's runtime uses; ` +
            'a project must have one (`npm ls @tensorflow/tfjs-core` lists them). mtlc takes your @tensorflow/tfjs as a peer: ' +
            'install mtlc from the registry or a packed tarball, or a folder with `npm i --install-links`, not as a link to a clone with its own node_modules',
        );
      }
    }
    return super.apply(inputs, kwargs);
  }

  private checkShapes(shapes: Shape[]): void {
    const w = this.where();
    if (shapes.length < 2) throw new Error(`${w}: needs at least 2 inputs, got ${shapes.length}`);
    const first = shapes[0]!;
    if (this.mode === 'unit') {
      shapes.forEach((s, i) => {
        if (s.length !== 2) throw new Error(`${w}: every input must be rank 2 [batch, width]; input ${i} has shape ${fmt(s)} (input 0: ${fmt(first)})`);
        if (s[1] == null || s[1] < 1) throw new Error(`${w}: input ${i} has shape ${fmt(s)} with an unknown or empty width`);
      });
      return;
    }
    if (first.length < 2) throw new Error(`${w}: inputs must have a batch axis and at least one more; input 0 has shape ${fmt(first)}`);
    shapes.forEach((s, i) => {
      const same = s.length === first.length && s.every((d, k) => k === 0 || d === first[k]);
      if (!same) throw new Error(`${w}: input ${i} has shape ${fmt(s)} but input 0 has shape ${fmt(first)}; ${this.mode} mode needs equal shapes`);
    });
    const c = first[first.length - 1];
    if (c == null || c < 1) throw new Error(`${w}: the channel (last) axis must be known and non-empty, got shape ${fmt(first)}`);
  }

  override build(inputShape: Shape | Shape[]): void {
    if (!isShapeList(inputShape)) {
      throw new Error(`${this.where()}: needs a list of at least 2 inputs, got one input of shape ${fmt(inputShape)}`);
    }
    this.checkShapes(inputShape);
    this.builtShapes = inputShape.map((s) => [...s]);
    const n = inputShape.length;
    let shape: number[];
    let values: number[];
    const w = this.where();
    try {
      if (this.mode === 'unit') {
        const widths = inputShape.map((s) => s[1] as number);
        const m = unitMatrix(widths, this.init);
        const d = m.length;
        shape = [d, d];
        values = m.flat();
      } else {
        const a = mixingMatrix(n, this.init ?? DEFAULT_CROSS_STITCH_INIT);
        if (this.mode === 'scalar') {
          shape = [n, n];
          values = a.flat();
        } else {
          const c = inputShape[0]![inputShape[0]!.length - 1] as number;
          shape = [n, n, c];
          values = a.flatMap((row) => row.flatMap((v) => new Array<number>(c).fill(v)));
        }
      }
    } catch (e) {
      throw new Error(`${w}: ${(e as Error).message}`);
    }
    if (this.alpha == null) {
      this.alpha = this.addWeight('alpha', shape, 'float32', tf.initializers.zeros());
      const initial = tf.tensor(values, shape, 'float32');
      this.alpha.write(initial);
      initial.dispose();
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    if (!isShapeList(inputShape)) {
      throw new Error(`${this.where()}: needs a list of at least 2 inputs, got one input of shape ${fmt(inputShape)}`);
    }
    this.checkShapes(inputShape);
    return inputShape.map((s) => [...s]);
  }

  /**
   * tfjs-layers' graph executor calls a layer once per output it needs and keeps the first
   * call's tensors, so an N-output layer would compute its forward N times (bench/NOTES.md). A
   * repeated call returns the previous outputs when they are the same function of the same
   * values: the same input buffers and α buffer (tensors are immutable; assigning α gives it a
   * new buffer), recorded on the same gradient tape (or on none), outputs not disposed.
   */
  private lastCall: { inputs: object[]; alpha: object; tape: object | null; outputs: tf.Tensor[] } | null = null;

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor[] {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    const alpha = this.alpha!.read();
    const engine = tf.engine();
    const tape = engine.isTapeOn() ? engine.state.activeTape : null;
    const last = this.lastCall;
    if (
      last !== null &&
      last.alpha === alpha.dataId &&
      last.tape === tape &&
      last.inputs.length === xs.length &&
      xs.every((x, i) => x.dataId === last.inputs[i]) &&
      last.outputs.every((y) => !y.isDisposed)
    ) {
      return [...last.outputs];
    }
    const outputs = tf.tidy(() => {
      this.checkShapes(xs.map((x) => x.shape));
      this.checkAgainstBuilt(xs.map((x) => x.shape));
      return crossStitchMix(this.mode, xs, alpha);
    });
    this.lastCall = { inputs: xs.map((x) => x.dataId), alpha: alpha.dataId, tape, outputs };
    return [...outputs];
  }

  private checkAgainstBuilt(shapes: Shape[]): void {
    const built = this.builtShapes;
    if (built.length === 0) return;
    if (shapes.length !== built.length) {
      throw new Error(`${this.where()}: was built for ${built.length} inputs, got ${shapes.length}`);
    }
    shapes.forEach((s, i) => {
      const b = built[i]!;
      const ok = s.length === b.length && s.every((d, k) => k === 0 || b[k] == null || d === b[k]);
      if (!ok) throw new Error(`${this.where()}: input ${i} has shape ${fmt(s)} but the layer was built for ${fmt(b)}`);
    });
  }

  /** The current α as nested arrays (for logs and reports). */
  alphaValue(): number[] | number[][] | number[][][] {
    if (this.alpha == null) throw new Error(`${this.where()}: not built yet`);
    return this.alpha.read().arraySync() as number[][];
  }

  junctionParameters(): readonly JunctionParameter[] {
    return this.trainable && this.alpha ? [{ variable: this.alpha }] : [];
  }

  /** α becomes the identity ([N,N], per channel, or [D,D]) and stops learning. */
  isolate(): void {
    if (!this.alpha) throw new Error(`${this.where()}: not built yet`);
    const shape = this.alpha.shape;
    const id = tf.tidy(() => {
      const eye = tf.eye(shape[0]!);
      return shape.length === 2 ? eye : tf.tile(tf.reshape(eye, [shape[0]!, shape[0]!, 1]), [1, 1, shape[2]!]);
    });
    this.alpha.write(id);
    id.dispose();
    this.trainable = false;
  }

  reportedMix(): ReportedMix {
    return { mode: this.mode, values: this.alphaValue() as number[][] };
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { mode: this.mode };
    if (this.init) {
      config['init'] = 'matrix' in this.init ? { matrix: this.init.matrix.map((r) => [...r]) } : { self: this.init.self, other: this.init.other };
    }
    return { ...super.getConfig(), ...config };
  }
}

/**
 * The mixing itself, on plain tensors (inside the caller's tidy). `alpha` as in the layer.
 *
 * - channel and scalar: on the cpu and wasm backends, one fused kernel forward
 *   (`MtlcCrossStitch`, N outputs) and one backward (`MtlcCrossStitchGrad`: all dx and dα in a
 *   single pass). They are plain loops over the tensors' memory, registered below. Elsewhere
 *   (tfjs-node, webgl) the same sum is composed of N² broadcast multiplies and adds, which those
 *   backends run natively. See bench/NOTES.md for the measurements behind this choice.
 * - unit: concat to [B, D], times αᵀ (one plain matMul; see `unitMatMul`), split at the widths.
 */
export function crossStitchMix(mode: CrossStitchMode, xs: readonly tf.Tensor[], alpha: tf.Tensor, allowFused = true): tf.Tensor[] {
  const n = xs.length;
  if (mode === 'unit') {
    const widths = xs.map((x) => x.shape[1]!);
    const cat = tf.concat(xs as tf.Tensor2D[], 1);
    return tf.split(unitMatMul(cat, alpha as tf.Tensor2D), widths, 1);
  }
  const s0 = xs[0]!.shape;
  const want = mode === 'scalar' ? [n, n] : [n, n, s0[s0.length - 1]!];
  xs.forEach((x, i) => {
    if (x.shape.length !== s0.length || x.shape.some((d, k) => d !== s0[k])) {
      throw new Error(`crossStitchMix (${mode}): input ${i} has shape ${fmt(x.shape)} but input 0 has shape ${fmt(s0)}`);
    }
  });
  if (alpha.shape.length !== want.length || alpha.shape.some((d, k) => d !== want[k])) {
    throw new Error(`crossStitchMix (${mode}): alpha has shape ${fmt(alpha.shape)}, expected ${fmt(want)}`);
  }
  const fused = allowFused && tf.getKernel(CROSS_STITCH_KERNEL, tf.getBackend()) != null && xs.every((x) => x.dtype === 'float32') && alpha.dtype === 'float32';
  if (fused) {
    return tf.engine().runKernel(CROSS_STITCH_KERNEL, [...xs, alpha] as unknown as tf.NamedTensorMap, { mode }) as unknown as tf.Tensor[];
  }
  const shape0 = xs[0]!.shape;
  const c = shape0[shape0.length - 1]!;
  // α[i][j]: a scalar (scalar mode) or a [C] vector broadcast over the last axis (channel mode).
  const a = tf.unstack(mode === 'scalar' ? tf.reshape(alpha, [n, n]) : tf.reshape(alpha, [n, n, c]), 0).map((row) => tf.unstack(row, 0));
  return Array.from({ length: n }, (_, i) => tf.addN(xs.map((x, j) => tf.mul(x, a[i]![j]!))));
}

/**
 * y = cat · αᵀ with explicit transposes and plain matMuls in forward and backward: on wasm a
 * matMul with transposeA/transposeB set costs ~5× an explicit transpose plus a plain matMul at
 * these sizes (bench/NOTES.md). Backward: d cat = dy · α, dα = dyᵀ · cat.
 */
const unitMatMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [cat, alpha, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([cat, alpha]);
  return {
    value: tf.matMul(cat, tf.transpose(alpha)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [c, a] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, a), tf.matMul(tf.transpose(dy as tf.Tensor2D), c)];
    },
  };
}) as unknown as (cat: tf.Tensor2D, alpha: tf.Tensor2D) => tf.Tensor2D;

// ---------------------------------------------------------------------------------------------
// Fused kernels for cpu and wasm.

export const CROSS_STITCH_KERNEL = 'MtlcCrossStitch';
export const CROSS_STITCH_GRAD_KERNEL = 'MtlcCrossStitchGrad';

interface TensorInfoLike {
  readonly dataId: object;
  readonly shape: number[];
  readonly dtype: tf.DataType;
}
interface KernelBackend {
  typedArrayFromHeap?: (t: TensorInfoLike) => Float32Array;
  makeOutput?: (shape: number[], dtype: tf.DataType) => TensorInfoLike;
  makeTensorInfo?: (shape: number[], dtype: tf.DataType, values: Float32Array) => TensorInfoLike;
  readSync: (dataId: object) => unknown;
}

function readF32(backend: KernelBackend, t: TensorInfoLike): Float32Array {
  if (backend.typedArrayFromHeap) return backend.typedArrayFromHeap(t);
  return backend.readSync(t.dataId) as Float32Array;
}

/**
 * Allocates outputs, then returns views of inputs and outputs. On wasm the outputs live in its
 * heap and are written in place; views are taken only after every allocation, since one may
 * grow (and detach) the heap. On cpu the outputs are fresh arrays adopted by `finish()`.
 */
function prepare(
  backend: KernelBackend,
  inputs: readonly TensorInfoLike[],
  outShapes: readonly number[][],
): { ins: Float32Array[]; outs: Float32Array[]; finish: () => TensorInfoLike[] } {
  if (backend.makeOutput && backend.typedArrayFromHeap) {
    const infos = outShapes.map((shape) => backend.makeOutput!(shape, 'float32'));
    const ins = inputs.map((t) => backend.typedArrayFromHeap!(t));
    const outs = infos.map((t) => backend.typedArrayFromHeap!(t));
    return { ins, outs, finish: () => infos };
  }
  const ins = inputs.map((t) => readF32(backend, t));
  const outs = outShapes.map((shape) => new Float32Array(shape.reduce((p, d) => p * d, 1)));
  return { ins, outs, finish: () => outs.map((o, k) => backend.makeTensorInfo!(outShapes[k]!, 'float32', o)) };
}

/** α as A[(i*N + j)*C + k] for every channel k (scalar mode: replicated over k). */
function expandAlpha(a: Float32Array, n: number, c: number, perChannel: boolean): Float64Array {
  const out = new Float64Array(n * n * c);
  for (let ij = 0; ij < n * n; ij++) for (let k = 0; k < c; k++) out[ij * c + k] = perChannel ? a[ij * c + k]! : a[ij]!;
  return out;
}

/** inputs: x_0..x_{N-1}, alpha -> outputs: y_0..y_{N-1}, y_i = Σ_j α_ij ⊙ x_j. */
function crossStitchForward(args: { inputs: unknown; backend: unknown; attrs?: unknown }): TensorInfoLike[] {
  const backend = args.backend as KernelBackend;
  const inputs = args.inputs as TensorInfoLike[];
  const perChannel = (args.attrs as { mode: string }).mode === 'channel';
  const n = inputs.length - 1;
  // On wasm, the SIMD kernels (wasm-kernels/simd) when they are loaded; the loops below otherwise.
  const simd = simdPath?.crossStitchForwardSimd(args.backend as tf.KernelBackend, inputs.slice(0, n) as tf.TensorInfo[], inputs[n] as tf.TensorInfo, perChannel);
  if (simd) return simd;
  const shape = inputs[0]!.shape;
  const c = shape[shape.length - 1]!;
  const size = shape.reduce((p, d) => p * d, 1);
  const { ins, outs, finish } = prepare(backend, inputs, Array.from({ length: n }, () => [...shape]));
  const A = expandAlpha(ins[n]!, n, c, perChannel);
  if (n === 2) {
    const [x0, x1] = ins as [Float32Array, Float32Array];
    const [y0, y1] = outs as [Float32Array, Float32Array];
    for (let e0 = 0; e0 < size; e0 += c) {
      for (let k = 0; k < c; k++) {
        const e = e0 + k;
        const u = x0[e]!;
        const v = x1[e]!;
        y0[e] = A[k]! * u + A[c + k]! * v;
        y1[e] = A[2 * c + k]! * u + A[3 * c + k]! * v;
      }
    }
    return finish();
  }
  for (let i = 0; i < n; i++) {
    const y = outs[i]!;
    for (let j = 0; j < n; j++) {
      const x = ins[j]!;
      const off = (i * n + j) * c;
      if (j === 0) {
        for (let e0 = 0; e0 < size; e0 += c) for (let k = 0; k < c; k++) y[e0 + k] = A[off + k]! * x[e0 + k]!;
      } else {
        for (let e0 = 0; e0 < size; e0 += c) for (let k = 0; k < c; k++) y[e0 + k]! += A[off + k]! * x[e0 + k]!;
      }
    }
  }
  return finish();
}

/**
 * inputs: dy_0..dy_{N-1}, x_0..x_{N-1}, alpha -> outputs: dx_0..dx_{N-1}, dalpha, with
 * dx_j = Σ_i α_ij ⊙ dy_i and dα_ij = Σ_positions dy_i ⊙ x_j (summed in float64).
 */
function crossStitchBackward(args: { inputs: unknown; backend: unknown; attrs?: unknown }): TensorInfoLike[] {
  const backend = args.backend as KernelBackend;
  const inputs = args.inputs as TensorInfoLike[];
  const perChannel = (args.attrs as { mode: string }).mode === 'channel';
  const n = (inputs.length - 1) / 2;
  const ti = inputs as tf.TensorInfo[];
  const simd = simdPath?.crossStitchBackwardSimd(args.backend as tf.KernelBackend, ti.slice(0, n), ti.slice(n, 2 * n), ti[2 * n]!, perChannel);
  if (simd) return simd;
  const shape = inputs[0]!.shape;
  const alphaShape = inputs[2 * n]!.shape;
  const c = shape[shape.length - 1]!;
  const size = shape.reduce((p, d) => p * d, 1);
  const outShapes = [...Array.from({ length: n }, () => [...shape]), [...alphaShape]];
  const { ins, outs, finish } = prepare(backend, inputs, outShapes);
  const A = expandAlpha(ins[2 * n]!, n, c, perChannel);
  const S = new Float64Array(n * n * c); // S[(i*N+j)*C + k] = Σ dy_i x_j over positions
  if (n === 2) {
    const [g0a, g1a, x0, x1] = ins as [Float32Array, Float32Array, Float32Array, Float32Array];
    const [d0, d1] = outs as [Float32Array, Float32Array];
    for (let e0 = 0; e0 < size; e0 += c) {
      for (let k = 0; k < c; k++) {
        const e = e0 + k;
        const g0 = g0a[e]!;
        const g1 = g1a[e]!;
        const u = x0[e]!;
        const v = x1[e]!;
        d0[e] = A[k]! * g0 + A[2 * c + k]! * g1;
        d1[e] = A[c + k]! * g0 + A[3 * c + k]! * g1;
        S[k]! += g0 * u;
        S[c + k]! += g0 * v;
        S[2 * c + k]! += g1 * u;
        S[3 * c + k]! += g1 * v;
      }
    }
  } else {
    for (let j = 0; j < n; j++) {
      const dx = outs[j]!;
      for (let i = 0; i < n; i++) {
        const dy = ins[i]!;
        const off = (i * n + j) * c;
        if (i === 0) {
          for (let e0 = 0; e0 < size; e0 += c) for (let k = 0; k < c; k++) dx[e0 + k] = A[off + k]! * dy[e0 + k]!;
        } else {
          for (let e0 = 0; e0 < size; e0 += c) for (let k = 0; k < c; k++) dx[e0 + k]! += A[off + k]! * dy[e0 + k]!;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const dy = ins[i]!;
      for (let j = 0; j < n; j++) {
        const x = ins[n + j]!;
        const off = (i * n + j) * c;
        for (let e0 = 0; e0 < size; e0 += c) for (let k = 0; k < c; k++) S[off + k]! += dy[e0 + k]! * x[e0 + k]!;
      }
    }
  }
  const da = outs[n]!;
  for (let ij = 0; ij < n * n; ij++) {
    if (perChannel) {
      for (let k = 0; k < c; k++) da[ij * c + k] = S[ij * c + k]!;
    } else {
      let total = 0;
      for (let k = 0; k < c; k++) total += S[ij * c + k]!;
      da[ij] = total;
    }
  }
  return finish();
}

/** Registers the fused kernels (cpu, wasm) and the gradient, once per process. */
export function registerCrossStitchKernels(): void {
  for (const backendName of ['cpu', 'wasm']) {
    if (tf.getKernel(CROSS_STITCH_KERNEL, backendName) == null) {
      tf.registerKernel({ kernelName: CROSS_STITCH_KERNEL, backendName, kernelFunc: crossStitchForward as unknown as tf.KernelFunc });
    }
    if (tf.getKernel(CROSS_STITCH_GRAD_KERNEL, backendName) == null) {
      tf.registerKernel({ kernelName: CROSS_STITCH_GRAD_KERNEL, backendName, kernelFunc: crossStitchBackward as unknown as tf.KernelFunc });
    }
  }
  if (tf.getGradient(CROSS_STITCH_KERNEL) == null) {
    tf.registerGradient({
      kernelName: CROSS_STITCH_KERNEL,
      saveAllInputs: true,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
        const dys = Array.isArray(dy) ? dy : [dy];
        // One backward kernel computes every input's gradient; computed here, outside the
        // per-input tidy of the tape, so all of them stay alive until the tape is done.
        const grads = tf.engine().runKernel(CROSS_STITCH_GRAD_KERNEL, [...dys, ...saved] as unknown as tf.NamedTensorMap, attrs) as unknown as tf.Tensor[];
        const out: Record<string, () => tf.Tensor> = {};
        grads.forEach((g, k) => (out[String(k)] = () => g));
        return out;
      },
    });
  }
}

registerCrossStitchKernels();

/**
 * Registers `CrossStitch` for (de)serialization. Idempotent: when a CrossStitch from this module
 * (or a second copy of it, e.g. after a re-import) is already registered, it is kept and `false`
 * is returned.
 */
export function registerCrossStitch(): boolean {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [unknown, unknown] | undefined>;
  const existing = map[CrossStitch.className]?.[0] as Record<symbol, unknown> | undefined;
  if (existing && existing[MTLC_CROSS_STITCH] === true) return false;
  tf.serialization.registerClass(CrossStitch);
  return true;
}

registerCrossStitch();

/** Convenience factory in the style of `tf.layers.*`. */
export function crossStitch(args: CrossStitchArgs): CrossStitch {
  return new CrossStitch(args);
}
