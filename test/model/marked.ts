/** Test helper: YAML with `‸` markers where diagnostics are expected; returns text and positions. */
export function marked(source: string): { text: string; marks: { line: number; column: number }[] } {
  const lines = source.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  const marks: { line: number; column: number }[] = [];
  const out = lines.map((raw, i) => {
    let line = raw.slice(indent);
    let at: number;
    while ((at = line.indexOf('‸')) >= 0) {
      marks.push({ line: i + 1, column: at + 1 });
      line = line.slice(0, at) + line.slice(at + 1);
    }
    return line;
  });
  return { text: out.join('\n'), marks };
}
