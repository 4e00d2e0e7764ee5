/**
 * Optimizers from the plan. α gets a second optimizer of the same type with a larger learning
 * rate (the multiplier): its own state, so the multiplier holds for Adam and RMSProp too, where a
 * gradient scale would cancel out. Momentum is tfjs's, with a fused update on wasm (momentum.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerPlan } from '../plan.js';
import { FusedMomentumOptimizer } from './momentum.js';

type NamedTensor = { name: string; tensor: tf.Tensor };

export function createOptimizer(plan: OptimizerPlan, learningRate = plan.learningRate): tf.Optimizer {
  switch (plan.type) {
    case 'sgd':
      return plan.momentum !== undefined && plan.momentum > 0 ? new FusedMomentumOptimizer(learningRate, plan.momentum) : tf.train.sgd(learningRate);
    case 'momentum':
      return new FusedMomentumOptimizer(learningRate, plan.momentum ?? 0.9);
    case 'adam':
      return tf.train.adam(learningRate, plan.beta1, plan.beta2, plan.epsilon);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate, plan.decay ?? 0.9, plan.momentum ?? 0, plan.epsilon);
    case 'adagrad':
      return tf.train.adagrad(learningRate);
    case 'adamax':
      return new CheckpointableAdamax(learningRate, plan.beta1 ?? 0.9, plan.beta2 ?? 0.999, plan.epsilon, plan.decay ?? 0);
    case 'adadelta':
      return tf.train.adadelta(learningRate, plan.rho, plan.epsilon);
  }
}

/** The state tfjs 4.22's Adamax keeps in fields it does not declare. */
interface AdamaxState {
  beta1: number;
  iteration: tf.Variable;
  accBeta1: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedWeightedInfNorm: { originalName: string; variable: tf.Variable }[];
}

/**
 * tfjs 4.22's Adamax throws in getWeights/setWeights, so a checkpoint (every epoch) could not be
 * written. The same optimizer with its state saved as Adam's is: the iteration count, then each
 * variable's first moment (`<name>/m`) and weighted infinity norm (`<name>/v`).
 */
class CheckpointableAdamax extends tf.AdamaxOptimizer {
  private get state(): AdamaxState {
    return this as unknown as AdamaxState;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const s = this.state;
    const slots = [...s.accumulatedFirstMoment, ...s.accumulatedWeightedInfNorm];
    return [await this.saveIterations(), ...slots.map((v) => ({ name: v.originalName, tensor: v.variable }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    const s = this.state;
    const half = values.length / 2;
    const slot = (v: NamedTensor) => ({ originalName: v.name, variable: v.tensor.variable(false) });
    s.accumulatedFirstMoment = values.slice(0, half).map(slot);
    s.accumulatedWeightedInfNorm = values.slice(half).map(slot);
    // iteration and β1^(iteration+1) follow from the step count: the product is rebuilt in float32
    // one step at a time, as applyGradients builds it, so a resumed run continues bit for bit.
    const beta1 = Math.fround(s.beta1);
    let acc = beta1;
    for (let i = 0; i < this.iterations; i++) acc = Math.fround(acc * beta1);
    s.iteration.assign(tf.scalar(this.iterations));
    s.accBeta1.assign(tf.scalar(acc));
  }
}
