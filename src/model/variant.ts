/**
 * Architecture variants of one spec (baselines): pure IR -> IR transforms, so a baseline is built
 * from the same checked model the compiler emits. `cross-stitch` is the spec as written, its
 * junctions of whichever kinds; `independent` drops every junction; `shared` shares one trunk up
 * to the last junction position with separate task heads after it (the paper's "MTL-shared");
 * `split:<layer>` shares up to and including `<layer>` and keeps towers separate after it;
 * `single-task:<task>` keeps one tower.
 */
import type { CheckedModel, LayerNode, Tower } from './ir.js';
import { closest } from './names.js';
import { applyOrder } from './order.js';

export type Variant =
  | { readonly kind: 'cross-stitch' }
  | { readonly kind: 'independent' }
  | { readonly kind: 'shared' }
  | { readonly kind: 'split'; readonly layer: string }
  | { readonly kind: 'single-task'; readonly task: string };

export const VARIANT_FORMS = ['cross-stitch', 'independent', 'shared', 'split:<layer>', 'single-task:<task>'] as const;

/** A variant string that does not fit the model; `message` names the valid choices. */
export class VariantError extends Error {
  override readonly name = 'VariantError';
}

/** The variant string as written on the command line (`split:pool2`), for messages and file names. */
export function variantText(v: Variant): string {
  return v.kind === 'split' ? `split:${v.layer}` : v.kind === 'single-task' ? `single-task:${v.task}` : v.kind;
}

/** Layers every tower has at the same index with the same type, config and input (shareable). */
function shareableLayers(model: CheckedModel): string[] {
  const [first, ...rest] = model.towers;
  if (!first) return [];
  const out: string[] = [];
  for (const node of first.layers) {
    if (!rest.every((t) => sameLayer(node, t.layers[node.index]))) break;
    out.push(node.name);
  }
  return out;
}

function sameLayer(a: LayerNode, b: LayerNode | undefined): boolean {
  return (
    b !== undefined &&
    a.name === b.name &&
    a.type === b.type &&
    JSON.stringify(a.config) === JSON.stringify(b.config) &&
    JSON.stringify(a.inputShape) === JSON.stringify(b.inputShape)
  );
}

/** All valid variant strings for `model` (what an error lists). */
export function variantChoices(model: CheckedModel): string[] {
  return [
    'cross-stitch',
    'independent',
    ...(model.towers.length > 1 && 'layer' in sharedTrunk(model) ? ['shared'] : []),
    ...(model.towers.length > 1 ? shareableLayers(model).map((l) => `split:${l}`) : []),
    ...model.towers.map((t) => `single-task:${t.task}`),
  ];
}

/** Parses and checks a variant string against the model; throws `VariantError` naming the choices. */
export function parseVariant(text: string, model: CheckedModel): Variant {
  const choices = variantChoices(model);
  const fail = (why: string, wrong?: string, within: readonly string[] = choices): never => {
    const near = wrong !== undefined ? closest(wrong, within) : undefined;
    throw new VariantError(`${why}${near !== undefined ? ` (did you mean ${near}?)` : ''}; valid variants for ${model.name}: ${choices.join(', ')}`);
  };
  const t = text.trim();
  const colon = t.indexOf(':');
  const kind = colon < 0 ? t : t.slice(0, colon);
  const arg = colon < 0 ? undefined : t.slice(colon + 1);
  if ((kind === 'cross-stitch' || kind === 'independent' || kind === 'shared') && arg !== undefined) {
    fail(`variant '${text}': '${kind}' takes no argument`);
  }
  switch (kind) {
    case 'cross-stitch':
    case 'independent':
      return { kind };
    case 'shared': {
      const trunk = sharedTrunk(model);
      if ('why' in trunk) fail(trunk.why);
      return { kind };
    }
    case 'split': {
      if (!arg) return fail(`variant '${text}': name the last shared layer, e.g. split:${shareableLayers(model)[0] ?? '<layer>'}`);
      const shareable = shareableLayers(model);
      if (model.towers.length < 2) fail(`variant '${text}': ${model.name} has one tower, nothing to share`);
      if (!shareable.includes(arg)) {
        const inFirst = model.towers[0]?.layers.some((l) => l.name === arg);
        fail(
          inFirst
            ? `variant '${text}': the towers differ at or before layer '${arg}', so it cannot be shared`
            : `variant '${text}': no layer '${arg}' in tower ${model.towers[0]?.task}`,
          arg,
          shareable,
        );
      }
      return { kind: 'split', layer: arg };
    }
    case 'single-task': {
      const tasks = model.towers.map((x) => x.task);
      if (!arg || !tasks.includes(arg)) return fail(`variant '${text}': ${arg ? `no task '${arg}'` : 'name the task'}`, arg, tasks);
      return { kind: 'single-task', task: arg };
    }
    default:
      return fail(`unknown variant '${text}'`, kind, ['cross-stitch', 'independent', 'shared', 'split', 'single-task']);
  }
}

