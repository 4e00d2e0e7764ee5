/**
 * The training flags are declared once (src/runtime/train/flags.ts) for both engines: the tfjs
 * entrypoint's parser and help, the torch engine's parser and help, and `mtlc train` all come from
 * that list, and each engine refuses the other's flags by name.
 */
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { runTorchTrainingCli } from '../../src/runtime/torch/cli.js';
import { runTrainingCli } from '../../src/runtime/train/cli.js';
import { parseArgsOptions, torchTrainingHelp, trainingHelp, TRAINING_FLAGS } from '../../src/runtime/train/flags.js';
import { tinyBuild, tinyPlan } from './train-helpers.js';

const names = (engine: 'tfjs' | 'torch') => TRAINING_FLAGS.filter((f) => !f.engines || f.engines.includes(engine)).map((f) => f.name);

describe('one declaration of the training flags', () => {
  it.each(['tfjs', 'torch'] as const)('engine=%s: its parser takes exactly its flags from TRAINING_FLAGS, and its help lists each', (engine) => {
    expect(Object.keys(parseArgsOptions(engine)).sort()).toEqual([...names(engine), 'help'].sort());
    const help = engine === 'tfjs' ? trainingHelp(tinyPlan()) : torchTrainingHelp(tinyPlan());
    for (const flag of TRAINING_FLAGS) expect(help.includes(`  --${flag.name}`), `${engine} help and --${flag.name}`).toBe(names(engine).includes(flag.name));
  });

  it('the torch help states the spec defaults it uses, like the tfjs one', () => {
    const help = torchTrainingHelp(tinyPlan({ epochs: 7 }));
    expect(help).toMatch(/--epochs N\s+epochs \(default 7\)/);
    expect(help).toMatch(/--nproc N\s+processes .*\(default 1\)/);
  });

  it('the shared flags parse the same for both engines', () => {
    const argv = ['--data', 'd.jsonl', '--epochs', '3', '--batch-size', '4', '--out', 'o', '--resume', '--seed', '5', '--quiet'];
    const parse = (engine: 'tfjs' | 'torch') => parseArgs({ args: argv, options: parseArgsOptions(engine), strict: true }).values;
    expect(parse('torch')).toEqual(parse('tfjs'));
  });

  it.each([
    [['--workers', '2']],
    [['--backend', 'wasm']],
  ])('the torch engine refuses the tfjs flag %j by name (exit 2, before anything runs)', async (argv) => {
    let err = '';
    const io = { stdout: () => {}, stderr: (t: string) => void (err += t), cwd: '/nonexistent', isTTY: false, env: {} };
    const code = await runTorchTrainingCli(tinyPlan(), tinyBuild, argv, io as never, { root: '/nonexistent', name: 'tiny' });
    expect(code).toBe(2);
    expect(err).toBe(`error: ${argv[0]} is not supported with --engine torch (it is a tfjs engine option)\n`);
  });

  it('mtlc train refuses a torch flag without --engine torch (exit 2), and lists both engines\' flags in --help', async () => {
    let out = '';
    let err = '';
    const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { NO_COLOR: '1' }, cwd: process.cwd(), isTTY: false };
    expect(await main(['train', 'specs/multi-mnist.yaml', '--prepare-only'], io)).toBe(2);
    expect(err).toBe('error: --prepare-only needs --engine torch\n');
    out = '';
    await main(['train', '--help'], io);
    for (const flag of TRAINING_FLAGS) expect(out).toContain(`--${flag.name}`);
    expect(out).toMatch(/--nproc <n>\s+--engine torch: processes/);
  });

  // Every whole-number flag of every parser (mtlc train, the generated entrypoint, the torch
  // engine): one `error:` line naming the flag, the value and what it allows; exit 2 (usage).
  const numeric = TRAINING_FLAGS.filter((f) => f.range);
  it('the numeric flags are epochs, batch-size, seed, workers and nproc', () => {
    expect(numeric.map((f) => f.name)).toEqual(['epochs', 'batch-size', 'seed', 'workers', 'nproc']);
  });
  const bad = ['-3', '0', '1.5', 'abc', '1e3', '99999999999999999999', '4294967296'];
  const expected = (flag: string, v: string) => {
    const range = flag === 'seed' ? 'from 0 to 4294967295' : 'from 1 to 2147483647';
    return `error: --${flag}: expected a whole number ${range}, got '${v}'\n`;
  };
  const isBad = (flag: string, v: string) => !(flag === 'seed' && v === '0');
  it.each(numeric.map((f) => f.name))('--%s with -3, 0, 1.5, abc, 1e3 or a huge number: one clear error line and exit 2 from every parser', async (flag) => {
    for (const v of bad.filter((v) => isBad(flag, v))) {
      for (const argv of [[`--${flag}`, v], [`--${flag}=${v}`]]) {
        let out = '';
        let err = '';
        const io: CliIO = { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { NO_COLOR: '1' }, cwd: process.cwd(), isTTY: false };
        expect(await main(['train', 'specs/multi-mnist.yaml', ...argv], io), `mtlc train ${argv.join(' ')}`).toBe(2);
        expect(err).toBe(expected(flag, v));
        expect(out).toBe('');
        const engineIO = { stdout: () => {}, stderr: (t: string) => void (err += t), cwd: '/nonexistent', isTTY: false };
        if (flag !== 'nproc') {
          err = '';
          expect(await runTrainingCli(tinyPlan(), tinyBuild, argv, engineIO), `entrypoint ${argv.join(' ')}`).toBe(2);
          expect(err).toBe(expected(flag, v));
        }
        if (flag !== 'workers') {
          err = '';
          expect(await runTorchTrainingCli(tinyPlan(), tinyBuild, argv, engineIO as never, { root: '/nonexistent', name: 'tiny' }), `torch ${argv.join(' ')}`).toBe(2);
          expect(err).toBe(expected(flag, v));
        }
      }
    }
  });
});
