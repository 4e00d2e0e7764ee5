/**
 * Loading a spec: bytes or text -> `SpecDocument` (plain data + a map from JSON pointers back to
 * source ranges), or located diagnostics. Parsing is safe: size, encoding and binary checks come
 * before YAML; duplicate keys, several documents, alias cycles and alias bombs are errors; merge
 * keys (`<<: *base`) are applied here, the mapping's own keys winning; the
 * plain data is built here from the YAML AST (never `toJS`), so a `__proto__` key is an own
 * property and never touches a prototype.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import {
  Alias,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Document,
  type Node as YamlNode,
  type YAMLError,
} from 'yaml';
import { toPointer, type Diagnostic, type SourceRange } from './diagnostic.js';
import type { SpecDocument } from './document.js';

/** Specs larger than this are refused before parsing (a spec is a few kilobytes). */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Aliases a spec may use (each `*name`); far above any real spec. */
export const MAX_ALIASES = 100;
/** Nesting depth of the data (a spec needs about 6). */
export const MAX_DEPTH = 64;
/** Nodes the plain data may hold once aliases are expanded (guards against "billion laughs"). */
export const MAX_EXPANDED_NODES = 100_000;

export interface LoadResult {
  /** Present when the text parsed into one YAML document (it may still be schema-invalid). */
  document?: SpecDocument;
  /** The decoded text, when the input passed the size and encoding checks (for code frames). */
  text?: string;
  diagnostics: Diagnostic[];
}

interface Located {
  /** Range of the value node. */
  value: SourceRange;
  /** Range of the key, for object members. */
  key?: SourceRange;
}

const WHOLE_FILE: SourceRange = { line: 1, column: 1, endLine: 1, endColumn: 2 };

function diagnostic(file: string, range: SourceRange, code: string, message: string, path = '', hint?: string): Diagnostic {
  return { file, ...range, severity: 'error', code, message, path, ...(hint ? { hint } : {}) };
}

/** Byte offset of the first byte that is not part of valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let extra: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      extra = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      extra = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      extra = 3;
      min = 0x10000;
    } else {
      return i;
    }
    if (i + extra >= bytes.length) return i;
    let cp = b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += extra + 1;
  }
  return -1;
}

/** 1-based line and column (in characters) of a byte offset in valid UTF-8 bytes before it. */
function bytePosition(bytes: Uint8Array, offset: number): SourceRange {
  const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
  const lines = before.split('\n');
  const line = lines.length;
  const column = lines[lines.length - 1]!.length + 1;
  return { line, column, endLine: line, endColumn: column + 1 };
}

function positionOfIndex(text: string, index: number): SourceRange {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  const column = index - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column, endLine: line, endColumn: column + 1 };
}

/** Checks on the raw input: size, binary content, encoding. Returns the text or diagnostics. */
function decode(input: string | Uint8Array, file: string): { text: string } | { diagnostics: Diagnostic[] } {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > MAX_SPEC_BYTES) {
    return { diagnostics: [tooLarge(file, size)] };
  }
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    const bytes = input;
    const utf16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
    const nul = bytes.indexOf(0);
    if (nul >= 0 || utf16) {
      return {
        diagnostics: [
          diagnostic(
            file,
            nul >= 0 && !utf16 ? bytePosition(bytes, nul) : WHOLE_FILE,
            utf16 ? 'invalid-utf8' : 'binary-file',
            utf16 ? 'the file is UTF-16 text; a spec must be UTF-8' : 'the file looks binary (it contains a NUL byte); a spec is UTF-8 YAML text',
            '',
            utf16 ? 're-save the file as UTF-8' : 'check that you passed the spec file and not a model or data file',
          ),
        ],
      };
    }
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      const offset = firstInvalidUtf8(bytes);
      const at = offset >= 0 ? bytePosition(bytes, offset) : WHOLE_FILE;
      return {
        diagnostics: [
          diagnostic(
            file,
            at,
            'invalid-utf8',
            `the file is not valid UTF-8${offset >= 0 ? ` (byte 0x${bytes[offset]!.toString(16).padStart(2, '0')} at offset ${offset})` : ''}`,
            '',
            'save the spec as UTF-8 (Latin-1 and Windows-1252 files are not accepted)',
          ),
        ],
      };
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    return {
      diagnostics: [
        diagnostic(file, positionOfIndex(text, nul), 'binary-file', 'the text contains a NUL character; a spec is YAML text', '', 'check that you passed the spec file'),
      ],
    };
  }
  return { text };
}

