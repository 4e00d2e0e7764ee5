/** Plain-text and Markdown tables for the bench's figures. */

export interface Row {
  figure: string;
  /** The measured thing (A) and its peer (B), each a formatted median with spread. */
  a: string;
  b: string;
  /** A/B or B/A as the figure defines it, formatted. */
  ratio: string;
  target: string;
  /** met / unmet / not yet / skipped / info */
  status: string;
  note?: string;
}

const HEADERS = ['figure', 'measured (A)', 'peer (B)', 'ratio', 'target', 'status'] as const;

function cells(r: Row): string[] {
  return [r.figure, r.a, r.b, r.ratio, r.target, r.status];
}

/** A fixed-width table for the terminal; notes follow under the table, numbered. */
export function formatTable(rows: readonly Row[]): string {
  const all = [HEADERS as readonly string[], ...rows.map(cells)];
  const widths = HEADERS.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => r.map((v, c) => v.padEnd(widths[c]!)).join('  ').trimEnd();
  const out = [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  ')];
  const notes: string[] = [];
  for (const r of rows) {
    out.push(line(cells(r)));
    if (r.note) notes.push(`  ${r.figure}: ${r.note}`);
  }
  if (notes.length) out.push('', 'notes:', ...notes);
  return out.join('\n') + '\n';
}

/** The same table in Markdown (pipes in cells escaped). */
export function formatMarkdown(rows: readonly Row[]): string {
  const esc = (v: string) => v.replace(/\|/g, '\\|');
  const out = [`| ${HEADERS.join(' | ')} |`, `| ${HEADERS.map(() => '---').join(' | ')} |`];
  for (const r of rows) out.push(`| ${cells(r).map(esc).join(' | ')} |`);
  return out.join('\n') + '\n';
}

/** "1,234 ±5%" style: a median with its relative spread. */
export function fmtMedian(median: number, spread: number, unit = '', digits = 0): string {
  if (!Number.isFinite(median)) return 'n/a';
  const v = median.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const s = Number.isFinite(spread) ? ` ±${Math.round((spread * 100) / 2)}%` : '';
  return `${v}${unit ? ` ${unit}` : ''}${s}`;
}

/** "0.13×"; ratios below 0.1 keep two significant digits ("0.0029×") rather than rounding to 0. */
export function fmtRatio(r: number, digits = 2): string {
  if (!Number.isFinite(r)) return 'n/a';
  return r > 0 && r < 0.1 ? `${Number(r.toPrecision(2))}×` : `${r.toFixed(digits)}×`;
}
