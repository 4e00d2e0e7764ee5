/**
 * Rendering plain values as TypeScript source: string literals that carry any text inert
 * (quotes, backslashes, newlines, U+2028/U+2029, `${`), object keys quoted unless they are plain
 * identifiers, and text for comments with `*\/` escaped. Pure; no ts-morph. The tfjs target
 * writes its files with these; every target's header names the spec with `lineCommentText`.
 */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A single-quoted string literal; every character that could end or alter it is escaped. */
export function stringLiteral(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "'") out += "\\'";
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff)) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}'`;
}

/** An object key: bare when it is an identifier, else a string literal. */
export function propertyKey(key: string): string {
  return IDENTIFIER.test(key) ? key : stringLiteral(key);
}

/** Renders JSON-like data (strings, finite numbers, booleans, null, arrays, plain objects). */
export function literal(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return stringLiteral(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot render ${String(value)} as a literal`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'boolean':
      return String(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      if (entries.length === 0) return '{}';
      return `{ ${entries.map(([k, v]) => `${propertyKey(k)}: ${literal(v)}`).join(', ')} }`;
    }
    default:
      throw new TypeError(`cannot render a ${typeof value} as a literal`);
  }
}

/**
 * Like `literal`, but an object or array whose one-line form would pass `width` columns is
 * broken into one member per line, indented by two spaces per level.
 */
export function prettyLiteral(value: unknown, indent = 0, width = 100): string {
  const flat = literal(value);
  if (indent + flat.length <= width || value === null || typeof value !== 'object') return flat;
  const pad = ' '.repeat(indent + 2);
  const end = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return flat;
    return `[\n${value.map((v) => `${pad}${prettyLiteral(v, indent + 2, width)},`).join('\n')}\n${end}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${pad}${propertyKey(k)}: ${prettyLiteral(v, indent + 2, width - propertyKey(k).length - 2)},`).join('\n')}\n${end}}`;
}

/** Text for a JSDoc or block comment: `*\/` cannot close it, line separators become newlines. */
export function commentText(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .replace(/\*\//g, '*\\/')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '?');
}

/** Text for a `//` comment: one line, with anything unusual rendered as a string literal. */
export function lineCommentText(text: string): string {
  return /^[\w./@+\- ]*$/.test(text) ? text : stringLiteral(text);
}