const YAML_CODES: Partial<Record<YAMLError['code'], { code: string; hint?: string }>> = {
  DUPLICATE_KEY: { code: 'duplicate-key', hint: 'a key may appear once per mapping; remove or rename one of them' },
  TAB_AS_INDENT: { code: 'tab-indentation', hint: 'YAML indents with spaces; replace the tab with spaces' },
  MULTIPLE_DOCS: { code: 'multiple-documents', hint: 'a spec is one YAML document; put each spec in its own file' },
  BAD_ALIAS: { code: 'undefined-alias' },
  RESOURCE_EXHAUSTION: { code: 'alias-bomb' },
  TAG_RESOLVE_FAILED: { code: 'unsupported-tag', hint: 'remove the tag (a spec uses plain YAML values)' },
  NON_STRING_KEY: { code: 'invalid-key' },
};

/** JSON pointer of the deepest node of the AST whose source contains `offset` ('' if none). */
function pointerAt(doc: Document.Parsed, offset: number): string {
  const segments: (string | number)[] = [];
  const within = (node: unknown): boolean => {
    const r = (node as { range?: [number, number, number] } | null)?.range;
    return !!r && offset >= r[0] && offset < Math.max(r[2], r[1]);
  };
  let node: unknown = doc.contents;
  for (let depth = 0; depth < 1000 && node; depth++) {
    if (isMap(node)) {
      const pair = node.items.find((p) => within(p.key) || within(p.value));
      if (!pair) break;
      const key = isScalar(pair.key) && pair.key.value != null ? String(pair.key.value) : '';
      segments.push(key);
      if (within(pair.key)) break;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => within(item));
      if (index < 0) break;
      segments.push(index);
      node = node.items[index];
    } else break;
  }
  return toPointer(segments);
}

/**
 * The flow collection (`{` or `[`) that an "end with a } / ]" error is about: the innermost one of
 * that kind whose source stops where the error is. Its opening bracket is where the mistake is
 * (the parser reports the line after it).
 */
function unclosedFlow(doc: Document.Parsed, error: YAMLError): { open: number; end: number; bracket: string } | undefined {
  const closing = /end with an? ([}\]])/.exec(error.message)?.[1];
  if (error.code !== 'BAD_INDENT' || !closing) return undefined;
  let found: [number, number] | undefined;
  visit(doc, {
    Collection(_key, node) {
      const r = node.range;
      const kind = isMap(node) ? '}' : ']';
      if (!node.flow || !r || kind !== closing) return;
      if (r[0] < error.pos[0] && (r[1] === error.pos[0] || r[2] === error.pos[0]) && (found === undefined || r[0] > found[0])) found = [r[0], r[1]];
    },
  });
  return found === undefined ? undefined : { open: found[0], end: found[1], bracket: closing === '}' ? '{' : '[' };
}

