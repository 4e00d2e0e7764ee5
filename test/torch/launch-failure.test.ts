/**
 * What the torch engine says when a launch fails without a rank naming a user's mistake (no
 * torch needed: torchrun's failure report as Debian's PyTorch 1.13 prints it). A rank killed by a
 * signal is named (exit 1, continue with --resume) even when another rank then crashed on the lost
 * connection; a rank's unexpected exception is a bug (exit 70) with its traceback, never torchrun's own.
 */
import { describe, expect, it } from 'vitest';
import { launchFailure } from '../../src/runtime/torch/cli.js';

const agentTraceback = [
  'Traceback (most recent call last):',
  '  File "/usr/lib/python3/dist-packages/torch/distributed/run.py", line 766, in <module>',
  '    main()',
  'torch.distributed.elastic.multiprocessing.errors.ChildFailedError: ',
];
const report = (failures: [rank: number, exitcode: number][]) => [
  '============================================================',
  'lenet_small.train FAILED',
  '------------------------------------------------------------',
  'Failures:',
  ...failures.slice(1).flatMap(([rank, code]) => [`[${rank}]:`, '  time      : 2026-11-30_03:40:56', '  host      : localhost', `  rank      : ${rank} (local_rank: ${rank})`, `  exitcode  : ${code} (pid: 1${rank})`, '  error_file: <N/A>']),
  '------------------------------------------------------------',
  'Root Cause (first observed failure):',
  `[${failures[0]![0]}]:`,
  '  time      : 2026-11-30_03:40:56',
  `  rank      : ${failures[0]![0]} (local_rank: ${failures[0]![0]})`,
  `  exitcode  : ${failures[0]![1]} (pid: 1${failures[0]![0]})`,
  '============================================================',
];
const exit1 = { exitCode: 1, signal: null };

describe('launchFailure', () => {
  it('a rank killed by a signal is named, even when another rank failed first on the lost connection', () => {
    const crash = { message: 'RuntimeError: Connection closed by peer', trace: 'Traceback ...\nRuntimeError: Connection closed by peer', rank: 0 };
    const why = launchFailure(exit1, [...agentTraceback, ...report([[0, 70], [1, -9]])], crash);
    expect(why).toEqual({ message: 'PyTorch rank 1 was killed by signal 9 (SIGKILL); the run folder keeps the last checkpoint (continue with --resume)', exitCode: 1 });
  });

  it('a rank\'s unexpected exception is a bug: exit 70 with that rank\'s traceback', () => {
    const crash = { message: 'KeyError: \'x\'', trace: 'Traceback (most recent call last):\n  File "train.py"\nKeyError: \'x\'', rank: 1 };
    const why = launchFailure(exit1, [...agentTraceback, ...report([[1, 70]])], crash);
    expect(why.exitCode).toBe(70);
    expect(why.message).toBe("internal error in the PyTorch engine, rank 1 (a bug; please report it with the spec): KeyError: 'x'");
    expect(why.trace).toBe(crash.trace);
  });

  it('a traceback before the training started (no event): the rank\'s, not torchrun\'s', () => {
    const rank = ['Traceback (most recent call last):', '  File "<frozen runpy>", line 198', "ModuleNotFoundError: No module named 'lenet_small'"];
    const why = launchFailure(exit1, [...agentTraceback, ...rank, ...report([[0, 1]])], undefined);
    expect(why).toEqual({ message: "internal error in the PyTorch engine (a bug; please report it with the spec): ModuleNotFoundError: No module named 'lenet_small'", exitCode: 70, trace: rank.join('\n') });
  });

  it('otherwise the failed rank and its exit code; the launcher killed: its signal', () => {
    expect(launchFailure(exit1, [...agentTraceback, ...report([[1, 3]])], undefined).message).toMatch(/^PyTorch rank 1 exited with 3; /);
    expect(launchFailure({ exitCode: null, signal: 'SIGTERM' }, [], undefined)).toEqual({ message: 'PyTorch training was killed by SIGTERM; the run folder keeps the last checkpoint (continue with --resume)', exitCode: 1 });
  });
});
