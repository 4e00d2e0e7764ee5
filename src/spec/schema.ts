/**
 * The JSON Schema (2020-12) of a spec, assembled from a layer registry: the spec language's own
 * sections (input, towers, crossStitch, training, data) plus one object schema per layer kind.
 * `schemas/mtl-spec.schema.json` is this function's output for the built-in kinds (a test fails
 * when the two drift; regenerate with `npx mtlc schema > schemas/mtl-spec.schema.json`).
 *
 * Plain JSON Schema 2020-12, no vendor keywords, so every consumer (ajv strict, other validators,
 * the YAML language server) reads all of it. A tagged union (layers by `type`, data by `format`)
 * is an `enum` of the tags plus one `if: { tag: const } then: { $ref }` per tag: a validator
 * applies only the branch the tag names, so a mistake inside a layer gives that layer's errors
 * and nothing else, an unknown tag gives one `enum` error (src/spec/validate-schema.ts turns it
 * into "did you mean"), and an editor completes every tag from the enum.
 *
 * `buildEditorSchema` is the same schema plus the YAML language server's `patternErrorMessage`
 * on names (a readable message instead of the regex); ajv's strict mode refuses that unknown
 * keyword, so it lives in its own file, `schemas/mtl-spec.editor.schema.json`, the one modelines use.
 */
import { ACTIVATIONS, LOSSES, METRICS } from '../layers/activations.js';
import type { JunctionKind } from '../junctions/kind.js';
import type { JsonSchema, LayerKind, LayerRegistry } from '../layers/kind.js';

export const SCHEMA_ID = 'https://mtlc.dev/schemas/mtl-spec.schema.json';

/** Identifier patterns, shared with the messages of validate-schema.ts. */
export const PATTERNS = {
  /** Model name: the builder becomes `build${name}`. */
  pascalCase: '^[A-Z][A-Za-z0-9]*$',
  /** Task names: object keys of the model's outputs and TypeScript property names. */
  camelCase: '^[a-z][A-Za-z0-9]*$',
  /** Layer, junction and input names. */
  identifier: '^[A-Za-z_][A-Za-z0-9_]*$',
} as const;

/** What an editor says when a name breaks its pattern (mtlc's own messages: validate-schema.ts). */
const PATTERN_MESSAGES: Record<string, string> = {
  [PATTERNS.pascalCase]: 'Must be PascalCase: letters and digits, starting with a capital letter (e.g. MultiDigit).',
  [PATTERNS.camelCase]: 'Must be a camelCase task name: letters and digits, starting with a lower-case letter (e.g. leftDigit).',
  [PATTERNS.identifier]: 'Must be an identifier: letters, digits and _, not starting with a digit (e.g. conv1).',
};

export const EDITOR_SCHEMA_ID = 'https://mtlc.dev/schemas/mtl-spec.editor.schema.json';

/** `buildSpecSchema` plus `patternErrorMessage` beside each name pattern, for the YAML language server. */
export function buildEditorSchema(registry: LayerRegistry): JsonSchema {
  const annotate = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(annotate);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] = key === 'const' || key === 'default' || key === 'enum' ? value : annotate(value);
      const message = key === 'pattern' && typeof value === 'string' ? PATTERN_MESSAGES[value] : undefined;
      if (message) out['patternErrorMessage'] = message;
    }
    return out;
  };
  return { ...(annotate(buildSpecSchema(registry)) as JsonSchema), $id: EDITOR_SCHEMA_ID };
}

export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adamax', 'adadelta'] as const;
export const BACKENDS = ['gpu', 'node', 'wasm', 'cpu', 'auto'] as const;
export const CROSS_STITCH_MODES = ['channel', 'scalar', 'unit'] as const;
export const TASK_WEIGHTINGS = ['fixed', 'uncertainty', 'dwa'] as const;
export const DATA_FORMATS = ['multimnist', 'jsonl', 'csv'] as const;

/** `$defs` name of a layer kind's object schema, e.g. `Conv2dLayer`. */
export const layerDefName = (type: string): string => `${type[0]!.toUpperCase()}${type.slice(1)}Layer`;

const ref = (name: string, description?: string): JsonSchema => ({ $ref: `#/$defs/${name}`, ...(description ? { description } : {}) });

