/** Child process for the kill -9 test: trains the tiny model into argv[2]; argv[3] = 'resume'. */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { trainModel } from 'mtlc/runtime';
import { tinyBuild, tinyData, tinyPlan } from './train-helpers.js';

const out = process.argv[2]!;
const resume = process.argv[3] === 'resume';
const plan = tinyPlan({ epochs: 3, batchSize: 4, optimizer: { type: 'adam', learningRate: 0.01 }, taskWeighting: { type: 'dwa', temperature: 2 } });
const r = await trainModel(plan, tinyBuild, { ...tinyData(3000), out, resume, quiet: true });
const weights = Object.fromEntries(r.model.weights.map((w) => [w.originalName, Array.from(w.read().dataSync())]));
writeFileSync(path.join(out, 'final-weights.json'), JSON.stringify(weights));
