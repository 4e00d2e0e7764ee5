/**
 * `mtlc init [Name] [--out FILE]`: writes a starter spec to `specs/<kebab>.yaml` (or
 * `./<kebab>.yaml` when there is no specs/ folder). The modeline points at this repo's schema
 * when run inside the mtlc repo, else at `node_modules/mtlc/schemas/mtl-spec.editor.schema.json`
 * (the editors' variant of the schema: readable messages for names).
 * Beside it, `<kebab>.jsonl`: sample rows the starter trains on as written (`mtlc init X &&
 * mtlc train x.yaml`), to be replaced by the user's data. Never overwrites: an existing spec is
 * exit 2; an existing data file is kept (it is the user's).
 */
import { existsSync, statSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAtomic } from '../../runtime/files.js';
import { kebabCase } from '../../runtime/naming.js';
import { Rng } from '../../runtime/random.js';
import { validateSpec } from '../../api/validate.js';
import { CliError, ExitCode, type CliIO } from '../io.js';
import type { RegisterCommand } from './index.js';

const posix = (p: string) => p.split(path.sep).join('/');

/** `multi mnist`, `multi_mnist`, `multiMnist` -> `MultiMnist`. */
export function pascalCase(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return /^[A-Z]/.test(joined) ? joined : `M${joined}`;
}

/** The starter spec: two towers, one cross-stitch junction; it validates. */
export function starterSpec(name: string, schemaRef: string): string {
  return `# yaml-language-server: $schema=${schemaRef}
#
# A starter multi-task spec: two tasks, each with its own small tower, and a cross-stitch
# junction after the first dense layer. Check it with \`mtlc validate\`, generate code with
# \`mtlc compile\`, train with \`mtlc train\`. It trains on the sample rows \`mtlc init\` wrote
# to ${kebabCase(name)}.jsonl (one JSON object a line: features, a class index a, a number b);
# put your own data there, or point data.path at it.
version: 1
name: ${name}
description: Two tasks on one input, stitched once
input: { name: features, shape: [16] }
towers:
  taskA:
    layers:
      - { type: dense, name: hidden, units: 32, activation: relu }
      - { type: dense, name: hidden2, units: 16, activation: relu }
    head: { units: 3, activation: softmax }
    loss: categoricalCrossentropy
    metrics: [accuracy]
  taskB:
    layers:
      - { type: dense, name: hidden, units: 32, activation: relu }
      - { type: dense, name: hidden2, units: 16, activation: relu }
    head: { units: 1 }
    loss: meanSquaredError
crossStitch:
  - after: hidden
    mode: channel
    init: { self: 0.9, other: 0.1 }
training:
  backend: auto
  optimizer: { type: adam, learningRate: 0.001 }
  batchSize: 32
  epochs: 10
  validationSplit: 0.2
data: { format: jsonl, path: ${kebabCase(name)}.jsonl, input: features, targets: { taskA: a, taskB: b } }
`;
}

/** Sample rows for the starter spec: 16 features in [-1, 1]; `a` a class (0..2) and `b` a number, both learnable from them. */
export function starterData(rows = 240, seed = 1): string {
  const rng = new Rng(seed);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  let text = '';
  for (let i = 0; i < rows; i++) {
    const features = Array.from({ length: 16 }, () => round(rng.next() * 2 - 1));
    const f = (k: number) => features[k]!;
    const scores = [f(0) + f(1), f(2) + f(3), f(4) + f(5)];
    const a = scores.indexOf(Math.max(...scores));
    const b = round(0.5 * f(6) - 0.3 * f(7) + 0.2 * f(8) * f(9));
    text += `${JSON.stringify({ features, a, b })}\n`;
  }
  return text;
}

function schemaRef(specFile: string, cwd: string): string {
  const own = fileURLToPath(new URL('../../../schemas/mtl-spec.editor.schema.json', import.meta.url));
  const root = path.dirname(path.dirname(own));
  const inRepo = !path.relative(root, cwd).startsWith('..') && !path.isAbsolute(path.relative(root, cwd));
  if (inRepo && existsSync(own)) return posix(path.relative(path.dirname(specFile), own));
  const installed = path.join(cwd, 'node_modules', 'mtlc', 'schemas', 'mtl-spec.editor.schema.json');
  return posix(path.relative(path.dirname(specFile), installed));
}

export async function runInit(name: string | undefined, out: string | undefined, io: CliIO): Promise<{ spec: string; data: string; keptData: boolean }> {
  const model = name === undefined ? 'MyModel' : pascalCase(name);
  if (!/^[A-Z][A-Za-z0-9]*$/.test(model)) throw new CliError(`cannot make a model name from ${JSON.stringify(name)}; use PascalCase, e.g. FaceAttributes`);
  const specsDir = path.join(io.cwd, 'specs');
  const file = out !== undefined
    ? path.resolve(io.cwd, out)
    : path.join(existsSync(specsDir) && statSync(specsDir).isDirectory() ? specsDir : io.cwd, `${kebabCase(model)}.yaml`);
  const shown = posix(path.relative(io.cwd, file)) || file;
  if (existsSync(file)) throw new CliError(`${shown} already exists; not overwriting it (choose another name or --out)`, ExitCode.usage);
  const text = starterSpec(model, schemaRef(file, io.cwd));
  const check = validateSpec(text, shown);
  if (check.diagnostics.some((d) => d.severity === 'error')) {
    throw new CliError(`internal: the starter spec does not validate: ${check.diagnostics.map((d) => d.message).join('; ')}`, ExitCode.usage);
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  const dataFile = path.join(path.dirname(file), `${kebabCase(model)}.jsonl`);
  const dataShown = posix(path.relative(io.cwd, dataFile)) || dataFile;
  const keptData = existsSync(dataFile);
  if (!keptData) await writeAtomic(dataFile, starterData());
  await writeAtomic(file, text);
  return { spec: shown, data: dataShown, keptData };
}

export const registerInit: RegisterCommand = (program, io, setExit) => {
  program
    .command('init')
    .description('write a starter spec (two towers, one cross-stitch junction) and sample data it trains on')
    .argument('[name]', 'model name (PascalCase)', 'MyModel')
    .option('-o, --out <file>', 'where to write the spec (default specs/<kebab-name>.yaml, or ./<kebab-name>.yaml without specs/)')
    .action(async (name: string, options: { out?: string }) => {
      const { spec, data, keptData } = await runInit(name, options.out, io);
      io.stdout(
        keptData
          ? `wrote ${spec} (its data: ${data}, which was there already and is kept)\n`
          : `wrote ${spec} and ${data} (sample rows to train on; replace them with your data)\n`,
      );
      io.stdout(`next: mtlc validate ${spec} && mtlc train ${spec} --epochs 1\n`);
      setExit(ExitCode.ok);
    });
};
