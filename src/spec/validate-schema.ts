/**
 * Schema validation of a spec document: ajv (JSON Schema 2020-12, `allErrors`, strict) compiled
 * once per layer registry, and each ajv error turned into a `Diagnostic` a person can act on:
 * located at the offending node (the key itself for an unknown property, the closest existing
 * ancestor for a missing one), worded after what the spec means ("unknown property 'filter' in
 * layer conv1 of tower left"), with "did you mean" hints, one diagnostic per problem.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ACTIVATIONS, LOSSES, METRICS } from '../layers/activations.js';
import type { JsonSchema, LayerRegistry } from '../layers/kind.js';
import { compareDiagnostics, fromPointer, toPointer, type Diagnostic, type SourceRange } from './diagnostic.js';
import type { SpecDocument } from './document.js';
import { buildSpecSchema, DATA_FORMATS, OPTIMIZERS, PATTERNS } from './schema.js';
import { closest, didYouMean } from './suggest.js';

interface Compiled {
  readonly types: string;
  readonly schema: JsonSchema;
  readonly validate: ValidateFunction;
}

const cache = new WeakMap<LayerRegistry, Compiled>();

/** The compiled validator for a registry: compiled once, recompiled only if kinds were added. */
export function compiledSchema(registry: LayerRegistry): Compiled {
  const types = registry.signature();
  const hit = cache.get(registry);
  if (hit && hit.types === types) return hit;
  const schema = buildSpecSchema(registry);
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
  const compiled = { types, schema, validate: ajv.compile(schema) };
  cache.set(registry, compiled);
  return compiled;
}

type AjvError = ErrorObject & { parentSchema?: JsonSchema; schema?: unknown; data?: unknown };

/** Validates the document's data against the spec schema; diagnostics sorted by position. */
export function validateSchema(document: SpecDocument, registry: LayerRegistry): Diagnostic[] {
  const { validate } = compiledSchema(registry);
  if (validate(document.data)) return [];
  // `if` errors only say "must match then": the `then` branch's own errors say what is wrong.
  const raw = ((validate.errors ?? []) as AjvError[]).filter((e) => e.keyword !== 'if');
  const errors = dropTypoedRequired(collapse(raw));
  const context = new Context(document, registry);
  // One problem, one diagnostic: the same code at the same source range is one mistake, even
  // when an alias makes it appear under several pointers (a layer list shared by two towers).
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const error of errors) {
    const d = context.toDiagnostic(error);
    if (!d) continue;
    const key = [d.line, d.column, d.endLine, d.endColumn, d.code].join(':');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out.sort(compareDiagnostics);
}

// ---------------------------------------------------------------------------------------------
// Collapsing ajv's redundant errors: one problem -> one error

const VALUE_KEYWORDS = new Set(['type', 'const', 'enum']);

/**
 * For each failed anyOf/oneOf: when the value's type matches no branch, one `x-alternatives`
 * error; otherwise only the errors of the branch that fits best. A type error at a path hides
 * the other value errors (enum, minimum, pattern, ...) at that same path.
 */
