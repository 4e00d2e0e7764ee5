/**
 * Optimizers from the plan. α gets a second optimizer of the same type with a larger learning
 * rate (the multiplier): its own state, so the multiplier holds for Adam and RMSProp too, where a
 * gradient scale would cancel out.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerPlan } from '../plan.js';

export function createOptimizer(plan: OptimizerPlan, learningRate = plan.learningRate): tf.Optimizer {
  switch (plan.type) {
    case 'sgd':
      return plan.momentum !== undefined && plan.momentum > 0 ? tf.train.momentum(learningRate, plan.momentum) : tf.train.sgd(learningRate);
    case 'momentum':
      return tf.train.momentum(learningRate, plan.momentum ?? 0.9);
    case 'adam':
      return tf.train.adam(learningRate, plan.beta1, plan.beta2, plan.epsilon);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate, plan.decay ?? 0.9, plan.momentum ?? 0, plan.epsilon);
    case 'adagrad':
      return tf.train.adagrad(learningRate);
    case 'adamax':
      return tf.train.adamax(learningRate, plan.beta1, plan.beta2, plan.epsilon, plan.decay);
    case 'adadelta':
      return tf.train.adadelta(learningRate, plan.rho, plan.epsilon);
  }
}
