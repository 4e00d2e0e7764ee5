/**
 * `checkModel`: the semantic checks of a schema-valid spec and the checked model (IR) it
 * means. Every problem found is a located diagnostic with a stable code; all are returned at
 * once. The model is returned only when there is no error (warnings are allowed).
 *
 * The spec data is read defensively (`unknown` narrowed here): a document that slipped past the
 * schema gives diagnostics, never a throw.
 */
import { isLoss, isMetric, LOSSES, METRICS } from '../layers/activations.js';
import type { LayerConfig, LayerKind, LayerRegistry, Shape } from '../layers/kind.js';
import type {
  BackendChoice,
  CrossStitchInit,
  CrossStitchMode,
  DataPlan,
  OptimizerPlan,
  TaskPlan,
  TaskWeightingPlan,
  TrainingPlan,
} from '../runtime/plan.js';
import { compareDiagnostics, toPointer, type Diagnostic, type Severity } from '../spec/diagnostic.js';
import type { SpecDocument } from '../spec/document.js';
import {
  BACKENDS,
  CROSS_STITCH_MODES,
  DATA_FORMATS,
  DEFAULT_LEARNING_RATES,
  DEFAULT_LOSS_WEIGHT,
  DEFAULT_INIT,
  defaultInit,
  MULTIMNIST_INPUT_SHAPE,
  OPTIMIZERS,
  TASK_WEIGHTINGS,
  TRAINING_DEFAULTS,
  type OptimizerType,
} from './defaults.js';
import type { CheckedModel, Junction, LayerNode, Tower } from './ir.js';
import { CAMEL_CASE, IDENTIFIER, nameProblem, PASCAL_CASE, RESERVED_WORDS, suggest } from './names.js';
import { junctionOrderProblems } from './order.js';

export interface CheckResult {
  /** Present when there is no error-severity diagnostic. */
  model?: CheckedModel;
  /** Sorted by position (compareDiagnostics). */
  diagnostics: Diagnostic[];
}

type Obj = { readonly [key: string]: unknown };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Obj, key: string): unknown => (Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined);
const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const fmt = (shape: Shape): string => `[${shape.join(', ')}]`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** Values one layer's weights or one example's activation may have: wasm memory is 32-bit, and 2³¹ float32 values are 8 GiB. */
const MAX_TENSOR_VALUES = 2 ** 31 - 1;

/** A tower under construction: its layers' nodes and where shape inference stopped. */
interface TowerDraft {
  task: string;
  pointer: string;
  description?: string;
  nodes: (LayerNode | undefined)[];
  byName: Map<string, number>;
  head?: LayerNode;
  loss: string;
  lossWeight: number;
  metrics: string[];
}

export function checkModel(document: SpecDocument, registry: LayerRegistry): CheckResult {
  return new Checker(document, registry).run();
}

/** Optimizers whose step size does not scale with the gradient (per-weight normalised). */
const SCALE_FREE_OPTIMIZERS = ['adam', 'adamax', 'rmsprop'] as const;

