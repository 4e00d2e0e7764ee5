/**
 * The longer run of the validate ⇒ train property (test/property/validate-train.test.ts runs 60
 * specs in the suite): RUNS random specs per seed, several seeds, each in its own vitest run.
 *
 *   node --conditions=source --import tsx bench/validate-train.ts [--runs 300] [--seeds 7,8,9]
 *
 * Failing specs are kept in .mtlc-cache/property-failures/<seed>-spec-<i>.yaml.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseCommand } from './lib/cli.js';

const root = path.join(import.meta.dirname, '..');
const USAGE = 'usage: npm run bench:validate-train [-- --runs 300] [--seeds 7,8,9]\n  random accepted specs per seed through a cpu/wasm training step and strict tsc (test/property/)\n';
const values = parseCommand<{ runs?: string; seeds?: string }>({ runs: { type: 'string' }, seeds: { type: 'string' } }, USAGE);
if (typeof values === 'number') process.exit(values);
const runs = values.runs ?? '300';
const seeds = (values.seeds ?? '7,8,9').split(',');
let failed = 0;
for (const seed of seeds) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/property/validate-train.test.ts'], {
    cwd: root,
    env: { ...process.env, MTLC_PROPERTY_RUNS: runs, MTLC_PROPERTY_SEED: seed },
    encoding: 'utf8',
  });
  const out = `${r.stdout}${r.stderr}`.replace(/\u001b\[[0-9;]*m/g, '');
  const verdict = /Tests\s+(.*)/.exec(out)?.[1] ?? `exit ${r.status}`;
  process.stdout.write(`seed ${seed}: ${runs} specs, ${verdict} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`${/\d+ failure\(s\)[\s\S]*?(?=\n\s*❯|$)/.exec(out)?.[0] ?? out.slice(-3000)}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