function yamlDiagnostic(error: YAMLError, text: string, file: string, lc: LineCounter, severity: 'error' | 'warning', doc?: Document.Parsed): Diagnostic {
  const unclosed = doc ? unclosedFlow(doc, error) : undefined;
  if (unclosed) {
    const start = lc.linePos(unclosed.open);
    const close = unclosed.bracket === '{' ? '}' : ']';
    // The parser stops at the first under-indented line; a closing bracket on that line means
    // the collection is closed but its continuation is not indented enough.
    const lineEnd = text.indexOf('\n', unclosed.end);
    const closed = text.slice(unclosed.end, lineEnd < 0 ? text.length : lineEnd).includes(close);
    return {
      file,
      line: start.line,
      column: start.col,
      endLine: start.line,
      endColumn: start.col + 1,
      severity,
      code: 'yaml-syntax',
      message: closed
        ? `YAML syntax error: the lines that continue this ${unclosed.bracket}...${close} must be indented more than the key it belongs to`
        : `YAML syntax error: this ${unclosed.bracket} is never closed with ${close}`,
      path: pointerAt(doc!, unclosed.open),
      hint: closed ? 'indent the continuation lines, or write the collection on one line' : `add the ${close} at the end of the ${unclosed.bracket === '{' ? 'mapping' : 'list'}`,
    };
  }
  // An error reported at the indentation of a line is about what follows it.
  let from = error.pos[0];
  if (error.code !== 'TAB_AS_INDENT') while (text[from] === ' ' && from < error.pos[1] + 200) from++;
  if (text[from] === '\n' || from >= text.length) from = error.pos[0];
  const start = lc.linePos(from);
  const token = /^[^\s:,[\]{}]+/.exec(text.slice(from, from + 200))?.[0].length ?? 1;
  const end = lc.linePos(Math.max(error.pos[1], from + token));
  const mapped =
    error.code === 'RESOURCE_EXHAUSTION' && /call stack/i.test(error.message)
      ? { code: 'too-deep', hint: `a spec nests a few levels deep; this one nests too deep to read` }
      : YAML_CODES[error.code];
  // With prettyErrors the message carries " at line L, column C:" and a code frame: keep the
  // first sentence only (the formatters draw their own frame).
  let message = error.message.split(/ at line \d+, column \d+/)[0]!.trim();
  if (error.code === 'TAB_AS_INDENT') message = 'tab character used for indentation';
  if (mapped?.code === 'too-deep') message = 'the document nests too deep to read';
  if (error.code === 'DUPLICATE_KEY') {
    const key = /^[^\s:,{}[\]]+|^"[^"\n]*"|^'[^'\n]*'/.exec(text.slice(error.pos[0]))?.[0];
    if (key) message = `duplicate key ${key.startsWith('"') || key.startsWith("'") ? key : `'${key}'`}: keys must be unique in a mapping`;
  }
  message = message.charAt(0).toLowerCase() + message.slice(1);
  const sameLine = end.line === start.line;
  const hint =
    mapped?.hint ??
    (/end with a [}\]]/.test(message)
      ? 'a { or [ opened before this point is not closed: check the lines above'
      : /single line|compact mappings/.test(message)
        ? 'check the line above for a missing comma, colon, or closing bracket'
        : undefined);
  return {
    file,
    line: start.line,
    column: start.col,
    endLine: end.line,
    endColumn: sameLine ? Math.max(end.col, start.col + 1) : end.col,
    severity,
    code: mapped?.code ?? 'yaml-syntax',
    message: mapped ? message : `YAML syntax error: ${message}`,
    path: doc ? pointerAt(doc, error.pos[0]) : '',
    ...(hint ? { hint } : {}),
  };
}

class LoadError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

/** Builds plain data from the YAML AST, recording the source range of every pointer. */
class Builder {
  readonly locations = new Map<string, Located>();
  /** Duplicate keys found while building (all of them, once per source position). */
  readonly duplicates: Diagnostic[] = [];
  #aliases = 0;
  #nodes = 0;
  readonly #resolving = new Set<YamlNode>();

  constructor(
    readonly file: string,
    readonly lc: LineCounter,
    readonly doc: Document.Parsed,
  ) {}

  range(node: { range?: [number, number, number] | null | undefined } | null | undefined): SourceRange {
    const r = node?.range;
    if (!r) return WHOLE_FILE;
    const start = this.lc.linePos(r[0]);
    const end = this.lc.linePos(Math.max(r[1], r[0] + 1));
    return { line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
  }

  #record(segments: (string | number)[], value: SourceRange, key?: SourceRange): void {
    const pointer = toPointer(segments);
    // Through an alias the same pointer is never reached twice; keep the first (source) range.
    if (!this.locations.has(pointer)) this.locations.set(pointer, key ? { value, key } : { value });
  }

