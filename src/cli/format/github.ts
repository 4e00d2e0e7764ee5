/**
 * `--format github`: GitHub Actions workflow commands, one line per diagnostic:
 * `::error file=F,line=L,col=C,endLine=..,endColumn=..,title=code::message`, escaped as the
 * runner expects (%, CR, LF in the message; also : and , in properties).
 */
import type { Diagnostic } from '../../spec/diagnostic.js';
import type { FileReport } from './index.js';

const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

const COMMAND: Record<Diagnostic['severity'], string> = { error: 'error', warning: 'warning', info: 'notice' };

export function githubLine(d: Diagnostic): string {
  const props = [
    `file=${escapeProperty(d.file)}`,
    `line=${d.line}`,
    `col=${d.column}`,
    `endLine=${d.endLine}`,
    `endColumn=${d.endColumn}`,
    `title=${escapeProperty(d.code)}`,
  ].join(',');
  const message = `${d.message}${d.path ? ` (at ${d.path})` : ''}${d.hint ? `\n${d.hint}` : ''}`;
  return `::${COMMAND[d.severity]} ${props}::${escapeData(message)}`;
}

export function formatGithub(reports: readonly FileReport[]): string {
  const lines = reports.flatMap((r) => r.diagnostics.map(githubLine));
  return lines.length ? `${lines.join('\n')}\n` : '';
}