const taskName: JsonSchema = {
  type: 'string',
  pattern: PATTERNS.camelCase,
  description: 'A task name (a key of `towers`): camelCase identifier.',
};

const layerName: JsonSchema = {
  type: 'string',
  pattern: PATTERNS.identifier,
  description: 'A layer name: identifier, unique within its tower.',
};

function layerSchema(kind: LayerKind): JsonSchema {
  return {
    title: layerDefName(kind.type),
    type: 'object',
    description: kind.description,
    properties: {
      type: { const: kind.type, description: `The layer kind: ${kind.type}.` },
      name: {
        ...layerName,
        description:
          'Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.',
      },
      ...kind.properties,
    },
    required: ['type', ...(kind.required ?? [])],
    additionalProperties: false,
  };
}

/** `$defs` name of a junction kind's object schema: `CrossStitch` (the default kind, as ever), `SluiceJunction`, ... */
export const junctionDefName = (kind: string): string => (kind === 'crossStitch' ? 'CrossStitch' : `${kind[0]!.toUpperCase()}${kind.slice(1)}Junction`);

function junctionSchema(kind: JunctionKind, isDefault: boolean): JsonSchema {
  return {
    title: junctionDefName(kind.kind),
    type: 'object',
    description: kind.description,
    properties: {
      kind: { const: kind.kind, description: `The junction kind: ${kind.kind}${isDefault ? ' (the default)' : ''}.` },
      name: {
        type: 'string',
        pattern: PATTERNS.identifier,
        description: 'Name of the junction (an identifier). Default: stitch1, stitch2, ... by position.',
      },
      after: {
        description: 'Where the junction sits: a layer name found in every stitched tower, or one layer name per tower ({ task: layer }).',
        anyOf: [
          { ...layerName, description: 'A layer name present in every stitched tower.' },
          {
            type: 'object',
            description: 'The layer after which the junction sits, per task.',
            propertyNames: taskName,
            additionalProperties: layerName,
            minProperties: 2,
          },
        ],
      },
      towers: {
        type: 'array',
        description: 'The stitched tasks (at least two). Default: the keys of `after` when it is a map, else every tower.',
        items: taskName,
        minItems: 2,
        uniqueItems: true,
      },
      ...kind.properties,
      trainable: { type: 'boolean', default: true, description: 'Whether the junction learns (false keeps its parameters at their initial values).' },
    },
    required: ['after', ...(kind.required ?? [])],
    additionalProperties: false,
  };
}