  build(node: unknown, segments: (string | number)[], keyRange?: SourceRange): unknown {
    if (++this.#nodes > MAX_EXPANDED_NODES) {
      throw new LoadError(
        diagnostic(
          this.file,
          this.range(node as YamlNode),
          'alias-bomb',
          `the document expands to more than ${MAX_EXPANDED_NODES} values through its aliases`,
          toPointer(segments),
          'aliases that nest aliases multiply; a spec needs only a few',
        ),
      );
    }
    if (segments.length > MAX_DEPTH) {
      throw new LoadError(
        diagnostic(
          this.file,
          this.range(node as YamlNode),
          'too-deep',
          `the document nests deeper than ${MAX_DEPTH} levels`,
          toPointer(segments.slice(0, MAX_DEPTH)),
          'a spec nests a few levels deep; check for runaway brackets or indentation',
        ),
      );
    }
    if (node === null || node === undefined) {
      this.#record(segments, keyRange ?? WHOLE_FILE, keyRange);
      return null;
    }
    if (isAlias(node)) return this.#alias(node, segments, keyRange);
    const here = this.range(node as YamlNode);
    this.#record(segments, here, keyRange);
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value === 'bigint') return Number(value);
      if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
      return value === undefined ? null : value;
    }
    if (isSeq(node)) {
      return node.items.map((item, index) => this.build(item, [...segments, index]));
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const seen = new Map<string, SourceRange>();
      // Keys the mapping sets itself win over keys merged in with `<<` (YAML merge keys).
      const own = new Set(node.items.filter((p) => isPair(p) && !isMergeKey(p.key)).map((p) => this.#key((p as { key: unknown }).key, segments)));
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        if (isMergeKey(pair.key)) {
          this.#merge(pair.value, segments, own, out);
          continue;
        }
        const key = this.#key(pair.key, segments);
        const kRange = pair.key ? this.range(pair.key as YamlNode) : here;
        const first = seen.get(key);
        if (first) {
          this.duplicates.push(
            diagnostic(
              this.file,
              kRange,
              'duplicate-key',
              `duplicate key '${key}': keys must be unique in a mapping (first at line ${first.line})`,
              toPointer([...segments, key]),
              'a key may appear once per mapping; remove or rename one of them',
            ),
          );
          continue;
        }
        seen.set(key, kRange);
        const value = this.build(pair.value, [...segments, key], kRange);
        // defineProperty: `__proto__` (or `constructor`) becomes an own, plain data property.
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    throw new LoadError(diagnostic(this.file, here, 'yaml-syntax', 'unsupported YAML node', toPointer(segments)));
  }

  /**
   * `<<: *base` or `<<: [*a, *b]`: copies the entries of the merged mappings that `own` does not
   * set and that an earlier merge has not set, located where they are written (in the anchor).
   */
  #merge(value: unknown, segments: (string | number)[], own: ReadonlySet<string>, out: Record<string, unknown>): void {
    const sources = isSeq(value) ? value.items : [value];
    for (const source of sources) {
      const target = isAlias(source) ? this.#aliasTarget(source, segments) : source;
      if (!isMap(target)) {
        throw new LoadError(
          diagnostic(
            this.file,
            this.range((source ?? value) as YamlNode),
            'invalid-merge',
            'a merge key (<<) takes a mapping, an alias of one (*name), or a list of aliases',
            toPointer(segments),
            'write `<<: *name` where `&name` anchors a mapping',
          ),
        );
      }
      this.#resolving.add(target);
      try {
        for (const pair of target.items) {
          if (!isPair(pair)) continue;
          if (isMergeKey(pair.key)) {
            this.#merge(pair.value, segments, own, out);
            continue;
          }
          const key = this.#key(pair.key, segments);
          if (own.has(key) || Object.prototype.hasOwnProperty.call(out, key)) continue;
          const built = this.build(pair.value, [...segments, key], pair.key ? this.range(pair.key as YamlNode) : undefined);
          Object.defineProperty(out, key, { value: built, enumerable: true, writable: true, configurable: true });
        }
      } finally {
        this.#resolving.delete(target);
      }
    }
  }

  #key(key: unknown, segments: (string | number)[]): string {
    const resolved = isAlias(key) ? key.resolve(this.doc) : key;
    if (isScalar(resolved)) {
      const v = resolved.value;
      if (v === null || v === undefined) return '';
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    }
    throw new LoadError(
      diagnostic(
        this.file,
        this.range(key as YamlNode),
        'invalid-key',
        'a key must be a plain name, not a list or a mapping',
        toPointer(segments),
        'write keys as plain words, e.g. `units: 10`',
      ),
    );
  }

  #alias(alias: Alias, segments: (string | number)[], keyRange?: SourceRange): unknown {
    const target = this.#aliasTarget(alias, segments);
    this.#resolving.add(target);
    try {
      // Located at the anchored node it resolves to (SpecDocument.locate's contract).
      return this.build(target, segments, keyRange);
    } finally {
      this.#resolving.delete(target);
    }
  }

  /** The node an alias stands for, counted against the alias budget; cycles are errors. */
  #aliasTarget(alias: Alias, segments: (string | number)[]): YamlNode {
    if (++this.#aliases > MAX_ALIASES) {
      throw new LoadError(
        diagnostic(
          this.file,
          this.range(alias),
          'alias-bomb',
          `the document expands more than ${MAX_ALIASES} aliases`,
          toPointer(segments),
          'a spec needs only a few aliases (e.g. one per shared list of layers)',
        ),
      );
    }
    const target = alias.resolve(this.doc);
    if (!target) {
      throw new LoadError(
        diagnostic(this.file, this.range(alias), 'undefined-alias', `alias *${alias.source} refers to no anchor &${alias.source} before it`, toPointer(segments)),
      );
    }
    if (this.#resolving.has(target)) {
      throw new LoadError(
        diagnostic(this.file, this.range(alias), 'alias-cycle', `alias *${alias.source} refers to a node that contains it`, toPointer(segments)),
      );
    }
    return target as YamlNode;
  }
}

