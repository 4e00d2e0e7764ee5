/** The starter spec `mtlc init` writes: two towers, one cross-stitch junction; it validates. */
import { kebabCase } from './naming.js';

export function starterSpec(name: string, schemaRef: string): string {
  return `# yaml-language-server: $schema=${schemaRef}
#
# A starter multi-task spec: two tasks, each with its own small tower, and a cross-stitch
# junction after the first dense layer. Check it with \`mtlc validate\`, generate code with
# \`mtlc compile\`, train with \`mtlc train\`.
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
data: { format: jsonl, path: ${kebabCase(name)}.jsonl, input: features, targets: { taskA: a, taskB: b } }
`;
}
