/**
 * The checker's diagnostic collector: every check reports here, located through the spec
 * document; `finish` merges the diagnostics a YAML alias repeats and sorts them.
 */
import type { Shape } from '../../layers/kind.js';
import { compareDiagnostics, type Diagnostic, type Severity } from '../../spec/diagnostic.js';
import type { SpecDocument } from '../../spec/document.js';

export class Diagnostics {
  readonly list: Diagnostic[] = [];

  constructor(readonly document: SpecDocument) {}

  report(severity: Severity, code: string, pointer: string, message: string, hint?: string, atKey = false): void {
    let range = { line: 1, column: 1, endLine: 1, endColumn: 1 };
    try {
      range = atKey && this.document.locateKey ? this.document.locateKey(pointer) : this.document.locate(pointer);
    } catch {
      // a document that cannot locate a pointer still gets the diagnostic, at the top
    }
    this.list.push({
      file: this.document.file,
      ...range,
      severity,
      code,
      message,
      path: pointer,
      ...(hint !== undefined ? { hint } : {}),
    });
  }

  error(code: string, pointer: string, message: string, hint?: string): void {
    this.report('error', code, pointer, message, hint);
  }

  /** An error about a member's key (a task name): points at the key where the document can. */
  keyError(code: string, pointer: string, message: string, hint?: string): void {
    this.report('error', code, pointer, message, hint, true);
  }

  warn(code: string, pointer: string, message: string, hint?: string): void {
    this.report('warning', code, pointer, message, hint);
  }

  hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }

  /** The diagnostics, aliased repeats merged, sorted by position. */
  finish(): Diagnostic[] {
    mergeAliased(this.list);
    return this.list.sort(compareDiagnostics);
  }
}

/**
 * Towers that share layers through a YAML alias (`layers: *lenet`) break at the same source
 * position: one diagnostic naming every tower instead of one per tower.
 */
function mergeAliased(diagnostics: Diagnostic[]): void {
  const towerOf = / of tower "([^"]+)"/;
  const groups = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    if (!towerOf.test(d.message)) continue;
    const key = [d.code, d.severity, d.line, d.column, d.endLine, d.endColumn, d.hint ?? '', d.message.replace(towerOf, '')].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const names = group.map((d) => `"${towerOf.exec(d.message)![1]}"`).join(', ');
    group[0]!.message = group[0]!.message.replace(towerOf, ` of towers ${names}`);
    for (const d of group.slice(1)) diagnostics.splice(diagnostics.indexOf(d), 1);
  }
}

/** A member of a spec mapping by a key the user wrote: own properties only (never Object.prototype's). */
export const own = <T>(o: { readonly [key: string]: T | undefined }, key: string): T | undefined =>
  Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
export const fmt = (shape: Shape): string => `[${shape.join(', ')}]`;
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
export const round = (v: number): number => Math.round(v * 1e6) / 1e6;
