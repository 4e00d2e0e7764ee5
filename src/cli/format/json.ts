/**
 * `--format json`: one JSON object, `{"diagnostics":[{file, line, column, endLine, endColumn,
 * severity, code, message, path, hint?}], "specs": [...], "summary": {...}}`,
 * positions 1-based, `path` a JSON pointer. Keys in that order; one line, then a newline.
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

/**
 * Everything the pretty format says, as data: the diagnostics, each file's verdict ("ok" or how
 * many errors) and the summary counts; `extra` adds a command's own results (compile: files).
 */
export function formatJson(reports: readonly FileReport[], extra: Record<string, unknown> = {}): string {
  const specs = reports.map((r) => ({
    file: r.file,
    valid: !r.diagnostics.some((d) => d.severity === 'error'),
    errors: r.diagnostics.filter((d) => d.severity === 'error').length,
    warnings: r.diagnostics.filter((d) => d.severity === 'warning').length,
  }));
  const summary = {
    specs: specs.length,
    invalid: specs.filter((s) => !s.valid).length,
    errors: specs.reduce((n, s) => n + s.errors, 0),
    warnings: specs.reduce((n, s) => n + s.warnings, 0),
  };
  return `${JSON.stringify({ diagnostics: reports.flatMap((r) => r.diagnostics.map(plain)), specs, summary, ...extra })}\n`;
}