/**
 * The end of the `shared` trunk: the layer after the deepest junction, which must be shareable;
 * or why the model has none (what `parseVariant` says, and why `variantChoices` leaves it out).
 */
function sharedTrunk(model: CheckedModel): { layer: string } | { why: string } {
  const shareable = shareableLayers(model);
  if (shareable.length === 0) return { why: `variant 'shared': the towers of ${model.name} have no common first layer to share` };
  const first = model.towers[0];
  if (!first || model.junctions.length === 0) return { why: `variant 'shared': ${model.name} has no junction to place the shared trunk's end` };
  let deepest = -1;
  for (const j of model.junctions) {
    for (const [task, at] of Object.entries(j.after)) {
      const name = model.towers.find((t) => t.task === task)?.layers[at.index]?.name;
      const index = first.layers.findIndex((l) => l.name === name);
      deepest = Math.max(deepest, index);
    }
  }
  const layer = first.layers[deepest]?.name;
  if (layer === undefined || !shareable.includes(layer)) {
    return { why: `variant 'shared': the towers differ before the last junction (at '${layer ?? '?'}'); use split:<layer> with one of ${shareable.join(', ')}` };
  }
  return { layer };
}

/** The model as the variant builds it. Layer names are kept, so weights carry over by name. */
export function applyVariant(model: CheckedModel, variant: Variant): CheckedModel {
  switch (variant.kind) {
    case 'cross-stitch':
      return model;
    case 'independent':
      return { ...model, junctions: [], order: applyOrder(model.towers, []) };
    case 'single-task': {
      const towers = model.towers.filter((t) => t.task === variant.task);
      if (towers.length !== 1) throw new VariantError(`no task '${variant.task}' in ${model.name}`);
      return {
        ...model,
        towers,
        junctions: [],
        order: applyOrder(towers, []),
        training: {
          ...model.training,
          tasks: model.training.tasks.filter((t) => t.name === variant.task),
          // The built-in MultiMNIST matches tasks to digits by their position in the spec.
          data: model.training.data.format === 'multimnist' ? { ...model.training.data, specTasks: model.towers.map((t) => t.task) } : model.training.data,
        },
      };
    }
    case 'shared': {
      const trunk = sharedTrunk(model);
      if ('why' in trunk) throw new VariantError(trunk.why);
      return shareUpTo(model, trunk.layer);
    }
    case 'split':
      return shareUpTo(model, variant.layer);
  }
}

/** Towers after the first reuse its layers 0..`layer` (inclusive); no junctions. */
function shareUpTo(model: CheckedModel, layer: string): CheckedModel {
  const [first, ...rest] = model.towers;
  const end = first?.layers.findIndex((l) => l.name === layer) ?? -1;
  if (!first || end < 0 || !shareableLayers(model).includes(layer)) throw new VariantError(`layer '${layer}' cannot be shared in ${model.name}`);
  const share = (tower: Tower): Tower => ({
    ...tower,
    layers: tower.layers.map((node, i) =>
      i <= end ? { ...node, params: 0, sharedFrom: { task: first.task, layerName: first.layers[i]!.layerName } } : node,
    ),
  });
  const towers = [first, ...rest.map(share)];
  return { ...model, towers, junctions: [], order: applyOrder(towers, []) };
}

/** Trainable parameters of the model as built (shared layers counted once). */
export function modelParams(model: CheckedModel): number {
  return (
    model.towers.reduce((sum, t) => sum + t.layers.reduce((s, l) => s + l.params, 0) + t.head.params, 0) +
    model.junctions.reduce((s, j) => s + j.params, 0)
  );
}