/** A plain `<<` key (a quoted '<<' is an ordinary key). */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && key.value === '<<' && key.type === 'PLAIN';
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function parentPointer(pointer: string): string | undefined {
  if (pointer === '') return undefined;
  return pointer.slice(0, pointer.lastIndexOf('/'));
}

/** Parses a spec (text or raw bytes). Never throws for any input. */
export function loadSpecText(input: string | Uint8Array, file: string): LoadResult {
  const decoded = decode(input, file);
  if ('diagnostics' in decoded) return decoded;
  const { text } = decoded;

  const lc = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter: lc,
    prettyErrors: true,
    // Duplicate keys are found by the builder in linear time (yaml's own check is quadratic).
    uniqueKeys: false,
    merge: false,
    strict: true,
    version: '1.2',
    schema: 'core',
    intAsBigInt: false,
  });
  const list = Array.isArray(docs) ? docs : [];
  const diagnostics: Diagnostic[] = [];

  if (list.length > 1) {
    const second = list[1]!;
    const start = lc.linePos(second.range[0]);
    diagnostics.push(
      diagnostic(
        file,
        { line: start.line, column: start.col, endLine: start.line, endColumn: start.col + 3 },
        'multiple-documents',
        `the file holds ${list.length} YAML documents; a spec is exactly one`,
        '',
        'remove the `---` separator and what follows, or put each spec in its own file',
      ),
    );
  }
  const doc = list[0];
  if (!doc || doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && !doc.errors.length)) {
    if (diagnostics.length === 0) {
      diagnostics.push(
        diagnostic(file, WHOLE_FILE, 'empty-file', 'the spec is empty', '', 'start from `mtlc init`, or see the spec language in the README (schemas/mtl-spec.schema.json is the reference)'),
      );
    }
    return { text, diagnostics };
  }
  for (const d of list) {
    // The parser's first syntax error (a tab in the indentation included) is the real one; the
    // next syntax errors usually follow from it.
    let syntax = 0;
    for (const error of d.errors) {
      const mapped = yamlDiagnostic(error, text, file, lc, 'error', d);
      if (mapped.code === 'yaml-syntax' && syntax > 0) continue;
      if (mapped.code === 'yaml-syntax' || mapped.code === 'tab-indentation') syntax++;
      diagnostics.push(mapped);
    }
    for (const warning of d.warnings) diagnostics.push(yamlDiagnostic(warning, text, file, lc, 'warning', d));
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { text, diagnostics };

  const builder = new Builder(file, lc, doc);
  let data: unknown;
  try {
    data = builder.build(doc.contents, []);
  } catch (error) {
    if (error instanceof LoadError) return { text, diagnostics: [...diagnostics, error.diagnostic] };
    throw error;
  }
  if (builder.duplicates.length) {
    const unique = new Map(builder.duplicates.map((d) => [`${d.line}:${d.column}`, d]));
    return { text, diagnostics: [...diagnostics, ...unique.values()] };
  }
  const locations = builder.locations;
  const locateEntry = (pointer: string): Located => {
    for (let p: string | undefined = pointer; p !== undefined; p = parentPointer(p)) {
      const hit = locations.get(p);
      if (hit) return hit;
    }
    return { value: WHOLE_FILE };
  };
  const document: SpecDocument = {
    file,
    text,
    sha256: sha256(text),
    data,
    locate: (pointer) => ({ ...locateEntry(pointer).value }),
    locateKey: (pointer) => {
      const hit = locations.get(pointer);
      return { ...(hit?.key ?? locateEntry(pointer).value) };
    },
  };
  return { document, text, diagnostics };
}

