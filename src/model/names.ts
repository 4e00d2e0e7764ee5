/**
 * Naming rules of the checked model. Task names become TypeScript property names and tfjs layer
 * names, the model name becomes `build${name}` and type names, so both must be plain
 * identifiers that are neither reserved words nor names every JavaScript object already has.
 */
import { closest } from '../spec/suggest.js';

export { closest };

/** ECMAScript reserved words, strict-mode and TypeScript reserved names, and literals. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do',
  'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in',
  'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try',
  'typeof', 'var', 'void', 'while', 'with', 'yield', 'let', 'static', 'implements', 'interface',
  'package', 'private', 'protected', 'public', 'await', 'async', 'arguments', 'eval', 'undefined',
  'NaN', 'Infinity', 'any', 'as', 'boolean', 'declare', 'get', 'infer', 'is', 'keyof', 'module',
  'namespace', 'never', 'number', 'object', 'of', 'readonly', 'require', 'set', 'string',
  'symbol', 'type', 'unique', 'unknown', 'satisfies', 'accessor', 'asserts', 'bigint', 'global',
  'out', 'override', 'abstract', 'constructor',
]);

/** Names every object has through Object.prototype (and the legacy accessors). */
export const OBJECT_PROTOTYPE_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  '__proto__', 'constructor', 'prototype',
]);

export const CAMEL_CASE = /^[a-z][A-Za-z0-9]*$/;
export const PASCAL_CASE = /^[A-Z][A-Za-z0-9]*$/;
/** Layer, junction and input names: an identifier (underscores allowed). */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type NameProblem = { code: string; message: string; hint?: string };

/** Why `name` cannot be used where `what` (e.g. "task name") is expected, or undefined. */
export function nameProblem(
  name: string,
  what: string,
  pattern: RegExp,
  patternWords: string,
  invalidCode: string,
): NameProblem | undefined {
  if (OBJECT_PROTOTYPE_NAMES.has(name)) {
    return {
      code: 'reserved-name',
      message: `${what} "${name}" is the name of a property every JavaScript object has`,
      hint: `rename it, e.g. "${fix(name, pattern)}"`,
    };
  }
  if (!pattern.test(name)) {
    const suggestion = fix(name, pattern);
    return {
      code: invalidCode,
      message: `${what} ${JSON.stringify(name)} must be ${patternWords}`,
      ...(suggestion && pattern.test(suggestion) ? { hint: `did you mean "${suggestion}"?` } : {}),
    };
  }
  if (RESERVED_WORDS.has(name)) {
    return { code: 'reserved-name', message: `${what} "${name}" is a reserved word in JavaScript or TypeScript`, hint: `rename it, e.g. "${name}Task"` };
  }
  return undefined;
}

/** A best-effort rename that fits the pattern (used in hints only). */
function fix(name: string, pattern: RegExp): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  if (words.length === 0) return pattern === PASCAL_CASE ? 'Model' : 'task';
  const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
  let out: string;
  if (pattern === PASCAL_CASE) out = words.map(cap).join('');
  else if (pattern === CAMEL_CASE) out = words[0]!.charAt(0).toLowerCase() + words[0]!.slice(1) + words.slice(1).map(cap).join('');
  else out = words.join('_');
  if (/^[0-9]/.test(out)) out = (pattern === PASCAL_CASE ? 'M' : pattern === CAMEL_CASE ? 't' : '_') + out;
  if (OBJECT_PROTOTYPE_NAMES.has(out) || RESERVED_WORDS.has(out)) out = pattern === PASCAL_CASE ? `${out}Model` : `my${cap(out)}`;
  return out;
}

/** "did you mean X?" or a list of what exists. */
export function suggest(name: string, candidates: readonly string[], noun: string): string {
  const near = closest(name, candidates);
  if (near !== undefined) return `did you mean ${near}?`;
  if (candidates.length === 0) return `there are no ${noun}s`;
  return `${noun}s: ${candidates.join(', ')}`;
}