class Checker {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly document: SpecDocument,
    readonly registry: LayerRegistry,
  ) {}

  report(severity: Severity, code: string, pointer: string, message: string, hint?: string, atKey = false): void {
    let range = { line: 1, column: 1, endLine: 1, endColumn: 1 };
    try {
      range = atKey && this.document.locateKey ? this.document.locateKey(pointer) : this.document.locate(pointer);
    } catch {
      // a document that cannot locate a pointer still gets the diagnostic, at the top
    }
    this.diagnostics.push({
      file: this.document.file,
      ...range,
      severity,
      code,
      message,
      path: pointer,
      ...(hint !== undefined ? { hint } : {}),
    });
  }

  error(code: string, pointer: string, message: string, hint?: string): void {
    this.report('error', code, pointer, message, hint);
  }

  /** An error about a member's key (a task name): points at the key where the document can. */
  keyError(code: string, pointer: string, message: string, hint?: string): void {
    this.report('error', code, pointer, message, hint, true);
  }

  warn(code: string, pointer: string, message: string, hint?: string): void {
    this.report('warning', code, pointer, message, hint);
  }

  run(): CheckResult {
    const data = this.document.data;
    if (!isObj(data)) {
      this.error('invalid-spec', '', 'the spec must be a mapping with version, name, input and towers');
      return this.finish(undefined);
    }
    const version = own(data, 'version');
    if (version !== 1) {
      this.error('unsupported-version', '/version', `this mtlc reads spec version 1, got ${JSON.stringify(version ?? null)}`, 'add version: 1');
    }
    const name = this.modelName(data);
    const input = this.input(data);
    const towers = this.towers(data, input?.shape);
    const junctions = this.junctions(data, towers);
    this.layerNameCollisions(input?.name, towers, junctions);
    const training = this.training(data, name, input, towers);
    const description = own(data, 'description');

    if (version !== 1 || !name || !input || !training || towers.length === 0) return this.finish(undefined);
    const model: CheckedModel = {
      specFile: this.document.file,
      specHash: this.document.sha256,
      name,
      ...(typeof description === 'string' ? { description } : {}),
      input,
      towers: towers.map(
        (t): Tower => ({
          task: t.task,
          ...(t.description !== undefined ? { description: t.description } : {}),
          layers: t.nodes.filter((n): n is LayerNode => n !== undefined),
          head: t.head!,
          loss: t.loss,
          lossWeight: t.lossWeight,
          metrics: t.metrics,
        }),
      ),
      junctions,
      training,
    };
    return this.finish(model);
  }

  finish(model: CheckedModel | undefined): CheckResult {
    this.mergeAliased();
    this.diagnostics.sort(compareDiagnostics);
    const failed = this.diagnostics.some((d) => d.severity === 'error');
    return failed || !model ? { diagnostics: this.diagnostics } : { model, diagnostics: this.diagnostics };
  }

  /**
   * Towers that share layers through a YAML alias (`layers: *lenet`) break at the same source
   * position: one diagnostic naming every tower instead of one per tower.
   */
  mergeAliased(): void {
    const towerOf = / of tower "([^"]+)"/;
    const groups = new Map<string, Diagnostic[]>();
    for (const d of this.diagnostics) {
      if (!towerOf.test(d.message)) continue;
      const key = [d.code, d.severity, d.line, d.column, d.endLine, d.endColumn, d.hint ?? '', d.message.replace(towerOf, '')].join('\u0000');
      groups.set(key, [...(groups.get(key) ?? []), d]);
    }
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      const names = group.map((d) => `"${towerOf.exec(d.message)![1]}"`).join(', ');
      group[0]!.message = group[0]!.message.replace(towerOf, ` of towers ${names}`);
      for (const d of group.slice(1)) this.diagnostics.splice(this.diagnostics.indexOf(d), 1);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Names and input

  modelName(data: Obj): string | undefined {
    const name = own(data, 'name');
    if (typeof name !== 'string') {
      this.error('missing-name', '/name', 'the spec needs a name (PascalCase): the builder becomes build<Name>()', 'add e.g. name: MultiDigit');
      return undefined;
    }
    const problem = nameProblem(name, 'model name', PASCAL_CASE, 'PascalCase: a capital letter, then letters and digits (e.g. MultiDigit)', 'invalid-model-name');
    if (problem) {
      this.error(problem.code, '/name', problem.message, problem.hint);
      return undefined;
    }
    return name;
  }

  input(data: Obj): { name: string; shape: Shape } | undefined {
    const input = own(data, 'input');
    if (!isObj(input)) {
      this.error('missing-input', '/input', 'the spec needs an input: { name, shape }', 'add e.g. input: { name: image, shape: [28, 28, 1] }');
      return undefined;
    }
    let ok = true;
    const name = own(input, 'name') ?? 'input';
    if (typeof name !== 'string') {
      this.error('invalid-input-name', '/input/name', 'input.name must be a string');
      ok = false;
    } else {
      const problem = nameProblem(name, 'input name', IDENTIFIER, 'an identifier (letters, digits and _, not starting with a digit)', 'invalid-input-name');
      if (problem) {
        this.error(problem.code, '/input/name', problem.message, problem.hint);
        ok = false;
      }
    }
    const shape = own(input, 'shape');
    if (!Array.isArray(shape) || shape.length === 0) {
      this.error('invalid-input-shape', '/input/shape', 'input.shape must be a non-empty list of positive integers (without the batch axis)', 'e.g. shape: [28, 28, 1]');
      return undefined;
    }
    shape.forEach((d, i) => {
      if (!isPosInt(d)) {
        this.error('invalid-input-shape', `/input/shape/${i}`, `input.shape[${i}] must be a positive integer, got ${JSON.stringify(d)}`);
        ok = false;
      }
    });
    return ok ? { name: name as string, shape: shape as number[] } : undefined;
  }

  // ------------------------------------------------------------------------------------------
  // Towers, layers, shapes

  towers(data: Obj, inputShape: Shape | undefined): TowerDraft[] {
    const towers = own(data, 'towers');
    if (!isObj(towers) || Object.keys(towers).length === 0) {
      this.error('no-towers', '/towers', 'the spec needs at least one tower (one per task)', 'add towers: { taskName: { layers: [...], head: { units: ... }, loss: ... } }');
      return [];
    }
    const drafts: TowerDraft[] = [];
    for (const task of Object.keys(towers)) {
      const pointer = toPointer(['towers', task]);
      const problem = nameProblem(task, 'task name', CAMEL_CASE, 'a camelCase identifier: a lower-case letter, then letters and digits (e.g. leftDigit)', 'invalid-task-name');
      if (problem) this.keyError(problem.code, pointer, problem.message, problem.hint);
      const tower = towers[task];
      if (!isObj(tower)) {
        this.error('invalid-tower', pointer, `tower "${task}" must be a mapping with layers, head and loss`);
        continue;
      }
      drafts.push(this.tower(task, pointer, tower, inputShape));
    }
    return drafts;
  }

  tower(task: string, pointer: string, tower: Obj, inputShape: Shape | undefined): TowerDraft {
    const description = own(tower, 'description');
    const draft: TowerDraft = {
      task,
      pointer,
      ...(typeof description === 'string' ? { description } : {}),
      nodes: [],
      byName: new Map(),
      loss: '',
      lossWeight: DEFAULT_LOSS_WEIGHT,
      metrics: [],
    };
    const layers = own(tower, 'layers') ?? [];
    if (!Array.isArray(layers)) {
      this.error('invalid-layers', `${pointer}/layers`, `towers.${task}.layers must be a list of layers`);
    }
    const list: unknown[] = Array.isArray(layers) ? layers : [];
    /** Whether each name was written or generated, to word collisions. */
    const generated = new Map<string, boolean>();
    let shape: Shape | undefined = inputShape;

    list.forEach((raw, index) => {
      const at = `${pointer}/layers/${index}`;
      if (!isObj(raw) || typeof own(raw, 'type') !== 'string') {
        this.error('invalid-layer', at, 'a layer must be a mapping with a type (e.g. { type: dense, units: 10 })');
        draft.nodes.push(undefined);
        shape = undefined;
        return;
      }
      const config = raw as LayerConfig;
      const type = config.type;
      const kind = this.registry.get(type);
      const written = own(raw, 'name');
      const name = typeof written === 'string' ? written : `${type}${index + 1}`;
      if (typeof written === 'string') {
        // Layer names only reach generated code inside string literals (`${task}_${name}`), so
        // reserved words are fine; Object.prototype names are not (they are map keys).
        const problem = nameProblem(written, 'layer name', IDENTIFIER, 'an identifier (letters, digits and _, not starting with a digit)', 'invalid-layer-name');
        if (problem && !RESERVED_WORDS.has(written)) this.error(problem.code, `${at}/name`, problem.message, problem.hint);
      }
      const previous = draft.byName.get(name);
      if (previous !== undefined) {
        const wasGenerated = generated.get(name) === true;
        const isGenerated = typeof written !== 'string';
        if (!wasGenerated && !isGenerated) {
          this.error('duplicate-layer-name', `${at}/name`, `tower "${task}" already has a layer named "${name}" (layer ${previous + 1})`, 'layer names must be unique within a tower');
        } else {
          this.error(
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
        generated.set(name, typeof written !== 'string');
      }

      if (!kind) {
        const known = this.registry.types();
        this.error('unknown-layer-type', `${at}/type`, `unknown layer type "${type}"`, suggest(type, known, 'layer type'));
        draft.nodes.push(undefined);
        shape = undefined;
        return;
      }
      if (!shape) {
        draft.nodes.push(undefined);
        return;
      }
      const node = this.applyKind(kind, config, shape, { task, name, index, at });
      draft.nodes.push(node);
      if (node) {
        shape = node.outputShape;
      } else {
        shape = undefined;
      }
    });

    this.head(draft, tower, shape, list.length);
    this.lossAndMetrics(draft, tower);
    return draft;
  }

  /** Runs a kind's shape rule and parameter count; a problem becomes a diagnostic. */
  applyKind(kind: LayerKind, config: LayerConfig, input: Shape, where: { task: string; name: string; index: number; at: string; layerName?: string }): LayerNode | undefined {
    const label = where.layerName === where.task ? `head of "${where.task}"` : `layer "${where.name}" (${kind.type})`;
    try {
      const result = kind.outputShape(config, input);
      if ('error' in result) {
        const issue = result.error;
        const at = issue.property !== undefined && own(config, issue.property) !== undefined ? `${where.at}/${issue.property}` : where.at;
        this.error(issue.code, at, `${label} of tower "${where.task}", input ${fmt(input)}: ${issue.message}`, issue.hint);
        return undefined;
      }
      const outputShape = result.shape;
      const bad = outputShape.findIndex((d) => !isPosInt(d));
      if (bad >= 0 || outputShape.length === 0) {
        this.error('shape-non-positive', where.at, `${label} of tower "${where.task}" turns ${fmt(input)} into ${fmt(outputShape)}: every axis must be a positive integer`);
        return undefined;
      }
      const params = kind.paramCount(config, input);
      const values = outputShape.reduce((a, b) => a * b, 1);
      if (params > MAX_TENSOR_VALUES || values > MAX_TENSOR_VALUES) {
        const what = params > MAX_TENSOR_VALUES ? `${params.toLocaleString('en-US')} parameters` : `${fmt(outputShape)}, ${values.toLocaleString('en-US')} values per example`;
        this.error('too-large', where.at, `${label} of tower "${where.task}" is too large to build: ${what}; a tensor holds at most ${MAX_TENSOR_VALUES.toLocaleString('en-US')} values`, 'check units, filters and kernelSize for a typo');
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
      this.error(
        'layer-kind-failed',
        where.at,
        `the ${kind.type} layer kind failed on ${label} of tower "${where.task}": ${error instanceof Error ? error.message : String(error)}`,
        'a layer kind should report problems as { error }, not throw; report this to its author',
      );
      return undefined;
    }
  }

  head(draft: TowerDraft, tower: Obj, shape: Shape | undefined, index: number): void {
    const at = `${draft.pointer}/head`;
    const head = own(tower, 'head');
    if (!isObj(head)) {
      this.error('missing-head', at, `tower "${draft.task}" needs a head: { units, activation? }`, 'e.g. head: { units: 10, activation: softmax }');
      return;
    }
    const dense = this.registry.get('dense');
    if (!dense) {
      this.error('layer-kind-failed', at, 'the dense layer kind is not registered, so no head can be built');
      return;
    }
    if (!shape) return;
    if (shape.length !== 1) {
      this.error(
        'head-input-rank',
        at,
        `the head of tower "${draft.task}" gets an activation of shape ${fmt(shape)}; a head needs a flat one [width] so that the task's output is [units]`,
        'end the tower with a flatten or globalAveragePooling2d layer',
      );
      return;
    }
    const config: LayerConfig = { ...head, type: 'dense', name: draft.task };
    const node = this.applyKind(dense, config, shape, { task: draft.task, name: draft.task, index, at, layerName: draft.task });
    if (node) draft.head = node;
  }

  lossAndMetrics(draft: TowerDraft, tower: Obj): void {
    const at = draft.pointer;
    const loss = own(tower, 'loss');
    if (typeof loss !== 'string') {
      this.error('missing-loss', `${at}/loss`, `tower "${draft.task}" needs a loss`, `one of: ${LOSSES.join(', ')}`);
    } else if (!isLoss(loss)) {
      this.error('unknown-loss', `${at}/loss`, `unknown loss "${loss}"`, suggest(loss, LOSSES, 'loss'));
    } else {
      draft.loss = loss;
    }
    const weight = own(tower, 'lossWeight');
    if (weight !== undefined) {
      if (!isFiniteNumber(weight) || weight < 0) {
        this.error('out-of-range', `${at}/lossWeight`, `lossWeight must be a number ≥ 0, got ${JSON.stringify(weight)}`);
      } else {
        draft.lossWeight = weight;
        if (weight === 0) this.warn('zero-loss-weight', `${at}/lossWeight`, `lossWeight 0: task "${draft.task}" does not contribute to training`);
      }
    }
    const metrics = own(tower, 'metrics');
    if (metrics !== undefined) {
      if (!Array.isArray(metrics)) {
        this.error('invalid-metrics', `${at}/metrics`, 'metrics must be a list of metric names');
      } else {
        metrics.forEach((m, i) => {
          if (!isMetric(m)) this.error('unknown-metric', `${at}/metrics/${i}`, `unknown metric ${JSON.stringify(m)}`, typeof m === 'string' ? suggest(m, METRICS, 'metric') : undefined);
          else if (draft.metrics.includes(m)) this.warn('duplicate-metric', `${at}/metrics/${i}`, `metric "${m}" is listed twice`);
          else draft.metrics.push(m);
        });
      }
    }
    // Combinations that train but cannot mean what the user wants.
    const head = draft.head;
    if (head && draft.loss) {
      const units = head.outputShape[0];
      const act = own(head.config, 'activation');
      if (units === 1 && (draft.loss === 'categoricalCrossentropy' || act === 'softmax')) {
        this.warn(
          'single-unit-softmax',
          `${at}/head`,
          `the head of "${draft.task}" has 1 unit with ${act === 'softmax' ? 'softmax (always 1)' : 'categorical cross-entropy (always 0)'}`,
          'for a yes/no task use activation: sigmoid with loss: binaryCrossentropy',
        );
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Junctions

  junctions(data: Obj, towers: TowerDraft[]): Junction[] {
    const raw = own(data, 'crossStitch');
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) {
      this.error('invalid-cross-stitch', '/crossStitch', 'crossStitch must be a list of junctions');
      return [];
    }
    const byTask = new Map(towers.map((t) => [t.task, t]));
    const taskOrder = towers.map((t) => t.task);
    const names = new Map<string, { index: number; generated: boolean }>();
    const junctions: (Junction | undefined)[] = [];
    /** Junctions whose positions are known, valid or not otherwise: their order is checked too. */
    const placed: Parameters<typeof junctionOrderProblems>[0][number][] = [];

    raw.forEach((j, index) => {
      const at = `/crossStitch/${index}`;
      if (!isObj(j)) {
        this.error('invalid-junction', at, 'a junction must be a mapping with after (and optionally towers, mode, init)');
        junctions.push(undefined);
        return;
      }
      let ok = true;
      // name
      const written = own(j, 'name');
      const name = typeof written === 'string' ? written : `stitch${index + 1}`;
      if (typeof written === 'string') {
        const problem = nameProblem(written, 'junction name', IDENTIFIER, 'an identifier (letters, digits and _, not starting with a digit)', 'invalid-junction-name');
        if (problem) {
          this.error(problem.code, `${at}/name`, problem.message, problem.hint);
          ok = false;
        }
      }
      const seen = names.get(name);
      if (seen) {
        const generated = typeof written !== 'string';
        this.error(
          'duplicate-junction-name',
          generated ? at : `${at}/name`,
          generated || seen.generated
            ? `junction name "${name}" is used twice (junction ${seen.index + 1}${seen.generated ? ' has it as its generated name' : ''})`
            : `junction ${seen.index + 1} is already named "${name}"`,
          'junction names must be unique; unnamed junctions are called stitch1, stitch2, ...',
        );
        ok = false;
      } else {
        names.set(name, { index, generated: typeof written !== 'string' });
      }

      // mode
      const modeRaw = own(j, 'mode') ?? 'channel';
      let mode: CrossStitchMode = 'channel';
      if (typeof modeRaw !== 'string' || !(CROSS_STITCH_MODES as readonly string[]).includes(modeRaw)) {
        this.error('invalid-mode', `${at}/mode`, `mode must be one of ${CROSS_STITCH_MODES.join(', ')}, got ${JSON.stringify(modeRaw)}`);
        ok = false;
      } else {
        mode = modeRaw as CrossStitchMode;
      }

      // stitched towers
      const after = own(j, 'after');
      const towersRaw = own(j, 'towers');
      let stitched: string[] = [];
      if (towersRaw !== undefined) {
        if (!Array.isArray(towersRaw)) {
          this.error('invalid-junction', `${at}/towers`, 'towers must be a list of task names');
          ok = false;
        } else {
          towersRaw.forEach((t, k) => {
            if (typeof t !== 'string' || !byTask.has(t)) {
              this.error('unknown-tower', `${at}/towers/${k}`, `there is no tower ${JSON.stringify(t)}`, typeof t === 'string' ? suggest(t, taskOrder, 'tower') : undefined);
              ok = false;
            } else if (stitched.includes(t)) {
              this.error('duplicate-tower', `${at}/towers/${k}`, `tower "${t}" is listed twice`);
              ok = false;
            } else {
              stitched.push(t);
            }
          });
        }
      } else if (isObj(after)) {
        stitched = Object.keys(after).filter((t) => byTask.has(t));
      } else {
        stitched = [...taskOrder];
      }
      stitched.sort((a, b) => taskOrder.indexOf(a) - taskOrder.indexOf(b));
      const explicitCount = Array.isArray(towersRaw) ? towersRaw.length : isObj(after) ? Object.keys(after).length : taskOrder.length;
      if (stitched.length < 2 && explicitCount < 2) {
        this.error(
          'junction-too-few-towers',
          towersRaw !== undefined ? `${at}/towers` : isObj(after) ? `${at}/after` : at,
          `a cross-stitch junction mixes at least 2 towers; this one has ${plural(explicitCount, 'tower')}`,
          taskOrder.length < 2 ? 'add a second tower, or remove the junction' : `towers: ${taskOrder.join(', ')}`,
        );
        ok = false;
      }

      // after: one name for every stitched tower, or one per tower
      const positions: Record<string, { layer: string; index: number }> = {};
      const found = (task: string, layer: unknown, pointer: string): void => {
        const tower = byTask.get(task)!;
        if (typeof layer !== 'string') {
          this.error('invalid-junction', pointer, `after must name a layer of tower "${task}"`);
          ok = false;
          return;
        }
        const li = tower.byName.get(layer);
        if (li === undefined) {
          this.error('unknown-layer', pointer, `tower "${task}" has no layer named "${layer}"`, suggest(layer, [...tower.byName.keys()], 'layer'));
          ok = false;
          return;
        }
        positions[task] = { layer, index: li };
      };
      if (typeof after === 'string') {
        const missing = stitched.filter((task) => !byTask.get(task)!.byName.has(after));
        if (missing.length > 0) {
          const names = [...new Set(missing.flatMap((t) => [...byTask.get(t)!.byName.keys()]))];
          this.error(
            'unknown-layer',
            `${at}/after`,
            `${missing.length === 1 ? 'tower' : 'towers'} ${missing.map((t) => `"${t}"`).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no layer named "${after}"`,
            suggest(after, names, 'layer'),
          );
          ok = false;
        }
        for (const task of stitched) if (!missing.includes(task)) found(task, after, `${at}/after`);
      } else if (isObj(after)) {
        for (const key of Object.keys(after)) {
          const p = toPointer(['crossStitch', index, 'after', key]);
          if (!byTask.has(key)) {
            this.keyError('unknown-tower', p, `there is no tower "${key}"`, suggest(key, taskOrder, 'tower'));
            ok = false;
          } else if (!stitched.includes(key)) {
            this.keyError('unstitched-tower', p, `after names tower "${key}", which this junction does not stitch (towers: ${stitched.join(', ')})`, `add ${key} to towers, or remove it from after`);
            ok = false;
          } else {
            found(key, after[key], p);
          }
        }
        const missing = stitched.filter((t) => !Object.prototype.hasOwnProperty.call(after, t));
        if (missing.length > 0) {
          this.error('missing-after', `${at}/after`, `after gives no layer for stitched ${missing.length === 1 ? 'tower' : 'towers'} ${missing.join(', ')}`, `add ${missing.map((t) => `${t}: <layer>`).join(', ')}`);
          ok = false;
        }
      } else {
        this.error('missing-after', `${at}/after`, 'a junction needs after: a layer name found in every stitched tower, or one per tower', 'e.g. after: pool1, or after: { left: pool1, right: pool1 }');
        ok = false;
      }

      if (stitched.length >= 2 && stitched.every((t) => positions[t] !== undefined)) {
        placed.push({ name, index, towers: stitched, after: positions, pointer: at });
      }

      // shapes at the junction
      const shapes: Record<string, Shape> = {};
      let shapesKnown = ok;
      for (const task of stitched) {
        const pos = positions[task];
        const node = pos && byTask.get(task)!.nodes[pos.index];
        if (!node) shapesKnown = false;
        else shapes[task] = node.outputShape;
      }
      let params = 0;
      const n = stitched.length;
      if (shapesKnown) {
        const list = stitched.map((t) => shapes[t]!);
        const described = stitched.map((t) => `${t} ${fmt(shapes[t]!)}`).join(', ');
        if (mode === 'unit') {
          const bad = stitched.filter((t) => shapes[t]!.length !== 1);
          if (bad.length > 0) {
            this.error(
              'junction-rank',
              `${at}/after`,
              `unit mode mixes flat activations [width], but the stitched activations are ${described}`,
              'stitch after a dense or flatten layer, or use mode: channel for feature maps',
            );
            ok = false;
          } else {
            const total = list.reduce((s, sh) => s + sh[0]!, 0);
            params = total * total;
          }
        } else {
          const first = list[0]!;
          const equal = list.every((s) => s.length === first.length && s.every((d, k) => d === first[k]));
          if (!equal) {
            const allFlat = list.every((s) => s.length === 1);
            this.error(
              'junction-shape-mismatch',
              `${at}/after`,
              `${mode} mode mixes activations of equal shape, but the stitched activations are ${described}`,
              allFlat ? 'use mode: unit, which mixes flat activations of different widths' : 'stitch after layers whose outputs have the same shape',
            );
            ok = false;
          } else if (first.length < 1) {
            this.error('junction-rank', `${at}/after`, `${mode} mode needs activations of rank ≥ 1, got ${fmt(first)}`);
            ok = false;
          } else {
            params = mode === 'channel' ? n * n * first[first.length - 1]! : n * n;
          }
        }
      }

      const init = this.init(j, at, mode, n, shapesKnown && ok ? stitched.map((t) => shapes[t]!) : undefined);
      if (!init) ok = false;
      const trainable = own(j, 'trainable') ?? true;
      if (typeof trainable !== 'boolean') {
        this.error('invalid-junction', `${at}/trainable`, 'trainable must be true or false');
        ok = false;
      }

      junctions.push(
        ok && init
          ? {
              name,
              layerName: `cross_stitch_${name}`,
              index,
              towers: stitched,
              after: positions,
              mode,
              init,
              trainable: trainable as boolean,
              shapes,
              params,
              pointer: at,
            }
          : undefined,
      );
    });

    const valid = junctions.filter((x): x is Junction => x !== undefined);
    for (const problem of junctionOrderProblems(placed)) {
      this.error('junction-order', problem.junction.pointer, problem.message, 'junctions sharing towers must come in the same order in each of them');
    }
    return valid;
  }

  /** The junction's α initialisation, with its range and shape checked. */
  init(j: Obj, at: string, mode: CrossStitchMode, n: number, shapes: Shape[] | undefined): CrossStitchInit | undefined {
    const raw = own(j, 'init');
    if (raw === undefined) return defaultInit(mode);
    const p = `${at}/init`;
    if (!isObj(raw)) {
      this.error('invalid-init', p, 'init must be { self, other } or { matrix }');
      return undefined;
    }
    const matrix = own(raw, 'matrix');
    if (matrix !== undefined) {
      if (!Array.isArray(matrix) || matrix.length === 0 || !matrix.every((r) => Array.isArray(r) && r.every(isFiniteNumber))) {
        this.error('invalid-init', `${p}/matrix`, 'init.matrix must be a list of rows of numbers');
        return undefined;
      }
      const rows = matrix as number[][];
      const size = rows.length;
      const ragged = rows.findIndex((r) => r.length !== size);
      if (ragged >= 0) {
        this.error('init-matrix-shape', `${p}/matrix/${ragged}`, `init.matrix must be square: row ${ragged + 1} has ${plural(rows[ragged]!.length, 'value')}, the matrix has ${plural(size, 'row')}`);
        return undefined;
      }
      if (mode === 'unit') {
        const total = shapes?.reduce((s, sh) => s + (sh[0] ?? 0), 0);
        if (size !== n && total !== undefined && size !== total) {
          this.error(
            'init-matrix-shape',
            `${p}/matrix`,
            `init.matrix is ${size}×${size}; unit mode over ${n} towers of widths ${shapes!.map((s) => s[0]).join(' + ')} needs ${n}×${n} (one weight per pair of towers) or ${total}×${total} (Σd×Σd)`,
          );
          return undefined;
        }
      } else if (size !== n && n >= 2) {
        this.error('init-matrix-shape', `${p}/matrix`, `init.matrix is ${size}×${size} but the junction stitches ${n} towers; ${mode} mode needs ${n}×${n}`);
        return undefined;
      }
      if (size === n) {
        rows.forEach((r, i) => {
          const sum = r.reduce((s, v) => s + v, 0);
          if (Math.abs(sum - 1) > 1e-6) {
            this.warn('init-row-sum', `${p}/matrix/${i}`, `row ${i + 1} of init.matrix sums to ${round(sum)}, not 1: the unit starts by scaling that tower's activation`);
          }
        });
      }
      return { matrix: rows.map((r) => [...r]) };
    }
    // Either weight may be left out: it takes the schema's default (self 0.9, other 0.1);
    // `init: {}` is the mode's default (the identity in unit mode).
    if (own(raw, 'self') === undefined && own(raw, 'other') === undefined) return defaultInit(mode);
    const self = own(raw, 'self') ?? DEFAULT_INIT.self;
    const other = own(raw, 'other') ?? DEFAULT_INIT.other;
    let ok = true;
    for (const [key, value] of [
      ['self', self],
      ['other', other],
    ] as const) {
      if (!isFiniteNumber(value) || value < 0 || value > 1) {
        this.error('init-out-of-range', `${p}/${key}`, `init.${key} must be a number in [0, 1], got ${JSON.stringify(value)}`, 'α starts as a convex combination, e.g. self: 0.9, other: 0.1');
        ok = false;
      }
    }
    if (!ok) return undefined;
    const s = self as number;
    const o = other as number;
    if (Math.abs(s + o - 1) > 1e-6) {
      const share = n > 2 ? ` (other is split across the ${n - 1} other towers: ${round(o / (n - 1))} each)` : '';
      this.warn('init-row-sum', p, `each row of α starts at self + other = ${round(s + o)}, not 1${share}`, `e.g. self: ${round(s)}, other: ${round(1 - s)}`);
    }
    return { self: s, other: o };
  }

  // ------------------------------------------------------------------------------------------
  // tfjs layer names must be unique in the model

  layerNameCollisions(inputName: string | undefined, towers: TowerDraft[], junctions: Junction[]): void {
    const owners = new Map<string, string>();
    const claim = (layerName: string, pointer: string, what: string, atKey = false) => {
      const previous = owners.get(layerName);
      if (previous !== undefined) {
        this.report('error', 'layer-name-collision', pointer, `${what} gets the TensorFlow.js layer name "${layerName}", already taken by ${previous}`, 'rename one of them', atKey);
      } else {
        owners.set(layerName, what);
      }
    };
    if (inputName !== undefined) claim(inputName, '/input/name', `the input "${inputName}"`);
    for (const t of towers) {
      claim(t.task, t.pointer, `the head of task "${t.task}"`, true);
      const names = new Set<string>();
      for (const node of t.nodes) {
        // A name repeated within the tower is reported once, as duplicate-layer-name.
        if (!node || names.has(node.name)) continue;
        names.add(node.name);
        claim(node.layerName, node.pointer, `layer "${node.name}" of tower "${t.task}"`);
      }
    }
    for (const j of junctions) claim(j.layerName, j.pointer, `junction "${j.name}"`);
  }

  // ------------------------------------------------------------------------------------------
  // Training and data

  training(data: Obj, name: string | undefined, input: { name: string; shape: Shape } | undefined, towers: TowerDraft[]): TrainingPlan | undefined {
    const raw = own(data, 'training') ?? {};
    const at = '/training';
    if (!isObj(raw)) {
      this.error('invalid-training', at, 'training must be a mapping');
      return undefined;
    }
    let ok = true;
    const number = (key: string, fallback: number, valid: (v: number) => boolean, range: string, integer = false): number => {
      const v = own(raw, key);
      if (v === undefined) return fallback;
      if (!isFiniteNumber(v) || (integer && !Number.isInteger(v)) || !valid(v)) {
        this.error('out-of-range', `${at}/${key}`, `training.${key} must be ${integer ? 'an integer' : 'a number'} ${range}, got ${JSON.stringify(v)}`);
        ok = false;
        return fallback;
      }
      return v;
    };

    const backendRaw = own(raw, 'backend') ?? TRAINING_DEFAULTS.backend;
    let backend: BackendChoice = TRAINING_DEFAULTS.backend;
    if (typeof backendRaw !== 'string' || !(BACKENDS as readonly string[]).includes(backendRaw)) {
      this.error('invalid-backend', `${at}/backend`, `backend must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(backendRaw)}`, typeof backendRaw === 'string' ? suggest(backendRaw, BACKENDS, 'backend') : undefined);
      ok = false;
    } else {
      backend = backendRaw as BackendChoice;
    }

    const optimizer = this.optimizer(own(raw, 'optimizer'), `${at}/optimizer`);
    if (!optimizer) ok = false;
    const multiplier = number('crossStitchLearningRateMultiplier', TRAINING_DEFAULTS.crossStitchLearningRateMultiplier, (v) => v > 0, '> 0');
    const batchSize = number('batchSize', TRAINING_DEFAULTS.batchSize, (v) => v >= 1, '≥ 1', true);
    const epochs = number('epochs', TRAINING_DEFAULTS.epochs, (v) => v >= 1, '≥ 1', true);
    const validationSplit = number('validationSplit', TRAINING_DEFAULTS.validationSplit, (v) => v >= 0 && v < 1, 'in [0, 1)');
    const seed = number('seed', TRAINING_DEFAULTS.seed, (v) => v >= 0 && v <= 2 ** 32 - 1, 'in [0, 2³²)', true);
    const taskWeighting = this.taskWeighting(own(raw, 'taskWeighting'), `${at}/taskWeighting`);
    if (!taskWeighting) ok = false;
    const dataPlan = this.data(data, input?.shape, towers);
    if (!dataPlan) ok = false;

    if (!ok || !name || !input || !optimizer || !taskWeighting || !dataPlan) return undefined;
    this.alphaStepSize(data, optimizer, multiplier);
    const tasks: TaskPlan[] = towers.map((t) => ({
      name: t.task,
      loss: t.loss,
      lossWeight: t.lossWeight,
      metrics: t.metrics,
      outputShape: t.head ? [...t.head.outputShape] : [],
    }));
    return {
      modelName: name,
      specHash: this.document.sha256,
      input: { name: input.name, shape: [...input.shape] },
      tasks,
      backend,
      optimizer,
      crossStitchLearningRateMultiplier: multiplier,
      batchSize,
      epochs,
      validationSplit,
      seed,
      taskWeighting,
      data: dataPlan,
    };
  }

  /**
   * Adam-like optimizers move each weight by about the learning rate per step whatever the
   * gradient's scale, so α (which starts near 0.9/0.1) moves by learningRate × multiplier a step:
   * well above 0.1 it jumps past its useful range at once and training diverges (measured: adam
   * 0.01 × 100 ends at chance). The paper's 10²–10³ assumes SGD fine-tuning at a small rate.
   */
  alphaStepSize(data: Obj, optimizer: OptimizerPlan, multiplier: number): void {
    const junctions = own(data, 'crossStitch');
    if (!Array.isArray(junctions) || junctions.length === 0) return;
    if (!(SCALE_FREE_OPTIMIZERS as readonly string[]).includes(optimizer.type)) return;
    const step = optimizer.learningRate * multiplier;
    if (step <= 0.1) return;
    const training = own(data, 'training');
    const pointer = isObj(training) && own(training, 'crossStitchLearningRateMultiplier') !== undefined
      ? '/training/crossStitchLearningRateMultiplier'
      : isObj(training) && own(training, 'optimizer') !== undefined ? '/training/optimizer' : isObj(training) ? '/training' : '';
    this.warn(
      'alpha-step-large',
      pointer,
      `with ${optimizer.type}, α moves by about learningRate × crossStitchLearningRateMultiplier = ${round(step)} a step, which makes training diverge`,
      `keep the product at most 0.1 (measured: adam at 0.01 trained well at × 10, diverged at × 100), e.g. crossStitchLearningRateMultiplier: ${round(0.1 / optimizer.learningRate)}`,
    );
  }

  optimizer(raw: unknown, at: string): OptimizerPlan | undefined {
    if (raw === undefined) return { ...TRAINING_DEFAULTS.optimizer };
    if (typeof raw === 'string') raw = { type: raw };
    if (!isObj(raw)) {
      this.error('invalid-optimizer', at, 'optimizer must be { type, learningRate?, ... }');
      return undefined;
    }
    const type = own(raw, 'type') ?? 'sgd';
    if (typeof type !== 'string' || !(OPTIMIZERS as readonly string[]).includes(type)) {
      this.error('unknown-optimizer', `${at}/type`, `unknown optimizer ${JSON.stringify(type)}`, typeof type === 'string' ? suggest(type, OPTIMIZERS, 'optimizer') : `optimizers: ${OPTIMIZERS.join(', ')}`);
      return undefined;
    }
    let ok = true;
    const plan: { -readonly [K in keyof OptimizerPlan]: OptimizerPlan[K] } = {
      type: type as OptimizerType,
      learningRate: DEFAULT_LEARNING_RATES[type as OptimizerType],
    };
    const ranges: [keyof OptimizerPlan & string, (v: number) => boolean, string][] = [
      ['learningRate', (v) => v > 0, '> 0'],
      ['momentum', (v) => v >= 0 && v < 1, 'in [0, 1)'],
      ['beta1', (v) => v >= 0 && v < 1, 'in [0, 1)'],
      ['beta2', (v) => v >= 0 && v < 1, 'in [0, 1)'],
      ['epsilon', (v) => v > 0, '> 0'],
      ['rho', (v) => v >= 0 && v <= 1, 'in [0, 1]'],
      ['decay', (v) => v >= 0, '≥ 0'],
    ];
    for (const [key, valid, range] of ranges) {
      const v = own(raw, key);
      if (v === undefined) continue;
      if (!isFiniteNumber(v) || !valid(v)) {
        this.error('out-of-range', `${at}/${key}`, `optimizer.${key} must be a number ${range}, got ${JSON.stringify(v)}`);
        ok = false;
      } else {
        (plan as Record<string, unknown>)[key] = v;
      }
    }
    if (type === 'momentum' && plan.momentum === undefined) plan.momentum = 0.9;
    return ok ? plan : undefined;
  }

  taskWeighting(raw: unknown, at: string): TaskWeightingPlan | undefined {
    if (raw === undefined) return { ...TRAINING_DEFAULTS.taskWeighting };
    const obj = typeof raw === 'string' ? { type: raw } : raw;
    if (!isObj(obj)) {
      this.error('invalid-task-weighting', at, `taskWeighting must be one of ${TASK_WEIGHTINGS.join(', ')} or { type, temperature? }`);
      return undefined;
    }
    const type = own(obj, 'type');
    if (typeof type !== 'string' || !(TASK_WEIGHTINGS as readonly string[]).includes(type)) {
      this.error('invalid-task-weighting', typeof raw === 'string' ? at : `${at}/type`, `taskWeighting must be one of ${TASK_WEIGHTINGS.join(', ')}, got ${JSON.stringify(type)}`, typeof type === 'string' ? suggest(type, TASK_WEIGHTINGS, 'task weighting') : undefined);
      return undefined;
    }
    if (type !== 'dwa') return { type: type as TaskWeightingPlan['type'] };
    const t = own(obj, 'temperature') ?? TRAINING_DEFAULTS.dwaTemperature;
    if (!isFiniteNumber(t) || t <= 0) {
      this.error('out-of-range', `${at}/temperature`, `taskWeighting.temperature must be a number > 0, got ${JSON.stringify(t)}`);
      return undefined;
    }
    return { type: 'dwa', temperature: t };
  }

  data(data: Obj, inputShape: Shape | undefined, towers: TowerDraft[]): DataPlan | undefined {
    const raw = own(data, 'data');
    const at = '/data';
    const isMnistShape = (s: Shape | undefined) => !!s && s.length === 3 && s.every((d, i) => d === MULTIMNIST_INPUT_SHAPE[i]);
    if (raw === undefined) {
      if (inputShape && !isMnistShape(inputShape)) {
        this.warn(
          'no-data',
          '/input/shape',
          `the spec has no data: section, so training uses the built-in multimnist demo data, whose images are ${fmt(MULTIMNIST_INPUT_SHAPE)}, not ${fmt(inputShape)}`,
          'add data: { format: jsonl, path: ..., input: ..., targets: { ... } }',
        );
      }
      return { ...TRAINING_DEFAULTS.data };
    }
    if (!isObj(raw)) {
      this.error('invalid-data', at, 'data must be { format, ... }');
      return undefined;
    }
    const format = own(raw, 'format');
    if (typeof format !== 'string' || !(DATA_FORMATS as readonly string[]).includes(format)) {
      this.error('invalid-data-format', `${at}/format`, `data.format must be one of ${DATA_FORMATS.join(', ')}, got ${JSON.stringify(format)}`, typeof format === 'string' ? suggest(format, DATA_FORMATS, 'format') : undefined);
      return undefined;
    }
    let ok = true;
    if (format === 'multimnist') {
      if (inputShape && !isMnistShape(inputShape)) {
        this.warn('data-input-shape', `${at}/format`, `multimnist images are ${fmt(MULTIMNIST_INPUT_SHAPE)}, but input.shape is ${fmt(inputShape)}`, 'use input: { shape: [28, 28, 1] }');
      }
      const plan: { format: 'multimnist'; trainSize?: number; testSize?: number } = { format: 'multimnist' };
      for (const key of ['trainSize', 'testSize'] as const) {
        const v = own(raw, key);
        if (v === undefined) continue;
        if (!isPosInt(v)) {
          this.error('out-of-range', `${at}/${key}`, `data.${key} must be a positive integer, got ${JSON.stringify(v)}`);
          ok = false;
        } else {
          plan[key] = v;
        }
      }
      return ok ? plan : undefined;
    }
    const path = own(raw, 'path');
    if (typeof path !== 'string' || path === '') {
      this.error('missing-data-path', `${at}/path`, `data.path must name the ${format} file`);
      ok = false;
    }
    const inputField = own(raw, 'input');
    const fieldsOk = typeof inputField === 'string' ? inputField !== '' : Array.isArray(inputField) && inputField.length > 0 && inputField.every((f) => typeof f === 'string' && f !== '');
    if (!fieldsOk) {
      this.error('invalid-data-input', `${at}/input`, 'data.input must be a field name (holding an array), or a list of field names (one per value)');
      ok = false;
    } else if (Array.isArray(inputField) && inputShape) {
      const size = inputShape.reduce((p, d) => p * d, 1);
      if (inputField.length !== size) {
        this.error('data-input-size', `${at}/input`, `data.input lists ${plural(inputField.length, 'field')}, but input.shape ${fmt(inputShape)} holds ${size} values`);
        ok = false;
      }
    }
    const targets = own(raw, 'targets');
    const taskNames = towers.map((t) => t.task);
    if (!isObj(targets)) {
      this.error('missing-targets', `${at}/targets`, 'data.targets must map each task to its field', `e.g. targets: { ${taskNames.map((t) => `${t}: ${t}`).join(', ')} }`);
      ok = false;
    } else {
      for (const key of Object.keys(targets)) {
        const p = toPointer(['data', 'targets', key]);
        if (!taskNames.includes(key)) {
          this.keyError('unknown-tower', p, `data.targets names "${key}", which is not a task`, suggest(key, taskNames, 'task'));
          ok = false;
        } else if (typeof targets[key] !== 'string' || targets[key] === '') {
          this.error('invalid-data-target', p, `data.targets.${key} must be a field name`);
          ok = false;
        }
      }
      const missing = taskNames.filter((t) => !Object.prototype.hasOwnProperty.call(targets, t));
      if (missing.length > 0) {
        this.error('missing-target', `${at}/targets`, `data.targets gives no field for ${missing.length === 1 ? 'task' : 'tasks'} ${missing.join(', ')}`, `add ${missing.map((t) => `${t}: <field>`).join(', ')}`);
        ok = false;
      }
    }
    const testPath = own(raw, 'testPath');
    if (testPath !== undefined && (typeof testPath !== 'string' || testPath === '')) {
      this.error('invalid-data', `${at}/testPath`, 'data.testPath must be a file path');
      ok = false;
    }
    if (!ok) return undefined;
    return {
      format: format as 'jsonl' | 'csv',
      path: path as string,
      input: Array.isArray(inputField) ? [...(inputField as string[])] : (inputField as string),
      targets: Object.fromEntries(taskNames.map((t) => [t, (targets as Obj)[t] as string])),
      ...(typeof testPath === 'string' ? { testPath } : {}),
    };
  }
}

const round = (v: number): number => Math.round(v * 1e6) / 1e6;