function collapse(input: AjvError[]): AjvError[] {
  let list = input;
  const combinators = list
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  for (const c of combinators) {
    if (!list.includes(c)) continue;
    const prefix = `${c.schemaPath}/`;
    const children = list.filter((e) => e !== c && e.schemaPath.startsWith(prefix) && isWithin(e.instancePath, c.instancePath));
    const branches = new Map<number, AjvError[]>();
    for (const e of children) {
      const index = Number(e.schemaPath.slice(prefix.length).split('/')[0]);
      const group = branches.get(index) ?? [];
      group.push(e);
      branches.set(index, group);
    }
    const drop = new Set<AjvError>([c, ...children]);
    const replacement: AjvError[] = [];
    const passing = (c.params as { passingSchemas?: number[] | null }).passingSchemas;
    if (c.keyword === 'oneOf' && Array.isArray(passing)) {
      replacement.push({ ...c, keyword: 'x-ambiguous' });
    } else {
      const fitting = [...branches.entries()].filter(
        ([, errs]) => !errs.some((e) => e.instancePath === c.instancePath && VALUE_KEYWORDS.has(e.keyword)),
      );
      if (fitting.length === 0 || branches.size === 0) {
        replacement.push({ ...c, keyword: 'x-alternatives' });
      } else {
        // A branch that does not know the object's keys fits worse than one with a bad value.
        const score = (errs: AjvError[]) =>
          errs.reduce((n, e) => n + (e.keyword === 'additionalProperties' && e.instancePath === c.instancePath ? 10 : 1), 0);
        fitting.sort((a, b) => score(a[1]) - score(b[1]) || a[0] - b[0]);
        replacement.push(...fitting[0]![1]);
      }
    }
    list = list.flatMap((e) => (e === c ? replacement : drop.has(e) ? [] : [e]));
  }
  const typed = new Set(list.filter((e) => e.keyword === 'type' || e.keyword === 'x-alternatives').map((e) => e.instancePath));
  return list.filter(
    (e) =>
      e.keyword === 'type' ||
      e.keyword === 'x-alternatives' ||
      !typed.has(e.instancePath) ||
      e.keyword === 'additionalProperties' ||
      e.keyword === 'required',
  );
}

/**
 * A misspelt required property (`filter` for `filters`) is one problem, not two: the unknown
 * property (whose hint names the right spelling) stays, the "missing filters" goes.
 */
function dropTypoedRequired(list: AjvError[]): AjvError[] {
  const unknownAt = new Map<string, string[]>();
  for (const e of list) {
    if (e.keyword !== 'additionalProperties') continue;
    const names = unknownAt.get(e.instancePath) ?? [];
    names.push((e.params as { additionalProperty: string }).additionalProperty);
    unknownAt.set(e.instancePath, names);
  }
  return list.filter((e) => {
    if (e.keyword !== 'required') return true;
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return !(unknownAt.get(e.instancePath) ?? []).some((name) => closest(name, [missing]) === missing);
  });
}

const isWithin = (path: string, ancestor: string): boolean => path === ancestor || path.startsWith(`${ancestor}/`);

// ---------------------------------------------------------------------------------------------
// Words

const article = (word: string): string => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);

/** What a schema accepts, in words: "a positive integer", "one of valid, same", "a list of ...". */
export function describeSchema(schema: unknown, depth = 0): string {
  if (typeof schema !== 'object' || schema === null) return 'a value';
  const s = schema as Record<string, unknown>;
  if ('const' in s) return JSON.stringify(s['const']);
  if (Array.isArray(s['enum'])) {
    const values = s['enum'] as unknown[];
    return values.length <= 8 ? `one of ${values.map((v) => String(v)).join(', ')}` : `one of ${values.length} names`;
  }
  const alternatives = (s['anyOf'] ?? s['oneOf']) as unknown[] | undefined;
  if (s['type'] === undefined && Array.isArray(alternatives) && depth < 2) {
    return [...new Set(alternatives.map((a) => describeSchema(a, depth + 1)))].join(' or ');
  }
  if (typeof s['$ref'] === 'string') {
    const name = s['$ref'].slice(s['$ref'].lastIndexOf('/') + 1);
    return REF_WORDS[name] ?? 'a mapping (key: value)';
  }
  switch (s['type']) {
    case 'integer': {
      const min = s['minimum'];
      const max = s['maximum'];
      if (min === 1 && max === undefined) return 'a positive integer';
      if (min === 0 && max === undefined) return 'a non-negative integer';
      return `an integer${rangeWords(s)}`;
    }
    case 'number':
      return `a number${rangeWords(s)}`;
    case 'boolean':
      return 'true or false';
    case 'string': {
      const pattern = s['pattern'];
      if (pattern === PATTERNS.pascalCase) return 'a PascalCase name';
      if (pattern === PATTERNS.camelCase) return 'a camelCase name';
      if (pattern === PATTERNS.identifier) return 'an identifier';
      return s['minLength'] === 1 ? 'a non-empty string' : 'a string';
    }
    case 'array': {
      const items = depth < 2 ? describeSchema(s['items'], depth + 1) : 'values';
      const min = s['minItems'];
      const max = s['maxItems'];
      const plural = pluralise(items);
      if (min === 1 && max === undefined) return `a non-empty list of ${plural}`;
      const count = min !== undefined && min === max ? `${String(min)} ` : min !== undefined && min !== 0 ? `at least ${String(min)} ` : '';
      return `a list of ${count}${plural}`;
    }
    case 'object':
      return 'a mapping (key: value)';
    default:
      return 'a value';
  }
}

