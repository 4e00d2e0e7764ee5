import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// An entry file, not `node -e`: Node takes a first argument `inspect` for its debugger command.
const entry = join(mkdtempSync(join(tmpdir(), 'mtlc-epipe-')), 'cli.mts');
writeFileSync(entry, `import { main } from ${JSON.stringify(pathToFileURL(join(root, 'src/cli/main.ts')).href)};\nprocess.exitCode = await main(process.argv.slice(2));\n`);

/** Runs the CLI (sources, through tsx) with its stdout closed before it writes, like `mtlc ... | head` once head has exited. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', entry, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('output piped into a reader that has gone (EPIPE)', () => {
  it.each([
    ['schema', ['schema'], 0],
    ['validate --format json of a missing file', ['validate', '--format', 'json', 'test/fixtures/does-not-exist.yaml'], 2],
    ['inspect', ['inspect', 'specs/customer-signals.yaml'], 0],
    ['graph', ['graph', 'specs/multi-mnist.yaml'], 0],
  ])('%s: no stack trace, the command keeps its exit code', async (_title, args, exitCode) => {
    const { code, stderr } = await runWithClosedStdout(args as string[]);
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event|^\s+at /m);
    expect(code).toBe(exitCode);
  }, 60_000);
});
