/** The formatters over hand-made reports: frames, carets, escaping, counts. */
import { describe, expect, it } from 'vitest';
import { formatGithub, formatJson, formatPretty } from '../../src/cli/format/index.js';
import type { Diagnostic } from '../../src/spec/diagnostic.js';

const d = (over: Partial<Diagnostic>): Diagnostic => ({
  file: 'a.yaml',
  line: 2,
  column: 3,
  endLine: 2,
  endColumn: 6,
  severity: 'error',
  code: 'some-code',
  message: 'something is wrong',
  path: '/x',
  ...over,
});

describe('pretty', () => {
  it('draws the line with a caret under the range, the hint and a summary', () => {
    const out = formatPretty([{ file: 'a.yaml', text: 'a: 1\n\tbad: 2\n', diagnostics: [d({ hint: 'fix it' })] }], { color: false });
    expect(out).toBe(
      [
        'error[some-code]: something is wrong',
        ' --> a.yaml:2:3 (/x)',
        '  |',
        '2 |  bad: 2',
        '  |   ^^^',
        '  = hint: fix it',
        '',
        '1 error in 1 invalid spec (1 spec checked)',
        '',
      ].join('\n'),
    );
  });

  it('never sends a control character from the spec to the terminal (a key holding ESC sequences), with or without colour', () => {
    const key = 'a\u001b[2J\u001b]0;owned\u0007b';
    for (const color of [false, true]) {
      const out = formatPretty(
        [{ file: 'a.yaml', text: `x: 1\n${key}: 2\n`, diagnostics: [d({ message: `unknown property '${key}'`, hint: `did you mean ${key}?`, path: `/${key}`, line: 2, column: 1, endColumn: 3 })] }],
        { color },
      );
      const withoutOurColours = out.replace(/\u001b\[[0-9;]*m/g, '');
      expect(withoutOurColours).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(withoutOurColours).toContain("unknown property 'a\\u001b[2J\\u001b]0;owned\\u0007b'");
      // The code frame keeps columns: one replacement character per control character.
      expect(withoutOurColours).toContain('2 | a\ufffd[2J\ufffd]0;owned\ufffdb: 2');
    }
  });

  it('underlines to the end of the line for a multi-line range, and omits the frame without text', () => {
    const multi = formatPretty([{ file: 'a.yaml', text: 'x:\n  y: 1\n  z: 2\n', diagnostics: [d({ endLine: 3, endColumn: 7 })] }], { color: false });
    expect(multi).toContain('2 |   y: 1\n  |   ^^^^\n');
    const io = formatPretty([{ file: 'gone.yaml', diagnostics: [d({ file: 'gone.yaml', line: 1, column: 1, code: 'io-error', path: '' })] }], { color: false });
    expect(io).toContain('error[io-error]: something is wrong\n --> gone.yaml:1:1\n\n');
  });

  it('counts warnings separately and lists valid files', () => {
    const out = formatPretty(
      [
        { file: 'a.yaml', text: 'a: 1\nb: 2\n', diagnostics: [d({ severity: 'warning' })] },
        { file: 'b.yaml', text: 'a: 1\n', diagnostics: [] },
      ],
      { color: false },
    );
    expect(out).toContain('warning[some-code]');
    expect(out).toContain('ok b.yaml');
    expect(out.endsWith('2 specs valid, 1 warning\n')).toBe(true);
  });
});

describe('json', () => {
  it('is one object with diagnostics in the contract order, hint last when present', () => {
    const out = formatJson([{ file: 'a.yaml', diagnostics: [d({ hint: 'h' }), d({ line: 5 })] }]);
    expect(out.endsWith('}\n')).toBe(true);
    const parsed = JSON.parse(out) as { diagnostics: object[] };
    expect(parsed.diagnostics.map((x) => Object.keys(x))).toEqual([
      ['file', 'line', 'column', 'endLine', 'endColumn', 'severity', 'code', 'message', 'path', 'hint'],
      ['file', 'line', 'column', 'endLine', 'endColumn', 'severity', 'code', 'message', 'path'],
    ]);
  });
});

describe('github', () => {
  it('escapes properties and data as workflow commands require', () => {
    const out = formatGithub([
      { file: 'dir,x/a:b.yaml', diagnostics: [d({ file: 'dir,x/a:b.yaml', message: '100% wrong\nreally', severity: 'warning', path: '' })] },
    ]);
    expect(out).toBe('::warning file=dir%2Cx/a%3Ab.yaml,line=2,col=3,endLine=2,endColumn=6,title=some-code::100%25 wrong%0Areally\n');
  });
});