/**
 * Reads and parses a spec file. An unreadable path is a diagnostic with code `io-error` (the CLI
 * exits 2 for it); a file over 1 MiB is refused before it is read.
 */
export function loadSpecFile(path: string, file: string = path): LoadResult {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      return {
        diagnostics: [diagnostic(file, WHOLE_FILE, 'io-error', `${file} is a directory, not a spec file`, '', `pass the spec files, e.g. ${file.replace(/\/$/, '')}/*.yaml`)],
      };
    }
    if (stat.size > MAX_SPEC_BYTES) return { diagnostics: [tooLarge(file, stat.size)] };
    const bytes = readAtMost(path, MAX_SPEC_BYTES, stat.isFIFO());
    if (!bytes) return { diagnostics: [tooLarge(file)] };
    if (bytes.length === 0 && stat.isFIFO()) {
      return { diagnostics: [diagnostic(file, WHOLE_FILE, 'io-error', `cannot read ${file}: it is a named pipe with no writer`, '', 'pass the spec file itself')] };
    }
    return loadSpecText(bytes, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : code === 'EAGAIN'
              ? `it is a pipe that gave no data for ${PIPE_IDLE_MS / 1000} s`
              : (error as Error).message;
    return { diagnostics: [diagnostic(file, WHOLE_FILE, 'io-error', `cannot read ${file}: ${reason}`)] };
  }
}

/**
 * The bytes of a file, or undefined past `limit`: a device or pipe (/dev/urandom, /dev/stdin)
 * reports size 0 to stat and may never end.
 */
function readAtMost(path: string, limit: number, pipe = false): Uint8Array | undefined {
  // A named pipe opened normally blocks until a writer comes, maybe never: open it non-blocking
  // and give up when no data comes for PIPE_IDLE_MS (a pipe with a writer, `<(cmd)`, still works).
  const fd = openSync(path, pipe ? constants.O_RDONLY | constants.O_NONBLOCK : 'r');
  try {
    const chunks: Buffer[] = [];
    const chunk = Buffer.alloc(64 * 1024);
    let total = 0;
    let idle = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || idle >= PIPE_IDLE_MS) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        idle += 10;
        continue;
      }
      idle = 0;
      if (n === 0) return Buffer.concat(chunks, total);
      total += n;
      if (total > limit) return undefined;
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
}

const PIPE_IDLE_MS = 5000;

function tooLarge(file: string, size?: number): Diagnostic {
  return diagnostic(
    file,
    WHOLE_FILE,
    'file-too-large',
    `the file is ${size === undefined ? 'more than 1 MiB' : `${(size / 1024 / 1024).toFixed(1)} MiB`}; a spec may be at most 1 MiB`,
    '',
    'is this the right file? A spec describes towers and junctions in a few kilobytes',
  );
}
