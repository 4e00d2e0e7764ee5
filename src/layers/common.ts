/**
 * Helpers the built-in layer kinds share: schema fragments, reading a config with the defaults
 * its schema declares, tfjs' convolution arithmetic, and shape issues. No tfjs import here: the
 * arithmetic is a copy of tfjs-layers 4.22 (`utils/conv_utils.ts`), checked against tfjs in
 * test/layers/*.test.ts.
 */
import { ACTIVATIONS } from './activations.js';
import type { JsonSchema, LayerConfig, LayerIssue, Shape, ShapeResult } from './kind.js';

export type Properties = { readonly [property: string]: JsonSchema };
export type Pair = readonly [number, number];

// ---------------------------------------------------------------------------------------------
// Schema fragments

export function integerProperty(description: string, options: { minimum?: number; default?: number } = {}): JsonSchema {
  return {
    type: 'integer',
    minimum: options.minimum ?? 1,
    ...(options.default !== undefined ? { default: options.default } : {}),
    description,
  };
}

/** A positive integer or an [height, width] pair, as tfjs accepts for sizes and strides. */
export function pairProperty(description: string, defaultValue?: number): JsonSchema {
  return {
    anyOf: [
      { type: 'integer', minimum: 1 },
      { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 2, maxItems: 2 },
    ],
    ...(defaultValue !== undefined ? { default: defaultValue } : {}),
    description: `${description} One integer for both axes, or [height, width].`,
  };
}

export const paddingProperty: JsonSchema = {
  type: 'string',
  enum: ['valid', 'same'],
  default: 'valid',
  description:
    'valid: no padding, the output shrinks by the (dilated) window minus 1; same: zero padding so that the output size is ceil(input / strides).',
};

export function activationProperty(description = 'Activation applied to the output.'): JsonSchema {
  return { type: 'string', enum: [...ACTIVATIONS], default: 'linear', description };
}

export const useBiasProperty: JsonSchema = {
  type: 'boolean',
  default: true,
  description: 'Whether the layer adds a learned bias vector.',
};

// ---------------------------------------------------------------------------------------------
// Reading a config (schema-valid in practice; a wrong value becomes an issue, never a throw)

class IssueError extends Error {
  constructor(readonly issue: LayerIssue) {
    super(issue.message);
  }
}

/** Raises a shape issue from inside a shape rule wrapped in `shapeRule`. */
export function fail(issue: LayerIssue): never {
  throw new IssueError(issue);
}

/** Runs a shape rule, turning a raised issue into `{ error }`. */
export function shapeRule(rule: () => Shape): ShapeResult {
  try {
    return { shape: rule() };
  } catch (error) {
    if (error instanceof IssueError) return { error: error.issue };
    throw error;
  }
}

function raw(config: LayerConfig, properties: Properties, key: string): unknown {
  const value = Object.prototype.hasOwnProperty.call(config, key) ? config[key] : undefined;
  return value === undefined || value === null ? properties[key]?.['default'] : value;
}

const describe = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

export function readInteger(config: LayerConfig, properties: Properties, key: string, minimum = 1): number {
  const value = raw(config, properties, key);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    fail({ code: 'invalid-property', property: key, message: `${key} must be an integer ≥ ${minimum}, got ${describe(value)}` });
  }
  return value;
}

export function readNumber(
  config: LayerConfig,
  properties: Properties,
  key: string,
  range: { min?: number; max?: number; maxExclusive?: boolean; minExclusive?: boolean } = {},
): number {
  const value = raw(config, properties, key);
  const { min, max } = range;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (min === undefined || (range.minExclusive ? value > min : value >= min)) &&
    (max === undefined || (range.maxExclusive ? value < max : value <= max));
  if (!ok) {
    const lo = min === undefined ? '' : `${range.minExclusive ? '(' : '['}${min}`;
    const hi = max === undefined ? '' : `${max}${range.maxExclusive ? ')' : ']'}`;
    const where = min !== undefined && max !== undefined ? ` in ${lo}, ${hi}` : min !== undefined ? ` ${range.minExclusive ? '>' : '≥'} ${min}` : '';
    fail({ code: 'invalid-property', property: key, message: `${key} must be a number${where}, got ${describe(value)}` });
  }
  return value as number;
}

export function readBoolean(config: LayerConfig, properties: Properties, key: string): boolean {
  const value = raw(config, properties, key);
  if (typeof value !== 'boolean') {
    fail({ code: 'invalid-property', property: key, message: `${key} must be true or false, got ${describe(value)}` });
  }
  return value;
}

export function readEnum<T extends string>(config: LayerConfig, properties: Properties, key: string, allowed: readonly T[]): T {
  const value = raw(config, properties, key);
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail({ code: 'invalid-property', property: key, message: `${key} must be one of ${allowed.join(', ')}, got ${describe(value)}` });
  }
  return value as T;
}

