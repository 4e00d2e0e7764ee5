/**
 * Rendering plain values as Python source: string literals that carry any text inert, numbers
 * as JavaScript prints them (the shortest form that reads back exactly, valid Python too),
 * True/False/None, lists and dicts. Comment text never spans a line. Pure.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Python's keywords (3.8-3.13), soft keywords included: never an attribute or variable name. */
export const PYTHON_KEYWORDS: ReadonlySet<string> = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from global if ' +
    'import in is lambda nonlocal not or pass raise return try while with yield match case type _').split(' '),
);

export function isPythonIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && !PYTHON_KEYWORDS.has(name);
}

/** A single-quoted Python string literal; quotes, backslashes and control/line-separator characters escaped. */
export function pyString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "'") out += "\\'";
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code === 0x2028 || code === 0x2029 || code === 0x85 || (code >= 0xd800 && code <= 0xdfff)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

/** JSON-like data as a Python expression. */
export function pyLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'string':
      return pyString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot render ${String(value)} as a Python literal`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'boolean':
      return value ? 'True' : 'False';
    case 'object':
      if (Array.isArray(value)) return `[${value.map(pyLiteral).join(', ')}]`;
      return `{${Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${pyString(k)}: ${pyLiteral(v)}`)
        .join(', ')}}`;
    default:
      throw new TypeError(`cannot render a ${typeof value} as a Python literal`);
  }
}

/** Text for `# ` comment lines: one comment line per source line, control characters dropped. */
export function pyCommentLines(text: string, indent = ''): string[] {
  return text
    .split(/\r\n|\r|\n|\u2028|\u2029|\u0085/)
    .map((line) => `${indent}# ${line.replace(/[\u0000-\u001f\u007f]/g, ' ')}`.trimEnd());
}
