/**
 * `--format pretty` (the default), after Prisma and rustc:
 *
 *   error[unknown-property]: unknown property 'filter' in layer conv1 of tower left
 *     --> specs/face.yaml:9:38
 *      |
 *    9 |       - { type: conv2d, name: conv1, filter: 10, kernelSize: 5 }
 *      |                                      ^^^^^^
 *      = hint: did you mean filters?
 *
 * then one summary line. Colours only when asked (the CLI decides with `useColor(io)`).
 */
import pc from 'picocolors';
import type { Diagnostic } from '../../spec/diagnostic.js';
import type { FileReport } from './index.js';

export interface PrettyOptions {
  readonly color: boolean;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

// C0 and C1 controls (ESC starts terminal sequences), DEL, and bidi overrides that reorder what is shown.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Text from a spec made safe for a terminal: control characters shown as `\u001b`, never sent. */
export function printable(text: string): string {
  return text.replace(CONTROL, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The same for a code-frame line, one `�` per control character so the caret keeps its column. */
const printableLine = (text: string): string => text.replace(CONTROL, '\ufffd');

/** The code frame of a diagnostic: its first line, with carets under the range. */
function frame(d: Diagnostic, lines: readonly string[], c: ReturnType<typeof pc.createColors>): string[] {
  const source = lines[d.line - 1];
  if (source === undefined) return [];
  // Tabs become one space so the caret lines up (columns count characters).
  const shown = printableLine(source.replace(/\t/g, ' ').replace(/\r$/, ''));
  const start = Math.min(Math.max(d.column - 1, 0), shown.length);
  const end = d.endLine === d.line ? Math.min(Math.max(d.endColumn - 1, start + 1), Math.max(shown.length, start + 1)) : Math.max(shown.length, start + 1);
  const gutter = String(d.line).length;
  const bar = c.blue(`${' '.repeat(gutter + 1)}|`);
  const colour = d.severity === 'error' ? c.red : d.severity === 'warning' ? c.yellow : c.cyan;
  return [
    bar,
    `${c.blue(`${d.line} |`)} ${shown}`,
    `${bar} ${' '.repeat(start)}${colour('^'.repeat(end - start))}`,
  ];
}

function formatOne(d: Diagnostic, lines: readonly string[] | undefined, c: ReturnType<typeof pc.createColors>): string {
  const label = d.severity === 'error' ? c.red(c.bold(`error[${d.code}]`)) : d.severity === 'warning' ? c.yellow(c.bold(`warning[${d.code}]`)) : c.cyan(c.bold(`info[${d.code}]`));
  const out = [`${label}${c.bold(`: ${printable(d.message)}`)}`];
  const gutter = lines ? String(d.line).length : 1;
  out.push(`${' '.repeat(gutter)}${c.blue('-->')} ${printable(d.file)}:${d.line}:${d.column}${d.path ? c.dim(` (${printable(d.path)})`) : ''}`);
  if (lines) out.push(...frame(d, lines, c));
  if (d.hint) out.push(`${' '.repeat(gutter + 1)}${c.blue('=')} ${c.bold('hint')}: ${printable(d.hint)}`);
  return out.join('\n');
}

export function formatPretty(reports: readonly FileReport[], options: PrettyOptions): string {
  const c = pc.createColors(options.color);
  const blocks: string[] = [];
  let errors = 0;
  let warnings = 0;
  let invalid = 0;
  for (const report of reports) {
    const lines = report.text?.split('\n');
    let fileErrors = 0;
    for (const d of report.diagnostics) {
      blocks.push(formatOne(d, lines, c));
      if (d.severity === 'error') fileErrors++;
      if (d.severity === 'warning') warnings++;
    }
    errors += fileErrors;
    if (fileErrors > 0) invalid++;
    else blocks.push(`${c.green('ok')} ${printable(report.file)}`);
  }
  const files = plural(reports.length, 'spec');
  const summary =
    errors === 0
      ? c.green(`${files} valid`) + (warnings ? c.yellow(`, ${plural(warnings, 'warning')}`) : '')
      : c.red(c.bold(`${plural(errors, 'error')}`)) +
        (warnings ? c.yellow(`, ${plural(warnings, 'warning')}`) : '') +
        ` in ${plural(invalid, 'invalid spec')} (${files} checked)`;
  return `${blocks.join('\n\n')}\n\n${summary}\n`;
}
