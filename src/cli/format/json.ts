/**
 * `--format json`: one JSON object, `{"diagnostics":[{file, line, column, endLine, endColumn,
 * severity, code, message, path, hint?}]}` (PRODUCT.md §4), positions 1-based, `path` a JSON
 * pointer. Keys in that order; one line, then a newline.
 */
import type { Diagnostic } from '../../spec/diagnostic.js';
import type { FileReport } from './index.js';

function plain(d: Diagnostic): Record<string, unknown> {
  return {
    file: d.file,
    line: d.line,
    column: d.column,
    endLine: d.endLine,
    endColumn: d.endColumn,
    severity: d.severity,
    code: d.code,
    message: d.message,
    path: d.path,
    ...(d.hint !== undefined ? { hint: d.hint } : {}),
  };
}

export function formatJson(reports: readonly FileReport[]): string {
  return `${JSON.stringify({ diagnostics: reports.flatMap((r) => r.diagnostics.map(plain)) })}\n`;
}
