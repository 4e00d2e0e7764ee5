/**
 * The runtime's training loop (`trainModel`, what `mtlc train` runs) against the bench's bare
 * step (bench/lib/train-step.ts) on the generated MultiMNIST model, in process CPU time per step:
 * epochs of `--steps` steps through trainModel alternate with as many bare steps (in onEpochEnd),
 * the first epoch untimed. Prints JSON lines like specs-cpu.ts, so bench/experiments/ab-cpu.ts
 * --script can A/B two checkouts of the loop.
 *
 * Run: node --conditions=source --import tsx bench/experiments/loop-cpu.ts [--epochs 6] [--steps 20]
 */
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../src/runtime/backend.js";
import { trainModel } from "../../src/runtime/train/loop.js";
import { buildMultiMnist } from "../../generated/multi-mnist/model.js";
import { multiMnistPlan } from "../../generated/multi-mnist/train.js";
import { makeTrainer, DEFAULT_STEP } from "../lib/train-step.js";

const arg = (n: string, d: string): string =>
  process.argv.includes(`--${n}`)
    ? process.argv[process.argv.indexOf(`--${n}`) + 1]!
    : d;
const EPOCHS = Number(arg("epochs", "6"));
const STEPS = Number(arg("steps", "20"));
await selectBackend("wasm");
const n = STEPS * DEFAULT_STEP.batch;
const inputs = tf.randomUniform([n, 28, 28, 1], 0, 1, "float32", 7);
const targets: Record<string, tf.Tensor> = Object.fromEntries(
  multiMnistPlan.tasks.map((t, i) => [
    t.name,
    tf.tidy(() =>
      tf.oneHot(tf.randomUniform([n], 0, 10, "int32", 8 + i), 10).toFloat(),
    ),
  ]),
);
const bare = makeTrainer(buildMultiMnist().model);
await bare.run(2);
const med = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000;
const loop: number[] = [];
const plain: number[] = [];
let c0 = process.cpuUsage();
await trainModel(multiMnistPlan, buildMultiMnist, {
  inputs,
  targets: targets as Record<"left" | "right", tf.Tensor>,
  epochs: EPOCHS,
  batchSize: DEFAULT_STEP.batch,
  backend: "wasm",
  validationSplit: 0,
  quiet: true,
  onEpochEnd: async (record) => {
    const loopMs = cpuMs(process.cpuUsage(c0)) / STEPS;
    if (record.epoch > 1) {
      loop.push(loopMs);
      const b0 = process.cpuUsage();
      await bare.run(STEPS);
      plain.push(cpuMs(process.cpuUsage(b0)) / STEPS);
    }
    c0 = process.cpuUsage();
  },
});
const ratios = loop.map((l, i) => l / plain[i]!);
console.log(
  JSON.stringify({ spec: "trainModel step (CPU)", cpuMsPerStep: med(loop) }),
);
console.log(
  JSON.stringify({ spec: "bare step (CPU)", cpuMsPerStep: med(plain) }),
);
console.log(
  JSON.stringify({
    spec: "trainModel / bare (ratio)",
    cpuMsPerStep: med(ratios),
  }),
);
process.exit(0);
