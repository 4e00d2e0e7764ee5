/**
 * Towers: layer names, each layer kind's shape rule and parameter count applied in order from
 * the input (shape inference), the head, and loss / metric combinations that cannot mean what
 * the user wants.
 */
import type { LayerConfig, LayerKind, LayerRegistry, Shape } from '../../layers/kind.js';
import { toPointer } from '../../spec/diagnostic.js';
import type { MtlSpec, Tower as TowerSpec } from '../../spec/spec-types.generated.js';
import { DEFAULT_LOSS_WEIGHT } from '../defaults.js';
import type { LayerNode } from '../ir.js';
import { CAMEL_CASE, IDENTIFIER, nameProblem, RESERVED_WORDS } from '../names.js';
import { fmt, type Diagnostics } from './diagnostics.js';

/** Values one layer's weights or one example's activation may have: wasm memory is 32-bit, and 2³¹ float32 values are 8 GiB. */
export const MAX_TENSOR_VALUES = 2 ** 31 - 1;
const isPosInt = (v: number): boolean => Number.isInteger(v) && v >= 1;

/** A tower under construction: its layers' nodes and where shape inference stopped. */
export interface TowerDraft {
  task: string;
  pointer: string;
  description?: string;
  /** One per written layer; undefined where the layer (or one before it) could not be built. */
  nodes: (LayerNode | undefined)[];
  byName: Map<string, number>;
  head?: LayerNode;
  loss: string;
  lossWeight: number;
  metrics: string[];
}

export function checkTowers(spec: MtlSpec, inputShape: Shape | undefined, registry: LayerRegistry, out: Diagnostics): TowerDraft[] {
  return Object.keys(spec.towers).map((task) => {
    const pointer = toPointer(['towers', task]);
    const problem = nameProblem(task, 'task name', CAMEL_CASE, 'a camelCase identifier: a lower-case letter, then letters and digits (e.g. leftDigit)', 'invalid-task-name');
    if (problem) out.keyError(problem.code, pointer, problem.message, problem.hint);
    return checkTower(task, pointer, spec.towers[task]!, inputShape, registry, out);
  });
}

function checkTower(task: string, pointer: string, tower: TowerSpec, inputShape: Shape | undefined, registry: LayerRegistry, out: Diagnostics): TowerDraft {
  const draft: TowerDraft = {
    task,
    pointer,
    ...(tower.description !== undefined ? { description: tower.description } : {}),
    nodes: [],
    byName: new Map(),
    loss: tower.loss,
    lossWeight: tower.lossWeight ?? DEFAULT_LOSS_WEIGHT,
    metrics: [...(tower.metrics ?? [])],
  };
  /** Whether each name was written or generated, to word collisions. */
  const generated = new Map<string, boolean>();
  let shape: Shape | undefined = inputShape;

  // Plugin kinds are not in the generated `Layer` union: read layers through the kind contract.
  (tower.layers as readonly unknown[] as readonly LayerConfig[]).forEach((config, index) => {
    const at = `${pointer}/layers/${index}`;
    const type = config.type;
    const written = config.name;
    const name = written ?? `${type}${index + 1}`;
    if (written !== undefined) {
      // Layer names only reach generated code inside string literals (`${task}_${name}`), so
      // reserved words are fine; Object.prototype names are not (they are map keys).
      const problem = nameProblem(written, 'layer name', IDENTIFIER, 'an identifier (letters, digits and _, not starting with a digit)', 'invalid-layer-name');
      if (problem && !RESERVED_WORDS.has(written)) out.error(problem.code, `${at}/name`, problem.message, problem.hint);
    }
    const previous = draft.byName.get(name);
    if (previous !== undefined) {
      const wasGenerated = generated.get(name) === true;
      const isGenerated = written === undefined;
      if (!wasGenerated && !isGenerated) {
        out.error('duplicate-layer-name', `${at}/name`, `tower "${task}" already has a layer named "${name}" (layer ${previous + 1})`, 'layer names must be unique within a tower');
      } else {
        out.error(
          'generated-name-collision',
          isGenerated ? at : `${at}/name`,
          isGenerated
            ? `this unnamed ${type} layer gets the name "${name}", which layer ${previous + 1} of tower "${task}" already uses`
            : `the name "${name}" is already the generated name of the unnamed layer ${previous + 1} of tower "${task}"`,
          isGenerated ? 'give this layer a name' : 'choose another name, or name the other layer',
        );
      }
    } else {
      draft.byName.set(name, index);
      generated.set(name, written === undefined);
    }

    if (!shape) {
      draft.nodes.push(undefined);
      return;
    }
    // The schema admits only registered types.
    const node = applyKind(registry.get(type)!, config, shape, { task, name, index, at }, out);
    draft.nodes.push(node);
    shape = node?.outputShape;
  });

  checkHead(draft, tower, shape, tower.layers.length, registry, out);
  checkLossAndHead(draft, tower, out);
  return draft;
}

