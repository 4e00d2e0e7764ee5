#!/usr/bin/env node
// The published entry point runs the compiled CLI in dist/ (built by `npm run build`, which
// `npm ci` runs through the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('mtlc: dist/ is missing; run `npm run build` first.\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
