/**
 * The benchmark harness's pieces run and compute the right things. No timing is asserted here:
 * figures are measured by `npm run bench`, never in unit tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossStitch } from 'mtlc/runtime';
import { parseBenchArgs, UsageError } from '../bench/lib/args.js';
import { formatMarkdown, formatTable, fmtMedian, fmtRatio, type Row } from '../bench/lib/table.js';
import { median, pairedRatio, summarize, examplesPerSecond } from '../bench/lib/stats.js';
import { PEER_SCRIPT, ensureTorch, peerArgs } from '../bench/lib/python.js';
import { stamp } from '../bench/lib/results.js';
import { writeVariants } from '../bench/figures/compile.js';
import { compareTimes, judge, ratioCell } from '../bench/figures/context.js';
import { buildHandWritten } from '../bench/peers/hand-written.js';
import { fallbackFilterGrad, useBackend } from '../bench/lib/tf-setup.js';
import { makeTrainer } from '../bench/lib/train-step.js';
import { multiMnistPlan } from '../bench/figures/loop.js';
import { repoPath } from '../bench/lib/optional.js';
import { validateSpecFile } from '../src/index.js';
import type { CrossStitchCtor } from '../bench/lib/optional.js';

const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['--version']).status === 0);

describe('bench options', () => {
  it('parses --quick, --only (comma list, deduplicated) and --name', () => {
    const o = parseBenchArgs(['--quick', '--only', 'train,compile', '--only=train', '--name', 'ci-1', '--peer-threads', '1']);
    expect(o).toMatchObject({ quick: true, only: ['train', 'compile'], name: 'ci-1', cpu: true, installPeers: false, peerThreads: 1 });
  });
  it('names results after the mode by default', () => {
    expect(parseBenchArgs([]).name).toBe('full');
    expect(parseBenchArgs(['--quick']).name).toBe('quick');
  });
  it.each([
    [['--only', 'speed'], /unknown figure "speed".*train, overhead/],
    [['--fast'], /unknown option "--fast"/],
    [['--only'], /--only needs a value/],
    [['--name', 'a/b'], /--name may use/],
    [['--peer-threads', '0'], /--peer-threads needs a positive integer, got "0"/],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('statistics', () => {
  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('spread is (max - min) / median', () => {
    expect(summarize([90, 100, 110])).toEqual({ n: 3, median: 100, min: 90, max: 110, spread: 0.2 });
  });
  it('paired ratio takes the median of per-pair ratios', () => {
    // Pair-wise: 2, 2, 10 -> median 2 (a drifting machine slows both sides of a pair).
    expect(pairedRatio([2, 4, 10], [1, 2, 1]).median).toBe(2);
  });
  it('compares interleaved times: median pair ratio, best-of ratio, noisy flag', () => {
    const c = compareTimes([100, 300, 110], [50, 100, 55]);
    expect(c.ratio.median).toBe(2);
    expect(c.best).toBe(2);
    expect(ratioCell(c)).toBe('2.00× ±25% (best 2.00×)');
    expect(judge(c, 2.5, 'lower')).toBe('met');
    // One disturbed pair in three: the pairs disagree, so the verdict says so.
    expect(judge(compareTimes([100, 100, 100], [50, 200, 50]), 1, 'lower')).toBe('unmet (noisy)');
    expect(judge(compareTimes([100, 100, 100], [50, 200, 150]), 1, 'lower')).toBe('noisy: median met, best unmet');
  });
  it('examples per second', () => {
    expect(examplesPerSecond(1_000_000_000n, 10, 64)).toBe(640);
  });
});

describe('table formatting', () => {
  const rows: Row[] = [
    { figure: 'train wasm vs PyTorch', a: '500 ex/s ±3%', b: '4,000 ex/s ±5%', ratio: '0.13×', target: '≥ 0.33×', status: 'unmet', note: 'one core' },
    { figure: 'a|b', a: 'not yet', b: 'not yet', ratio: 'n/a', target: '≤ 2×', status: 'not yet' },
  ];
  it('aligns columns and lists notes under the table', () => {
    const text = formatTable(rows);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^figure\s+measured \(A\)\s+peer \(B\)\s+ratio\s+target\s+status$/);
    expect(lines[2]!.indexOf('500 ex/s')).toBe(lines[0]!.indexOf('measured'));
    expect(text).toContain('notes:\n  train wasm vs PyTorch: one core');
  });
  it('escapes pipes in Markdown cells', () => {
    expect(formatMarkdown(rows)).toContain('| a\\|b | not yet |');
  });
  it('formats a median with half its spread', () => {
    expect(fmtMedian(1234.4, 0.1, 'ex/s')).toBe('1,234 ex/s ±5%');
    expect(fmtMedian(Number.NaN, 0)).toBe('n/a');
  });
  it('keeps small ratios readable', () => {
    expect(fmtRatio(0.1234)).toBe('0.12×');
    expect(fmtRatio(0.0029)).toBe('0.0029×');
    expect(fmtRatio(1.0163, 3)).toBe('1.016×');
  });
  it('stamps results files sortably', () => {
    expect(stamp(new Date('2026-01-02T03:04:05Z'))).toBe('2026-01-02T0304Z');
  });
});

describe.skipIf(!python)('PyTorch peer script (argument parsing only; torch not imported)', () => {
  const run = (args: string[]) => spawnSync(python!, [PEER_SCRIPT, '--print-config', ...args], { encoding: 'utf8' });
  it('takes the harness arguments for the stitched net', () => {
    const r = run(peerArgs({ junctions: ['pool1', 'pool2', 'fc1'], batch: 64, threads: 2 }));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ junctions: ['pool1', 'pool2', 'fc1'], batch: 64, threads: 2, mode: 'channel', conv1: 10, conv2: 20, fc1: 50, alpha_lr_mult: 100 });
  });
  it('takes "none" for the bare towers', () => {
    expect(JSON.parse(run(peerArgs({ junctions: [] })).stdout).junctions).toEqual([]);
  });
  it.each([
    [['--junctions', 'pool3'], /unknown junction position\(s\) pool3/],
    [['--batch', '0'], /--batch must be >= 1/],
    [['--tasks', '1'], /need --tasks >= 2/],
    [['--input', '8'], /too small/],
  ])('rejects %j with exit 2 and a message', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('a missing PyTorch never fails the bench', () => {
  it('ensureTorch says what to install and does not install unless asked', () => {
    const logs: string[] = [];
    const r = ensureTorch(false, (l) => logs.push(l), { MTLC_BENCH_PYTHON: '/nonexistent/python3' });
    expect(r).toEqual({ missing: expect.stringMatching(/PyTorch not found \(tried \/nonexistent\/python3\).*apt-get install -y python3-torch.*--install-peers/) });
    expect(logs).toEqual([]);
  });
  it('the bench run skips the peer, still measures, exits 0 and writes its results', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtlc-bench-run-'));
    try {
      const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/run.ts', '--only', 'overhead', '--quick', '--results-dir', dir], {
        encoding: 'utf8',
        env: { ...process.env, MTLC_BENCH_PYTHON: '/nonexistent/python3' },
      });
      expect(r.status).toBe(0);
      expect(r.stderr).toContain('PyTorch peer skipped: PyTorch not found');
      expect(r.stdout).toMatch(/cross-stitch overhead \(wasm\)\s+\d/);
      expect(r.stdout).toMatch(/cross-stitch overhead \(PyTorch\)\s+skipped/);
      const files = readdirSync(dir);
      expect(files).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT\d{4}Z-quick\.json$/)]);
      const json = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as { rows: { figure: string; status: string }[] };
      expect(json.rows.map((row) => row.figure)).toEqual(['cross-stitch overhead (wasm)', 'cross-stitch overhead (PyTorch)']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('rejects an unknown option with exit 2 and the usage', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'bench/run.ts', '--only', 'nope'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bench: unknown figure "nope"');
    expect(r.stderr).toContain('usage: npm run bench');
  });
});

describe('100-spec variants', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtlc-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('writes distinct names and keeps the rest of the spec', () => {
    const spec = 'version: 1\nname: MultiMnist # the model\ninput: { name: image, shape: [28, 28, 1] }\n';
    const files = writeVariants(spec, dir, 3);
    expect(files).toHaveLength(3);
    expect(readFileSync(files[2]!, 'utf8')).toBe('version: 1\nname: MultiMnistV3 # the model\ninput: { name: image, shape: [28, 28, 1] }\n');
  });
  it('says so when the spec has no name line', () => {
    expect(() => writeVariants('version: 1\n', dir, 1)).toThrow(/no top-level `name:`/);
  });
});

describe('the peers match specs/multi-mnist.yaml (checked by the compiler)', () => {
  const result = validateSpecFile(repoPath('specs/multi-mnist.yaml'), 'specs/multi-mnist.yaml');
  const model = result.model!;
  it('the spec checks', () => {
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
  it('the bench plan agrees with the compiled training plan', () => {
    const plan = multiMnistPlan(3);
    const compiled = model.training;
    expect(plan.tasks).toEqual(compiled.tasks);
    expect(plan.optimizer).toEqual(compiled.optimizer);
    expect(plan.crossStitchLearningRateMultiplier).toBe(compiled.crossStitchLearningRateMultiplier);
    expect(plan.batchSize).toBe(compiled.batchSize);
    expect(plan.taskWeighting.type).toBe(compiled.taskWeighting.type);
  });
  it('the hand-written model has the checked model\'s layers, shapes, junctions and parameter count', () => {
    const { model: hand } = buildHandWritten({ crossStitch: CrossStitch as unknown as CrossStitchCtor });
    for (const tower of model.towers) {
      for (const layer of [...tower.layers, tower.head]) {
        const l = hand.getLayer(layer.layerName);
        expect([l.name, (l.outputShape as number[]).slice(1)]).toEqual([layer.layerName, [...layer.outputShape]]);
        expect([l.name, l.countParams()]).toEqual([layer.layerName, layer.params]);
      }
    }
    const irLayers = model.towers.reduce((n, t) => n + t.layers.length + 1, 0) + model.junctions.length;
    expect(hand.layers.length).toBe(1 + irLayers); // + the input layer
    expect(model.junctions.map((j) => [j.layerName, j.options['mode'], j.params])).toEqual(
      hand.layers.filter((l) => l.getClassName() === 'CrossStitch').map((l) => [l.name, 'channel', l.countParams()]),
    );
    hand.dispose();
  });
});

describe('tfjs side on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('the bench fallback filter gradient equals the cpu backend gradient (stride 2, same padding)', async () => {
    const x = tf.randomNormal([2, 7, 7, 3], 0, 1, 'float32', 1);
    const dy = tf.randomNormal([2, 4, 4, 5], 0, 1, 'float32', 2);
    const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [3, 3, 3, 5] };
    const info = fallbackFilterGrad({ inputs: { x, dy }, backend: tf.backend(), attrs: attrs as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
    const got = tf.engine().makeTensorFromTensorInfo(info);
    const gotValues = await got.data();
    const xv = await x.data();
    const dyv = await dy.data();
    await tf.setBackend('cpu');
    try {
      // The filter gradient of sum(conv2d(x, f) ⊙ dy) is conv2dBackpropFilter(x, dy).
      const xc = tf.tensor4d(xv, [2, 7, 7, 3]);
      const dyc = tf.tensor4d(dyv, [2, 4, 4, 5]);
      const want = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xc, f as tf.Tensor4D, 2, 'same'), dyc)))(tf.ones([3, 3, 3, 5]));
      expect(got.shape).toEqual([3, 3, 3, 5]);
      const w = await want.data();
      for (let i = 0; i < w.length; i++) expect(gotValues[i]).toBeCloseTo(w[i]!, 3);
    } finally {
      await useBackend('wasm');
    }
  });

  it('the hand-written MultiMNIST net has the PyTorch peer\'s parameter count (44,000; towers only 43,680)', () => {
    const stitched = buildHandWritten({ crossStitch: CrossStitch as unknown as CrossStitchCtor });
    const bare = buildHandWritten({ junctions: [] });
    expect(stitched.model.countParams()).toBe(44_000);
    expect(bare.model.countParams()).toBe(43_680);
    expect(stitched.model.outputNames).toEqual(['left', 'right']);
    expect(stitched.model.layers.filter((l) => l.getClassName() === 'CrossStitch').map((l) => l.name)).toEqual([
      'cross_stitch_afterPool1',
      'cross_stitch_afterPool2',
      'cross_stitch_afterFc1',
    ]);
    stitched.model.dispose();
    bare.model.dispose();
  });

  it('a bench step is a real training step: towers and alpha change, no tensors leak', async () => {
    const { model } = buildHandWritten({ crossStitch: CrossStitch as unknown as CrossStitchCtor });
    const trainer = makeTrainer(model);
    const alphaLayer = model.getLayer('cross_stitch_afterFc1');
    const before = { fc1: model.getLayer('left_fc1').getWeights()[0]!.arraySync(), alpha: alphaLayer.getWeights()[0]!.arraySync() };
    await trainer.run(1);
    const tensors = tf.memory().numTensors;
    await trainer.run(2);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(model.getLayer('left_fc1').getWeights()[0]!.arraySync()).not.toEqual(before.fc1);
    expect(alphaLayer.getWeights()[0]!.arraySync()).not.toEqual(before.alpha);
    expect(trainer.alphaVariables).toBe(3);
    trainer.dispose();
    model.dispose();
  });
});
