/**
 * Formatters of diagnostics: small pure functions over one report type (Spectral-style), so the
 * CLI, CI and editors get the same findings in the shape each needs.
 */
import type { Diagnostic } from '../../spec/diagnostic.js';
import { formatGithub } from './github.js';
import { formatJson } from './json.js';
import { formatPretty, type PrettyOptions } from './pretty.js';

/** The diagnostics of one file, with its text when it could be read (for code frames). */
export interface FileReport {
  readonly file: string;
  readonly text?: string;
  readonly diagnostics: readonly Diagnostic[];
}

export const FORMATS = ['pretty', 'json', 'github'] as const;
export type Format = (typeof FORMATS)[number];

export function formatReports(format: Format, reports: readonly FileReport[], options: PrettyOptions = { color: false }): string {
  switch (format) {
    case 'json':
      return formatJson(reports);
    case 'github':
      return formatGithub(reports);
    default:
      return formatPretty(reports, options);
  }
}

export { formatGithub, formatJson, formatPretty };
export type { PrettyOptions };