/** A positive integer or a pair, normalised to [height, width]. */
export function readPair(config: LayerConfig, properties: Properties, key: string, fallback?: Pair): Pair {
  const value = raw(config, properties, key);
  if (value === undefined && fallback) return fallback;
  const positive = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  if (positive(value)) return [value, value];
  if (Array.isArray(value) && value.length === 2 && positive(value[0]) && positive(value[1])) return [value[0], value[1]];
  return fail({
    code: 'invalid-property',
    property: key,
    message: `${key} must be a positive integer or a pair [height, width] of them, got ${describe(value)}`,
  });
}

/** A size that may be a scalar or a pair, as a target writes it: one integer when both axes agree. */
export function pairValue(pair: Pair): number | Pair {
  return pair[0] === pair[1] ? pair[0] : pair;
}

// ---------------------------------------------------------------------------------------------
// Shapes

export const formatShape = (shape: Shape): string => `[${shape.join(', ')}]`;

export const product = (shape: Shape): number => shape.reduce((p, d) => p * d, 1);

/** Input rank check (without the batch axis); the hint says what usually fixes it. */
export function requireRank(type: string, input: Shape, rank: number, what: string, hint?: string): void {
  if (input.length !== rank) {
    fail({
      code: 'wrong-input-rank',
      message: `${type} expects a rank-${rank} input ${what} (without the batch axis), got ${formatShape(input)}`,
      ...(hint ? { hint } : {}),
    });
  }
}

export function requireMinRank(type: string, input: Shape, rank: number, hint?: string): void {
  if (input.length < rank) {
    fail({
      code: 'wrong-input-rank',
      message: `${type} expects an input of rank ≥ ${rank} (without the batch axis), got ${formatShape(input)}`,
      ...(hint ? { hint } : {}),
    });
  }
}

export const IMAGE = '[height, width, channels]';

export function imageHint(input: Shape): string {
  if (input.length === 1) {
    const side = Math.sqrt(input[0]!);
    const example = Number.isInteger(side) ? `[${side}, ${side}, 1]` : '[height, width, channels]';
    return `add a reshape before it (e.g. { type: reshape, targetShape: ${example} })`;
  }
  if (input.length === 2) return `add a reshape before it (e.g. { type: reshape, targetShape: [${input[0]}, ${input[1]}, 1] })`;
  return 'image layers take [height, width, channels]; reshape the activation first';
}

/** tfjs-layers `convOutputLength`: same → ceil(n / s); valid → ceil((n − dilated k + 1) / s). */
export function convOutputLength(input: number, filter: number, padding: 'valid' | 'same', stride: number, dilation = 1): number {
  const dilated = filter + (filter - 1) * (dilation - 1);
  const length = padding === 'same' ? input : input - dilated + 1;
  return Math.floor((length + stride - 1) / stride);
}

/** Spatial output of a window op over [h, w, c]; a size ≤ 0 is an issue at `property`. */
export function spatialOutput(
  type: string,
  input: Shape,
  window: Pair,
  strides: Pair,
  padding: 'valid' | 'same',
  dilation: Pair,
  property: string,
): Pair {
  const out: [number, number] = [0, 0];
  for (const axis of [0, 1] as const) {
    out[axis] = convOutputLength(input[axis]!, window[axis], padding, strides[axis], dilation[axis]);
  }
  if (out[0] <= 0 || out[1] <= 0) {
    const dilated = window.map((k, i) => k + (k - 1) * (dilation[i]! - 1));
    fail({
      code: 'shape-non-positive',
      property,
      message: `${type} would shrink the activation to ${out[0]}×${out[1]}: its ${dilated[0]}×${dilated[1]} window${
        dilation[0] > 1 || dilation[1] > 1 ? ' (dilated)' : ''
      } does not fit the ${input[0]}×${input[1]} input with padding valid`,
      hint: `use padding: same, a smaller ${property}, or remove a downsampling layer before it`,
    });
  }
  return out;
}

/** tfjs-core refuses a convolution with both strides > 1 and dilation > 1. */
export function checkStridesAndDilation(type: string, strides: Pair, dilation: Pair): void {
  if ((strides[0] > 1 || strides[1] > 1) && (dilation[0] > 1 || dilation[1] > 1)) {
    fail({
      code: 'strides-and-dilation',
      property: 'dilationRate',
      message: `${type}: TensorFlow.js cannot combine strides ${formatShape(strides)} with dilationRate ${formatShape(dilation)}; one of them must be 1`,
      hint: 'set strides: 1, or dilationRate: 1',
    });
  }
}