/** The schema of a spec for the layer and junction kinds of `registry` (deterministic: registration order). */
export function buildSpecSchema(registry: LayerRegistry): JsonSchema {
  const kinds = registry.list();
  const junctionKinds = registry.junctionKinds();
  const junctionDefs: Record<string, JsonSchema> = {};
  junctionKinds.forEach((k, i) => (junctionDefs[junctionDefName(k.kind)] = junctionSchema(k, i === 0)));
  const layerDefs: Record<string, JsonSchema> = {};
  for (const kind of kinds) layerDefs[layerDefName(kind.type)] = layerSchema(kind);

  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'MtlSpec',
    description:
      'A multi-task network with cross-stitch units (Misra et al., CVPR 2016), compiled by mtlc to TensorFlow.js code.',
    type: 'object',
    properties: {
      version: { const: 1, description: 'Version of the spec language; this schema describes version 1.' },
      name: {
        type: 'string',
        pattern: PATTERNS.pascalCase,
        description: 'Name of the model in PascalCase; the generated builder is `build<Name>()`.',
      },
      description: { type: 'string', description: 'What the model does, in a sentence; copied into the generated code as a comment.' },
      input: ref('Input', 'The model input: its name and its shape without the batch axis.'),
      towers: {
        type: 'object',
        description:
          'One tower per task, keyed by the task name (camelCase identifier). The order is kept: it is the order of the model outputs.',
        propertyNames: taskName,
        additionalProperties: ref('Tower'),
        minProperties: 1,
      },
      crossStitch: {
        type: 'array',
        description: 'Junctions, each mixing the activations of two or more towers after a layer: crossStitch (default), sluice, nddr, or a plugin kind (`kind:`).',
        items: ref('Junction'),
        default: [],
      },
      training: ref('Training', 'Training defaults: backend, optimizer, α learning-rate multiplier, batch size, epochs, task weighting.'),
      data: ref('Data', 'Training data: the built-in multimnist demo (default) or a jsonl / csv file.'),
    },
    required: ['version', 'name', 'input', 'towers'],
    additionalProperties: false,
    $defs: {
      Input: {
        title: 'Input',
        type: 'object',
        description: 'The model input, shared by every tower.',
        properties: {
          name: { type: 'string', pattern: PATTERNS.identifier, default: 'input', description: 'Name of the input (an identifier).' },
          shape: {
            type: 'array',
            description: 'Shape of one example, without the batch axis, e.g. [28, 28, 1] for an image or [24] for features.',
            items: { type: 'integer', minimum: 1 },
            minItems: 1,
            maxItems: 4,
          },
        },
        required: ['shape'],
        additionalProperties: false,
      },
      Tower: {
        title: 'Tower',
        type: 'object',
        description: "A task's tower: a stack of layers, then a dense head whose output is the task's prediction.",
        properties: {
          description: { type: 'string', description: 'What the task predicts.' },
          layers: {
            type: 'array',
            description: 'The layers of the tower, applied in order to the model input.',
            items: ref('Layer'),
            minItems: 1,
          },
          head: ref('Head', "The task's output layer: a dense layer named after the task."),
          loss: {
            type: 'string',
            enum: [...LOSSES],
            description: 'The loss of the task, by its TensorFlow.js name (e.g. categoricalCrossentropy, meanSquaredError).',
          },
          lossWeight: {
            type: 'number',
            minimum: 0,
            default: 1,
            description: 'Weight of the task loss in the total loss (with taskWeighting fixed).',
          },
          metrics: {
            type: 'array',
            description: 'Metrics reported for the task, by their TensorFlow.js names.',
            items: { type: 'string', enum: [...METRICS] },
            uniqueItems: true,
            default: [],
          },
        },
        required: ['layers', 'head', 'loss'],
        additionalProperties: false,
      },
      Head: {
        title: 'Head',
        type: 'object',
        description: "The task's output layer: a dense layer named after the task.",
        properties: {
          units: { type: 'integer', minimum: 1, description: 'Width of the output (e.g. the number of classes).' },
          activation: {
            type: 'string',
            enum: [...ACTIVATIONS],
            default: 'linear',
            description: 'Activation of the output, e.g. softmax for classes, sigmoid for a probability, linear for regression.',
          },
          useBias: { type: 'boolean', default: true, description: 'Whether the head adds a learned bias vector.' },
        },
        required: ['units'],
        additionalProperties: false,
      },
      Layer: taggedUnion(
        'Layer',
        `A layer, chosen by its \`type\`: ${kinds.map((k) => k.type).join(', ')}.`,
        'type',
        'The layer kind.',
        kinds.map((k) => [k.type, layerDefName(k.type)]),
      ),
      ...layerDefs,
      Junction: {
        title: 'Junction',
        type: 'object',
        description: `A junction, chosen by its \`kind\` (default ${junctionKinds[0]!.kind}): ${junctionKinds.map((k) => k.kind).join(', ')}.`,
        properties: { kind: { type: 'string', enum: junctionKinds.map((k) => k.kind), default: junctionKinds[0]!.kind, description: 'The junction kind.' } },
        // The default kind's branch applies when `kind` is left out.
        allOf: junctionKinds.map((k, i) => ({
          if: { properties: { kind: { const: k.kind } }, ...(i === 0 ? {} : { required: ['kind'] }) },
          then: ref(junctionDefName(k.kind)),
        })),
      },
      ...junctionDefs,
      CrossStitchInit: {
        title: 'CrossStitchInit',
        description:
          'Initial α: self weight on the diagonal and other/(N−1) off it (rows are convex combinations), or an explicit N×N matrix (towers in spec order). Default { self: 0.9, other: 0.1 }; unit mode starts from the identity.',
        default: { self: 0.9, other: 0.1 },
        oneOf: [
          {
            title: 'CrossStitchConvexInit',
            type: 'object',
            description: 'Self and other weights.',
            properties: {
              self: { type: 'number', minimum: 0, maximum: 1, default: 0.9, description: 'α_S: weight of a tower on its own activation.' },
              other: {
                type: 'number',
                minimum: 0,
                maximum: 1,
                default: 0.1,
                description: 'α_D: total weight on the other towers, shared equally among them.',
              },
            },
            additionalProperties: false,
          },
          {
            title: 'CrossStitchMatrixInit',
            type: 'object',
            description: 'An explicit α matrix: row i holds the weights tower i gives to each stitched tower.',
            properties: {
              matrix: {
                type: 'array',
                description: 'N rows of N numbers, towers in spec order.',
                items: { type: 'array', items: { type: 'number' }, minItems: 2 },
                minItems: 2,
              },
            },
            required: ['matrix'],
            additionalProperties: false,
          },
        ],
      },
      Training: {
        title: 'Training',
        type: 'object',
        description: 'Training defaults; the CLI and the generated train entrypoint can override them.',
        properties: {
          backend: {
            type: 'string',
            enum: [...BACKENDS],
            default: 'auto',
            description:
              'gpu: @tensorflow/tfjs-node-gpu; node: @tensorflow/tfjs-node; wasm: @tensorflow/tfjs-backend-wasm; cpu: plain JavaScript; auto: the first of those that loads.',
          },
          optimizer: ref('Optimizer', 'The optimizer of the tower weights; α gets its own state and learning rate.'),
          crossStitchLearningRateMultiplier: {
            type: 'number',
            exclusiveMinimum: 0,
            default: 100,
            description:
              "Learning rate of the cross-stitch α relative to the towers' (the paper uses 10²–10³); α has its own optimizer state, so this holds for every optimizer. Default 100, or 10 (then 1) where the measured stability rule says 100 diverges (a unit junction under momentum SGD or Adam-like optimizers, Adam at 0.01).",
          },
          batchSize: { type: 'integer', minimum: 1, default: 32, description: 'Examples per training step.' },
          epochs: { type: 'integer', minimum: 1, default: 10, description: 'Passes over the training data.' },
          validationSplit: {
            type: 'number',
            minimum: 0,
            exclusiveMaximum: 1,
            default: 0,
            description: 'Fraction of the training data held out for validation, in [0, 1).',
          },
          seed: { type: 'integer', minimum: 0, default: 42, description: 'Seed of weight initialisation, shuffling and demo data.' },
          taskWeighting: ref('TaskWeighting', 'How the task losses are combined (default: fixed lossWeight per task).'),
        },
        additionalProperties: false,
      },
      Optimizer: {
        title: 'Optimizer',
        type: 'object',
        description: 'The optimizer of the tower weights (α uses the same kind, with its own learning rate and state).',
        properties: {
          type: {
            type: 'string',
            enum: [...OPTIMIZERS],
            default: 'sgd',
            description: 'The TensorFlow.js optimizer; sgd with momentum > 0 becomes momentum.',
          },
          learningRate: {
            type: 'number',
            exclusiveMinimum: 0,
            description:
              'Learning rate of the tower weights. Default by type: sgd 0.01, momentum 0.01, adam 0.001, rmsprop 0.001, adagrad 0.01, adamax 0.002, adadelta 0.001.',
          },
          momentum: {
            type: 'number',
            minimum: 0,
            exclusiveMaximum: 1,
            default: 0,
            description: 'Momentum (sgd, momentum, rmsprop), in [0, 1).',
          },
          beta1: {
            type: 'number',
            minimum: 0,
            exclusiveMaximum: 1,
            default: 0.9,
            description: 'Decay of the first moment estimate (adam, adamax), in [0, 1).',
          },
          beta2: {
            type: 'number',
            minimum: 0,
            exclusiveMaximum: 1,
            default: 0.999,
            description: 'Decay of the second moment estimate (adam, adamax), in [0, 1).',
          },
          epsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-7, description: 'Small constant for numerical stability.' },
          rho: {
            type: 'number',
            minimum: 0,
            exclusiveMaximum: 1,
            default: 0.9,
            description: 'Decay of the squared-gradient average (rmsprop: 0.9, adadelta: 0.95 in tfjs), in [0, 1).',
          },
          decay: { type: 'number', minimum: 0, default: 0, description: 'Learning-rate decay per step (adamax), ≥ 0.' },
        },
        additionalProperties: false,
      },
      TaskWeighting: {
        title: 'TaskWeighting',
        type: 'object',
        description: 'How task losses are combined into the total loss.',
        properties: {
          type: {
            type: 'string',
            enum: [...TASK_WEIGHTINGS],
            default: 'fixed',
            description:
              'fixed: each task loss times its lossWeight; uncertainty: learned homoscedastic uncertainty weights (Kendall et al. 2018); dwa: dynamic weight average (Liu et al. 2019).',
          },
          temperature: { type: 'number', exclusiveMinimum: 0, default: 2, description: 'Temperature T of dwa.' },
        },
        additionalProperties: false,
      },
      Data: taggedUnion(
        'Data',
        'Where the training data comes from: the built-in MultiMNIST demo (the default when `data` is absent), or a JSON Lines / CSV file.',
        'format',
        'multimnist: the built-in demo data; jsonl: JSON Lines file; csv: CSV file with a header row.',
        [
          ['multimnist', 'MultiMnistData'],
          ['jsonl', 'JsonlData'],
          ['csv', 'CsvData'],
        ],
      ),
      MultiMnistData: {
        title: 'MultiMnistData',
        type: 'object',
        description: 'Built-in demo data: two MNIST digits overlaid on one 28×28 image, one task per digit (left, right).',
        properties: {
          format: { const: 'multimnist', description: 'The built-in MultiMNIST demo data.' },
          trainSize: { type: 'integer', minimum: 1, default: 6000, description: 'Training examples to draw.' },
          testSize: { type: 'integer', minimum: 1, default: 1000, description: 'Test examples to draw (from digits not used for training).' },
          placement: {
            type: 'string',
            enum: ['fixed', 'senerKoltun', 'random'],
            default: 'fixed',
            description:
              'Where the two digits sit on the 36×36 canvas, i.e. how much they overlap: fixed: (0,0) and (8,8), about 7 % of a digit\'s ink under the other; senerKoltun: (0,0) and (6,6) as Sener & Koltun 2018, about 14 %; random: random shifts as Sabour et al. 2017, the first digit at 0..4 and the second at 4..8 on each axis (so the first stays up-left), about 22 %.',
          },
          distinctClasses: { type: 'boolean', default: false, description: 'Redraw the second digit until its class differs from the first (as Sabour et al. 2017).' },
          labelFraction: {
            type: 'object',
            description:
              'Partially labelled training data: per task, the share of training examples that carry its label, in (0, 1] (default 1). A seeded subset per task; the other examples give that task no loss. The test part stays fully labelled.',
            additionalProperties: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'Share of training examples labelled for this task.' },
          },
        },
        required: ['format'],
        additionalProperties: false,
      },
      JsonlData: fileData('jsonl', 'JsonlData', 'JSON Lines: one object per line, with the input field(s) and a field per task.'),
      CsvData: fileData('csv', 'CsvData', 'CSV with a header row: the input column(s) and a column per task.'),
    },
  };
}

