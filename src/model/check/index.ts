/**
 * `checkModel`: the semantic checks of a spec and the checked model (IR) it means. The schema
 * runs first (src/spec/validate-schema.ts); the checks here read the schema-valid, typed spec
 * (`MtlSpec`) and find what a schema cannot: names a pattern lets through but the model cannot
 * use, references between towers and junctions, shapes, and combinations that cannot train.
 * Every problem is a located diagnostic with a stable code, all returned at once; the model is
 * returned only when there is no error (warnings are allowed).
 *
 *   names.ts      model and input names, unique TensorFlow.js layer names
 *   towers.ts     layers, shape inference through every tower, heads, losses
 *   junctions.ts  junctions: towers, positions, shapes, init, run order
 *   training.ts   training and data sections, with their defaults
 */
import type { LayerRegistry } from '../../layers/kind.js';
import { hasErrors, type Diagnostic } from '../../spec/diagnostic.js';
import type { SpecDocument } from '../../spec/document.js';
import type { MtlSpec } from '../../spec/spec-types.generated.js';
import { validateSchema } from '../../spec/validate-schema.js';
import type { CheckedModel, LayerNode, Tower } from '../ir.js';
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
  if (hasErrors(schemaDiagnostics)) return { diagnostics: schemaDiagnostics };
  return checkSpec(document.data as MtlSpec, document, registry);
}

/** The semantic checks of a spec the schema accepted. */
function checkSpec(spec: MtlSpec, document: SpecDocument, registry: LayerRegistry): CheckResult {
  const out = new Diagnostics(document);
  const name = checkModelName(spec, out);
  const input = checkInput(spec.input, out);
  const towers = checkTowers(spec, input?.shape, registry, out);
  const junctions = checkJunctions(spec, towers, out);
  checkLayerNameCollisions(input?.name, towers, junctions, out);
  const training = checkTraining(spec, document.sha256, name, input, towers, out);

  const diagnostics = out.finish();
  if (!name || !input || !training || hasErrors(diagnostics)) return { diagnostics };
  const model: CheckedModel = {
    specFile: document.file,
    specHash: document.sha256,
    name,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
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
  return { model, diagnostics };
}
