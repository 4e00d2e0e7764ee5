/**
 * `checkModel`: the semantic checks of a spec and the checked model (IR) it means. The schema
 * runs first (src/spec/validate-schema.ts); the checks here read the schema-valid, typed spec
 * (`MtlSpec`) and find what a schema cannot: names a pattern lets through but the model cannot
 * use, references between towers and junctions, shapes, and combinations that cannot train.
 * Every problem is a located diagnostic with a stable code, all returned at once; the model is
 * returned only when there is no error (warnings are allowed).
 *
 *   names.ts      model and input names, unique layer names
 *   towers.ts     layers, shape inference through every tower, heads, losses
 *   junctions.ts  junctions: towers, positions, shapes, each kind's own checks, run order
 *   training.ts   training and data sections, with their defaults
 */
import type { LayerRegistry } from '../../layers/kind.js';
import { compareDiagnostics, fromPointer, hasErrors, type Diagnostic } from '../../spec/diagnostic.js';
import type { SpecDocument } from '../../spec/document.js';
import type { MtlSpec } from '../../spec/spec-types.generated.js';
import { validateSchema } from '../../spec/validate-schema.js';
import type { CheckedModel, LayerNode, Tower } from '../ir.js';
import { applyOrder } from '../order.js';
import { Diagnostics } from './diagnostics.js';
import { checkJunctions } from './junctions.js';
import { checkInput, checkLayerNameCollisions, checkModelName } from './names.js';
import { checkTowers } from './towers.js';
import { checkTraining } from './training.js';

export interface CheckResult {
  /** Present when there is no error-severity diagnostic. */
  model?: CheckedModel;
  /** Sorted by position (compareDiagnostics). */
  diagnostics: Diagnostic[];
}

/** Schema validation, then (when the spec is schema-valid) the semantic checks. Never throws for any data. */
export function checkModel(document: SpecDocument, registry: LayerRegistry): CheckResult {
  const schemaDiagnostics = validateSchema(document, registry);
  if (hasErrors(schemaDiagnostics)) return { diagnostics: withSemanticErrors(schemaDiagnostics, document, registry) };
  return checkSpec(document.data as MtlSpec, document, registry);
}

/** Schema errors after which the rest of the spec still has its schema's types (the key is extra). */
const SKIPPABLE_SCHEMA_ERRORS = new Set(['unknown-property']);

/**
 * Every problem at once: when the schema errors are only keys the schema does not know (a misspelt
 * property), the semantic checks run on
 * the spec without those keys, and their findings are reported too, instead of after the next round.
 */
function withSemanticErrors(schemaDiagnostics: Diagnostic[], document: SpecDocument, registry: LayerRegistry): Diagnostic[] {
  const errors = schemaDiagnostics.filter((d) => d.severity === 'error');
  if (!errors.every((d) => SKIPPABLE_SCHEMA_ERRORS.has(d.code))) return schemaDiagnostics;
  const data = structuredClone(document.data) as unknown;
  for (const d of errors) {
    if (d.code !== 'unknown-property') continue;
    const segments = fromPointer(d.path);
    const key = segments.pop();
    let node = data as Record<string, unknown> | undefined;
    for (const s of segments) node = node?.[s] as Record<string, unknown> | undefined;
    if (node && typeof node === 'object' && key !== undefined) delete node[key];
  }
  if (!validateSchema({ ...document, data }, registry).every((d) => d.severity !== 'error' || SKIPPABLE_SCHEMA_ERRORS.has(d.code))) return schemaDiagnostics;
  let semantic: Diagnostic[];
  try {
    semantic = checkSpec(data as MtlSpec, { ...document, data }, registry).diagnostics;
  } catch {
    return schemaDiagnostics; // the semantic checks are only promised schema-valid data
  }
  const seen = new Set(schemaDiagnostics.map((d) => `${d.code} ${d.path}`));
  return [...schemaDiagnostics, ...semantic.filter((d) => d.severity === 'error' && !seen.has(`${d.code} ${d.path}`))].sort(compareDiagnostics);
}

/** The semantic checks of a spec the schema accepted. */
function checkSpec(spec: MtlSpec, document: SpecDocument, registry: LayerRegistry): CheckResult {
  const out = new Diagnostics(document);
  const name = checkModelName(spec, out);
  const input = checkInput(spec.input, out);
  const towers = checkTowers(spec, input?.shape, registry, out);
  const junctions = checkJunctions(spec, towers, registry, out);
  checkLayerNameCollisions(input?.name, towers, junctions, out);
  const training = checkTraining(spec, document.sha256, name, input, towers, out);

  const diagnostics = out.finish();
  if (!name || !input || !training || hasErrors(diagnostics)) return { diagnostics };
  const checkedTowers = towers.map(
    (t): Tower => ({
      task: t.task,
      ...(t.description !== undefined ? { description: t.description } : {}),
      layers: t.nodes.filter((n): n is LayerNode => n !== undefined),
      head: t.head!,
      loss: t.loss,
      lossWeight: t.lossWeight,
      metrics: t.metrics,
    }),
  );
  const model: CheckedModel = {
    specFile: document.file,
    specHash: document.sha256,
    name,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    input,
    towers: checkedTowers,
    junctions,
    order: applyOrder(checkedTowers, junctions),
    training,
  };
  return { model, diagnostics };
}
