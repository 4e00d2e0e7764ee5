/**
 * SGD with momentum as tfjs's MomentumOptimizer computes it, with one fused kernel per variable
 * on wasm (`MtlcMomentumUpdate`, ../wasm-kernels/fused.ts) instead of its four (Multiply, Add,
 * Multiply, Add) and their temporaries: the same float32 operations in the same order, so the
 * same weights bit for bit. Elsewhere, and for Nesterov, it is tfjs's own `applyGradients`.
 * State, serialisation and checkpoints are the parent's (same accumulators, same class name).
 */
import * as tf from '@tensorflow/tfjs';
import { fusedKernelsActive, MOMENTUM_UPDATE_KERNEL } from '../wasm-kernels/fused.js';

interface MomentumInternals {
  accumulations: ({ originalName: string; variable: tf.Variable } | undefined)[];
  useNesterov: boolean;
  learningRate: number;
}

type VariableGradients = Parameters<tf.MomentumOptimizer['applyGradients']>[0];

export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  /** tfjs keeps momentum as the float32 scalar made at construction (setMomentum does not change it). */
  private readonly m32: number;

  constructor(learningRate: number, momentum: number, useNesterov = false) {
    super(learningRate, momentum, useNesterov);
    this.m32 = Math.fround(momentum);
  }

  override applyGradients(variableGradients: VariableGradients): void {
    const self = this as unknown as MomentumInternals;
    if (self.useNesterov || !fusedKernelsActive()) {
      super.applyGradients(variableGradients);
      return;
    }
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const c = Math.fround(-self.learningRate); // tfjs's `c`: scalar(−learningRate)
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name]!;
      if (self.accumulations[i] == null) {
        self.accumulations[i] = { originalName: `${name}/momentum`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      }
      const acc = self.accumulations[i]!.variable;
      const grad = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
      if (grad == null) return;
      tf.tidy(() => {
        const [newValue, newAcc] = tf.engine().runKernel(MOMENTUM_UPDATE_KERNEL, { value, acc, grad }, { m: this.m32, c }) as unknown as [tf.Tensor, tf.Tensor];
        acc.assign(newAcc!);
        value.assign(newValue!);
      });
    });
    this.incrementIterations();
  }
}