/** Runs a kind's shape rule and parameter count; a problem becomes a diagnostic. */
export function applyKind(
  kind: LayerKind,
  config: LayerConfig,
  input: Shape,
  where: { task: string; name: string; index: number; at: string; layerName?: string },
  out: Diagnostics,
): LayerNode | undefined {
  const label = where.layerName === where.task ? `head of "${where.task}"` : `layer "${where.name}" (${kind.type})`;
  try {
    const result = kind.outputShape(config, input);
    if ('error' in result) {
      const issue = result.error;
      const at = issue.property !== undefined && Object.prototype.hasOwnProperty.call(config, issue.property) ? `${where.at}/${issue.property}` : where.at;
      out.error(issue.code, at, `${label} of tower "${where.task}", input ${fmt(input)}: ${issue.message}`, issue.hint);
      return undefined;
    }
    const outputShape = result.shape;
    if (outputShape.length === 0 || !outputShape.every(isPosInt)) {
      out.error('shape-non-positive', where.at, `${label} of tower "${where.task}" turns ${fmt(input)} into ${fmt(outputShape)}: every axis must be a positive integer`);
      return undefined;
    }
    const params = kind.paramCount(config, input);
    const values = outputShape.reduce((a, b) => a * b, 1);
    if (params > MAX_TENSOR_VALUES || values > MAX_TENSOR_VALUES) {
      const what = params > MAX_TENSOR_VALUES ? `${params.toLocaleString('en-US')} parameters` : `${fmt(outputShape)}, ${values.toLocaleString('en-US')} values per example`;
      out.error('too-large', where.at, `${label} of tower "${where.task}" is too large to build: ${what}; a tensor holds at most ${MAX_TENSOR_VALUES.toLocaleString('en-US')} values`, 'check units, filters and kernelSize for a typo');
      return undefined;
    }
    return {
      type: kind.type,
      name: where.name,
      layerName: where.layerName ?? `${where.task}_${where.name}`,
      index: where.index,
      config,
      inputShape: input,
      outputShape,
      params,
      pointer: where.at,
    };
  } catch (error) {
    out.error(
      'layer-kind-failed',
      where.at,
      `the ${kind.type} layer kind failed on ${label} of tower "${where.task}": ${error instanceof Error ? error.message : String(error)}`,
      'a layer kind should report problems as { error }, not throw; report this to its author',
    );
    return undefined;
  }
}

function checkHead(draft: TowerDraft, tower: TowerSpec, shape: Shape | undefined, index: number, registry: LayerRegistry, out: Diagnostics): void {
  const at = `${draft.pointer}/head`;
  const dense = registry.get('dense');
  if (!dense) {
    out.error('layer-kind-failed', at, 'the dense layer kind is not registered, so no head can be built');
    return;
  }
  if (!shape) return;
  if (shape.length !== 1) {
    out.error(
      'head-input-rank',
      at,
      `the head of tower "${draft.task}" gets an activation of shape ${fmt(shape)}; a head needs a flat one [width] so that the task's output is [units]`,
      'end the tower with a flatten or globalAveragePooling2d layer',
    );
    return;
  }
  const config: LayerConfig = { ...tower.head, type: 'dense', name: draft.task };
  const node = applyKind(dense, config, shape, { task: draft.task, name: draft.task, index, at, layerName: draft.task }, out);
  if (node) draft.head = node;
}

/** Combinations that train but cannot mean what the user wants. */
function checkLossAndHead(draft: TowerDraft, tower: TowerSpec, out: Diagnostics): void {
  const at = draft.pointer;
  if (tower.lossWeight === 0) out.warn('zero-loss-weight', `${at}/lossWeight`, `lossWeight 0: task "${draft.task}" does not contribute to training`);
  const head = draft.head;
  if (!head) return;
  const units = head.outputShape[0];
  const act = tower.head.activation;
  if (units === 1 && (draft.loss === 'categoricalCrossentropy' || act === 'softmax')) {
    out.warn(
      'single-unit-softmax',
      `${at}/head`,
      `the head of "${draft.task}" has 1 unit with ${act === 'softmax' ? 'softmax (always 1)' : 'categorical cross-entropy (always 0)'}`,
      'for a yes/no task use activation: sigmoid with loss: binaryCrossentropy',
    );
  }
  // A class metric on a regression task compares rounded predictions with real-valued targets.
  if (REGRESSION_LOSSES.has(draft.loss)) {
    (tower.metrics ?? []).forEach((metric, i) => {
      if (!CLASS_METRICS.has(metric)) return;
      out.warn(
        'metric-for-regression',
        `${at}/metrics/${i}`,
        `task "${draft.task}" is trained with ${draft.loss}, a regression loss, so ${metric} (which counts predicted classes that match) does not measure it`,
        'use mae or mse for a regression task, or a classification loss (binaryCrossentropy, categoricalCrossentropy) if the task has classes',
      );
    });
  }
}

const REGRESSION_LOSSES: ReadonlySet<string> = new Set(['meanSquaredError', 'meanAbsoluteError', 'meanAbsolutePercentageError', 'meanSquaredLogarithmicError', 'logcosh']);
const CLASS_METRICS: ReadonlySet<string> = new Set(['accuracy', 'acc', 'binaryAccuracy', 'categoricalAccuracy', 'sparseCategoricalAccuracy', 'precision', 'recall']);
