/** α as text (no TensorFlow.js import: the CLI's `weights` command uses it). */
import type { JunctionAlpha } from './types.js';

/** Text table of α per junction (channel mode: mean over channels, plus min..max; other kinds than cross-stitch named). */
export function formatAlphas(alphas: readonly JunctionAlpha[]): string {
  const lines: string[] = [];
  for (const a of alphas) {
    // A kind other than cross-stitch is named, as the report does: an NDDR junction's N×N is the
    // mean diagonal of its 1×1 weights' blocks, not a scalar cross-stitch.
    const kind = a.kind && a.kind !== 'crossStitch' ? `${a.kind}, ` : '';
    lines.push(`α ${a.name} (${kind}${a.mode}${a.mode === 'channel' ? `, ${a.shape[2]} channels: mean [min..max]` : ''}):`);
    const towers = a.towers.length > 0 ? a.towers : Array.from({ length: a.shape[0]! }, (_, i) => String(i));
    if (a.mode === 'unit') {
      const m = a.values as number[][];
      const d = m.length;
      lines.push(`  ${d}×${d} matrix; diagonal mean ${(m.reduce((s, r, i) => s + r[i]!, 0) / d).toFixed(4)}, off-diagonal mean |α| ${(m.reduce((s, r, i) => s + r.reduce((t, v, j) => (i === j ? t : t + Math.abs(v)), 0), 0) / Math.max(d * d - d, 1)).toFixed(4)}`);
      continue;
    }
    const width = Math.max(...towers.map((t) => t.length), 4);
    lines.push(`  ${''.padEnd(width)}  ${towers.map((t) => t.padStart(a.mode === 'channel' ? 24 : 8)).join(' ')}`);
    towers.forEach((ti, i) => {
      const cells = towers.map((_, j) => {
        if (a.mode === 'scalar') return ((a.values as number[][])[i]![j]!).toFixed(4).padStart(8);
        const ch = (a.values as number[][][])[i]![j]!;
        const mean = ch.reduce((s, v) => s + v, 0) / ch.length;
        return `${mean.toFixed(4)} [${Math.min(...ch).toFixed(3)}..${Math.max(...ch).toFixed(3)}]`.padStart(24);
      });
      lines.push(`  ${ti.padEnd(width)}  ${cells.join(' ')}`);
    });
  }
  return lines.join('\n');
}