/**
 * An object chosen by its `tag` property: the tag is an enum of every value (what editors
 * complete), and each value applies its own definition through if/then (what validators check).
 */
function taggedUnion(title: string, description: string, tag: string, tagDescription: string, branches: readonly (readonly [string, string])[]): JsonSchema {
  return {
    title,
    type: 'object',
    description,
    properties: { [tag]: { type: 'string', enum: branches.map(([value]) => value), description: tagDescription } },
    required: [tag],
    allOf: branches.map(([value, def]) => ({
      if: { properties: { [tag]: { const: value } }, required: [tag] },
      then: ref(def),
    })),
  };
}

function fileData(format: 'jsonl' | 'csv', title: string, description: string): JsonSchema {
  return {
    title,
    type: 'object',
    description,
    properties: {
      format: { const: format, description },
      path: { type: 'string', minLength: 1, description: 'Training data file, relative to the spec file.' },
      input: {
        description: 'The field holding the input (an array of numbers), or one field per input value, in order.',
        anyOf: [
          { type: 'string', minLength: 1, description: 'One field holding the whole input.' },
          { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: 'One field per input value.' },
        ],
      },
      targets: {
        type: 'object',
        description: 'For each task, the field holding its target.',
        propertyNames: taskName,
        additionalProperties: { type: 'string', minLength: 1, description: 'Field name.' },
      },
      testPath: { type: 'string', minLength: 1, description: 'Test data file in the same format, relative to the spec file.' },
    },
    required: ['format', 'path', 'input', 'targets'],
    additionalProperties: false,
  };
}