/** Words for the schema's named definitions (singular, with article). */
const REF_WORDS: Record<string, string> = {
  Layer: 'a layer',
  Junction: 'a junction',
  CrossStitch: 'a junction',
  Tower: 'a tower',
  Head: 'a head',
  CrossStitchInit: 'an init',
};

function pluralise(phrase: string): string {
  if (phrase === 'a value') return 'values';
  const ref = Object.values(REF_WORDS).find((w) => w === phrase);
  if (ref) return `${ref.replace(/^an? /, '')}s`;
  return phrase
    .replace(/^an? /, '')
    .replace(/\binteger\b/, 'integers')
    .replace(/\bnumber\b/, 'numbers')
    .replace(/\bstring\b/, 'strings')
    .replace(/\bname\b/, 'names')
    .replace(/\bidentifier\b/, 'identifiers')
    .replace(/^list of/, 'lists of')
    .replace(/^mapping/, 'mappings');
}

function rangeWords(s: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof s['minimum'] === 'number') parts.push(`≥ ${String(s['minimum'])}`);
  if (typeof s['exclusiveMinimum'] === 'number') parts.push(`> ${String(s['exclusiveMinimum'])}`);
  if (typeof s['maximum'] === 'number') parts.push(`≤ ${String(s['maximum'])}`);
  if (typeof s['exclusiveMaximum'] === 'number') parts.push(`< ${String(s['exclusiveMaximum'])}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}

/** A value as a person reads it in a message. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `'${shown}'`;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : String(value).replace('Infinity', '.inf');
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

/** Top-level keys that belong one level down. */
const MISPLACED: Record<string, string> = Object.fromEntries([
  ...['layers', 'head', 'loss', 'lossWeight', 'metrics'].map((k) => [k, `${k} belongs to a tower: towers: { <task>: { ${k}: ... } }`]),
  ...['optimizer', 'batchSize', 'epochs', 'backend', 'seed', 'validationSplit', 'taskWeighting', 'crossStitchLearningRateMultiplier'].map((k) => [
    k,
    `${k} belongs under training: (training: { ${k}: ... })`,
  ]),
  ['junctions', 'junctions are written under crossStitch: (a list)'],
  ['cross_stitch', 'did you mean crossStitch?'],
]);

const BACKEND_HINTS: Record<string, string> = {
  cuda: 'gpu is the CUDA backend (@tensorflow/tfjs-node-gpu)',
  'tfjs-node-gpu': 'gpu is @tensorflow/tfjs-node-gpu',
  'tfjs-node': 'node is @tensorflow/tfjs-node',
  tensorflow: 'node is the native TensorFlow backend (@tensorflow/tfjs-node)',
  webgl: 'webgl is a browser backend; in Node use gpu, node, wasm, cpu or auto',
  webgpu: 'webgpu is a browser backend; in Node use gpu, node, wasm, cpu or auto',
};

const YAML11_BOOLEANS = new Set(['yes', 'no', 'on', 'off', 'y', 'n', 'True', 'False', 'TRUE', 'FALSE', 'Yes', 'No']);

function typeHint(expected: unknown, value: unknown): string | undefined {
  if (typeof value === 'string') {
    if (expected === 'boolean' && YAML11_BOOLEANS.has(value)) return 'write true or false (YAML 1.2 reads yes/no/on/off as text)';
    if ((expected === 'number' || expected === 'integer') && value.trim() !== '' && Number.isFinite(Number(value))) {
      return 'remove the quotes to write a number';
    }
  }
  if (expected === 'object' && value === null) return 'the key has no value; indent the entries under it or write {}';
  if (value === null) return 'the key has no value; write it after the colon';
  if (expected === 'array' && value !== null && typeof value !== 'object') return `write a list, e.g. [${String(value)}]`;
  return undefined;
}

/** Per enum list, the code and the noun of its "unknown ..." message. */
function enumKind(values: readonly unknown[]): { code: string; noun: string; nouns?: string } {
  const same = (list: readonly string[]) => list.length === values.length && list.every((v, i) => v === values[i]);
  if (same(ACTIVATIONS)) return { code: 'unknown-activation', noun: 'activation' };
  if (same(LOSSES)) return { code: 'unknown-loss', noun: 'loss', nouns: 'losses' };
  if (same(METRICS)) return { code: 'unknown-metric', noun: 'metric' };
  if (same(OPTIMIZERS)) return { code: 'unknown-optimizer', noun: 'optimizer' };
  return { code: 'invalid-value', noun: 'value' };
}

function camelCase(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
  const cleaned = joined.replace(/^[0-9]+/, '');
  return cleaned ? cleaned[0]!.toLowerCase() + cleaned.slice(1) : '';
}

function pascalCase(name: string): string {
  const c = camelCase(name);
  return c ? c[0]!.toUpperCase() + c.slice(1) : '';
}

function identifier(name: string): string {
  const c = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[0-9]/.test(c) ? `_${c}` : c;
}

// ---------------------------------------------------------------------------------------------
// Errors -> diagnostics

class Context {
  constructor(
    readonly document: SpecDocument,
    readonly registry: LayerRegistry,
  ) {}

  #at(pointer: string): SourceRange {
    return this.document.locate(pointer);
  }

  #atKey(pointer: string): SourceRange {
    return this.document.locateKey ? this.document.locateKey(pointer) : this.document.locate(pointer);
  }

  #value(segments: readonly string[]): unknown {
    let v: unknown = this.document.data;
    for (const s of segments) {
      if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, s)) return undefined;
      v = (v as Record<string, unknown>)[s];
    }
    return v;
  }

  /** Where a pointer is, in words: "layer conv1 of tower left", "junction #2", "training.optimizer". */
  where(pointer: string): string {
    const s = fromPointer(pointer);
    if (s.length === 0) return 'the top level of the spec';
    if (s[0] === 'towers' && s.length >= 2) {
      const tower = `tower ${s[1]}`;
      if (s.length === 2) return tower;
      if (s[2] === 'layers' && s.length >= 4) {
        const layer = this.#value(s.slice(0, 4)) as { name?: unknown; type?: unknown } | undefined;
        const name = typeof layer?.name === 'string' ? layer.name : `#${Number(s[3]) + 1}${typeof layer?.type === 'string' ? ` (${layer.type})` : ''}`;
        const base = `layer ${name} of ${tower}`;
        return s.length === 4 ? base : `${s.slice(4).join('.')} of ${base}`;
      }
      if (s[2] === 'head') return s.length === 3 ? `the head of ${tower}` : `${s.slice(3).join('.')} of the head of ${tower}`;
      return `${s.slice(2).join('.')} of ${tower}`;
    }
    if (s[0] === 'crossStitch' && s.length >= 2) {
      const junction = this.#value(s.slice(0, 2)) as { name?: unknown } | undefined;
      const name = `junction ${typeof junction?.name === 'string' ? junction.name : `#${Number(s[1]) + 1}`}`;
      return s.length === 2 ? name : `${s.slice(2).join('.')} of ${name}`;
    }
    return s.join('.');
  }

  toDiagnostic(e: AjvError): Diagnostic | undefined {
    const p = e.instancePath;
    const value = e.data;
    const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
    const make = (range: SourceRange, path: string, code: string, message: string, hint?: string): Diagnostic => ({
      file: this.document.file,
      ...range,
      severity: 'error',
      code,
      message,
      path,
      ...(hint ? { hint } : {}),
    });
    const segments = fromPointer(p);

    switch (e.keyword) {
      case 'additionalProperties': {
        const property = (e.params as { additionalProperty: string }).additionalProperty;
        const pointer = `${p}/${escapeSegment(property)}`;
        const allowed = Object.keys((parent['properties'] as object | undefined) ?? {});
        const isInit = /^\/crossStitch\/\d+\/init$/.test(p);
        const init = isInit && value && typeof value === 'object' ? Object.keys(value) : [];
        if (isInit && init.includes('matrix') && (init.includes('self') || init.includes('other'))) {
          return make(
            this.#atKey(pointer),
            pointer,
            'invalid-init',
            `init of ${this.where(parentOf(p))} mixes { self, other } with { matrix }`,
            'write either self and other (the same mix for every tower) or an explicit matrix, not both',
          );
        }
        let hint = didYouMean(property, allowed);
        if (property === '<<') hint = 'a quoted "<<" is an ordinary key; write << unquoted to merge a mapping (<<: *name)';
        if (!hint && p === '') hint = MISPLACED[property];
        if (!hint && allowed.length) hint = `allowed here: ${allowed.join(', ')}`;
        return make(this.#atKey(pointer), pointer, 'unknown-property', `unknown property '${property}' ${this.#in(p)}`, hint);
      }
      case 'required': {
        const property = (e.params as { missingProperty: string }).missingProperty;
        const tag = this.#tagged(p, property);
        if (tag) {
          // No branch applies without the tag, so a misspelt tag key is reported by nothing else.
          const keys = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
          const letters = (w: string) => [...w.toLowerCase()].sort().join('');
          const misspelt = keys.find((k) => k !== property && (closest(k, [property]) === property || letters(k) === letters(property)));
          return make(
            this.#atKey(p),
            `${p}/${property}`,
            'missing-property',
            `${this.where(p)} is missing required property '${property}'`,
            `${misspelt !== undefined ? `'${misspelt}' should be '${property}'; ` : ''}add ${property}: one of ${tag.options.join(', ')}`,
          );
        }
        const schema = (parent['properties'] as Record<string, Record<string, unknown>> | undefined)?.[property];
        const description = typeof schema?.['description'] === 'string' ? (schema['description'] as string) : undefined;
        const expected = schema ? describeSchema(schema) : undefined;
        return make(
          this.#atKey(p),
          `${p}/${escapeSegment(property)}`,
          'missing-property',
          `${this.where(p)} is missing required property '${property}'`,
          `add ${property}${expected && expected !== 'a value' ? ` (${expected})` : ''}${description ? `: ${description}` : ''}`,
        );
      }
      case 'type': {
        const expected = describeSchema(parent);
        const layer = /^\/towers\/[^/]+\/layers\/\d+$/.test(p);
        return make(
          this.#at(p),
          p,
          'invalid-type',
          `${this.#subject(p)}: expected ${layer ? 'a layer, a mapping with a type' : expected}, got ${describeValue(value)}`,
          layer ? 'write a layer as { type: dense, units: 10 } (or as an indented block of keys)' : typeHint(e.params['type'], value),
        );
      }
      case 'x-alternatives':
        return make(
          this.#at(p),
          p,
          'invalid-type',
          `${this.#subject(p)}: expected ${describeSchema(parent)}, got ${describeValue(value)}`,
          /^\/crossStitch\/\d+\/init$/.test(p) && Array.isArray(value)
            ? 'an explicit α matrix goes under matrix: init: { matrix: [[0.9, 0.1], [0.1, 0.9]] } (one row per stitched tower)'
            : undefined,
        );
      case 'x-ambiguous':
        return make(this.#at(p), p, 'invalid-value', `${this.#subject(p)} matches more than one form; write one of: ${describeSchema(parent)}`);
      case 'const': {
        if (p === '/version') {
          return make(
            this.#at(p),
            p,
            'unsupported-version',
            `unsupported spec version ${describeValue(value)}; this mtlc reads version 1`,
            value === '1' ? 'write version: 1 (a number, without quotes)' : 'write version: 1',
          );
        }
        return make(this.#at(p), p, 'invalid-value', `${this.#subject(p)}: expected ${JSON.stringify(e.params['allowedValue'])}, got ${describeValue(value)}`);
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        const tag = this.#tagged(parentOf(p), p.slice(p.lastIndexOf('/') + 1));
        if (tag) {
          const hint = typeof value === 'string' ? didYouMean(value, tag.options) : undefined;
          return make(
            this.#at(p),
            p,
            tag.isLayer ? 'unknown-layer-type' : 'unknown-data-format',
            tag.isLayer ? `unknown layer type ${describeValue(value)} ${this.#in(parentOf(p))}` : `unknown data format ${describeValue(value)}`,
            hint ?? `known ${tag.isLayer ? 'layer types' : 'formats'}: ${tag.options.join(', ')}`,
          );
        }
        const kind = enumKind(allowed);
        const hint = typeof value === 'string' ? didYouMean(value, allowed.map(String)) : undefined;
        const list = allowed.map(String).join(', ');
        if (kind.noun !== 'value') {
          return make(this.#at(p), p, kind.code, `unknown ${kind.noun} ${describeValue(value)} ${this.#in(parentOf(p))}`, hint ?? `TensorFlow.js ${kind.nouns ?? `${kind.noun}s`}: ${list}`);
        }
        return make(
          this.#at(p),
          p,
          kind.code,
          `${this.#subject(p)}: expected one of ${list}, got ${describeValue(value)}`,
          hint ?? (p === '/training/backend' && typeof value === 'string' ? BACKEND_HINTS[value.toLowerCase()] : undefined),
        );
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const expected = describeSchema(parent);
        return make(this.#at(p), p, 'out-of-range', `${this.#subject(p)}: expected ${expected}, got ${describeValue(value)}`);
      }
      case 'multipleOf':
        return make(this.#at(p), p, 'out-of-range', `${this.#subject(p)}: ${e.message ?? 'invalid'}`);
      case 'minItems':
      case 'maxItems': {
        const limit = (e.params as { limit: number }).limit;
        const count = Array.isArray(value) ? value.length : 0;
        const bound = e.keyword === 'minItems' ? `at least ${limit}` : `at most ${limit}`;
        const what = p.endsWith('/towers') && segments[0] === 'crossStitch' ? 'towers (a junction stitches two or more)' : `item${limit === 1 ? '' : 's'}`;
        return make(this.#at(p), p, 'invalid-length', `${this.#subject(p)}: expected ${bound} ${what}, got ${count}`);
      }
      case 'minProperties':
      case 'maxProperties': {
        const limit = (e.params as { limit: number }).limit;
        const count = value && typeof value === 'object' ? Object.keys(value).length : 0;
        const what = p === '/towers' ? `tower${limit === 1 ? '' : 's'}` : `entr${limit === 1 ? 'y' : 'ies'}`;
        return make(
          this.#at(p),
          p,
          'invalid-length',
          `${this.#subject(p)}: expected ${e.keyword === 'minProperties' ? 'at least' : 'at most'} ${limit} ${what}, got ${count}`,
        );
      }
      case 'minLength':
        return make(this.#at(p), p, 'invalid-value', `${this.#subject(p)} must not be empty`);
      case 'uniqueItems': {
        const params = e.params as { i: number; j: number };
        const [first, second] = [Math.min(params.i, params.j), Math.max(params.i, params.j)];
        const items = Array.isArray(value) ? value : [];
        return make(
          this.#at(`${p}/${second}`),
          `${p}/${second}`,
          'duplicate-item',
          `${this.#subject(p)}: ${describeValue(items[second])} appears twice (items ${first + 1} and ${second + 1})`,
          'remove the repeated entry',
        );
      }
      case 'pattern':
        return this.#pattern(e, p, value, make);
      case 'propertyNames':
        // Its pattern error (carrying `propertyName`) says it better.
        return undefined;
      default:
        return make(this.#at(p), p, 'schema-violation', `${this.where(p)}: ${e.message ?? 'invalid'}`);
    }
  }

  /** The tag of a tagged union at `pointer` (a layer's `type`, the data's `format`), with its values. */
  #tagged(pointer: string, property: string): { isLayer: boolean; options: readonly string[] } | undefined {
    if (property === 'type' && /^\/towers\/[^/]+\/layers\/\d+$/.test(pointer)) return { isLayer: true, options: this.registry.types() };
    if (property === 'format' && pointer === '/data') return { isLayer: false, options: DATA_FORMATS };
    return undefined;
  }

  /** "in layer conv1 of tower left", or "at the top level of the spec". */
  #in(pointer: string): string {
    return pointer === '' ? 'at the top level of the spec' : `in ${this.where(pointer)}`;
  }

  /** The subject of a value message: "lossWeight of tower left", "training.batchSize". */
  #subject(pointer: string): string {
    return this.where(pointer);
  }

  #pattern(
    e: AjvError,
    p: string,
    value: unknown,
    make: (range: SourceRange, path: string, code: string, message: string, hint?: string) => Diagnostic,
  ): Diagnostic {
    const pattern = (e.params as { pattern: string }).pattern;
    const propertyName = (e as { propertyName?: string }).propertyName;
    const name = propertyName ?? (typeof value === 'string' ? value : String(value));
    const pointer = propertyName !== undefined ? `${p}/${escapeSegment(propertyName)}` : p;
    const range = propertyName !== undefined ? this.#atKey(pointer) : this.#at(p);
    if (pattern === PATTERNS.pascalCase) {
      const fix = pascalCase(name);
      return make(range, pointer, 'invalid-name', `model name '${name}' must be PascalCase (letters and digits, starting with a capital)`, fix ? `did you mean ${fix}?` : undefined);
    }
    if (pattern === PATTERNS.camelCase) {
      const fix = camelCase(name);
      return make(
        range,
        pointer,
        'invalid-name',
        `task name '${name}' must be a camelCase identifier (letters and digits, starting with a lower-case letter)`,
        fix && fix !== name ? `did you mean ${fix}?` : undefined,
      );
    }
    if (pattern === PATTERNS.identifier) {
      const fix = identifier(name);
      const what = p.endsWith('/after') || /\/after\/[^/]+$/.test(p) ? 'layer name' : 'name';
      return make(
        range,
        pointer,
        'invalid-name',
        `${what} '${name}' in ${this.where(propertyName !== undefined ? p : parentOf(p))} is not an identifier (letters, digits and _, not starting with a digit)`,
        fix && fix !== name ? `did you mean ${fix}?` : undefined,
      );
    }
    return make(range, pointer, 'invalid-value', `${this.where(p)}: ${describeValue(value)} does not match ${pattern}`);
  }
}

function parentOf(pointer: string): string {
  return pointer.slice(0, Math.max(0, pointer.lastIndexOf('/')));
}

const escapeSegment = (segment: string): string => toPointer([segment]).slice(1);

