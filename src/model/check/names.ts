/**
 * Names the schema's patterns let through but the model cannot use (reserved words, names every
 * JavaScript object has), and the uniqueness of layer names (`layerName`) across the model.
 */
import type { Shape } from '../../layers/kind.js';
import type { Input, MtlSpec } from '../../spec/spec-types.generated.js';
import type { Junction } from '../ir.js';
import { IDENTIFIER, nameProblem, PASCAL_CASE } from '../names.js';
import type { Diagnostics } from './diagnostics.js';
import type { TowerDraft } from './towers.js';

export function checkModelName(spec: MtlSpec, out: Diagnostics): string | undefined {
  const problem = nameProblem(spec.name, 'model name', PASCAL_CASE, 'PascalCase: a capital letter, then letters and digits (e.g. MultiDigit)', 'invalid-model-name');
  if (!problem) return spec.name;
  out.error(problem.code, '/name', problem.message, problem.hint);
  return undefined;
}

export function checkInput(input: Input, out: Diagnostics): { name: string; shape: Shape } | undefined {
  const name = input.name ?? 'input';
  const problem = nameProblem(name, 'input name', IDENTIFIER, 'an identifier (letters, digits and _, not starting with a digit)', 'invalid-input-name');
  if (!problem) {
    // tfjs names tensors after it and refuses a name starting with `_`.
    if (name.startsWith('_')) {
      out.error('invalid-input-name', '/input/name', `input name "${name}": TensorFlow.js refuses tensor names starting with _`, `start it with a letter, e.g. "${name.replace(/^_+/, '') || 'input'}"`);
      return undefined;
    }
    return { name, shape: input.shape };
  }
  out.error(problem.code, '/input/name', problem.message, problem.hint);
  return undefined;
}

/** Layer names must be unique in the model: every target names layers, and weights files their weights, after them. */
export function checkLayerNameCollisions(inputName: string | undefined, towers: readonly TowerDraft[], junctions: readonly Junction[], out: Diagnostics): void {
  const owners = new Map<string, string>();
  const claim = (layerName: string, pointer: string, what: string, atKey = false) => {
    const previous = owners.get(layerName);
    if (previous !== undefined) {
      out.report('error', 'layer-name-collision', pointer, `${what} gets the TensorFlow.js layer name "${layerName}", already taken by ${previous}`, 'rename one of them', atKey);
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
