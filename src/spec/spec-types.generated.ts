/**
 * GENERATED from schemas/mtl-spec.schema.json by scripts/gen-spec-types.ts; do not edit.
 * Regenerate with: npx tsx scripts/gen-spec-types.ts
 */

/**
 * A layer, chosen by its `type`: dense, conv2d, depthwiseConv2d, maxPooling2d, averagePooling2d, globalAveragePooling2d, globalMaxPooling2d, flatten, reshape, dropout, batchNormalization, layerNormalization, activation.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "Layer".
 */
export type Layer =
  | DenseLayer
  | Conv2DLayer
  | DepthwiseConv2DLayer
  | MaxPooling2DLayer
  | AveragePooling2DLayer
  | GlobalAveragePooling2DLayer
  | GlobalMaxPooling2DLayer
  | FlattenLayer
  | ReshapeLayer
  | DropoutLayer
  | BatchNormalizationLayer
  | LayerNormalizationLayer
  | ActivationLayer;
/**
 * A junction, chosen by its `kind` (default crossStitch): crossStitch, sluice, nddr.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "Junction".
 */
export type Junction = CrossStitch | SluiceJunction | NddrJunction;
/**
 * Initial α: self weight on the diagonal and other/(N−1) off it (rows are convex combinations), or an explicit N×N matrix (towers in spec order). Default { self: 0.9, other: 0.1 }; unit mode starts from the identity.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "CrossStitchInit".
 */
export type CrossStitchInit = CrossStitchConvexInit | CrossStitchMatrixInit;
/**
 * Where the training data comes from: the built-in MultiMNIST demo (the default when `data` is absent), or a JSON Lines / CSV file.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "Data".
 */
export type Data = MultiMnistData | JsonlData | CsvData;

/**
 * A multi-task network with cross-stitch units (Misra et al., CVPR 2016), compiled by mtlc to TensorFlow.js code.
 */
export interface MtlSpec {
  /**
   * Version of the spec language; this schema describes version 1.
   */
  version: 1;
  /**
   * Name of the model in PascalCase; the generated builder is `build<Name>()`.
   */
  name: string;
  /**
   * What the model does, in a sentence; copied into the generated code as a comment.
   */
  description?: string;
  input: Input;
  /**
   * One tower per task, keyed by the task name (camelCase identifier). The order is kept: it is the order of the model outputs.
   */
  towers: {
    [k: string]: Tower | undefined;
  };
  /**
   * Junctions, each mixing the activations of two or more towers after a layer: crossStitch (default), sluice, nddr, or a plugin kind (`kind:`).
   */
  crossStitch?: Junction[];
  training?: Training;
  data?: Data;
}
/**
 * The model input, shared by every tower.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "Input".
 */
export interface Input {
  /**
   * Name of the input (an identifier).
   */
  name?: string;
  /**
   * Shape of one example, without the batch axis, e.g. [28, 28, 1] for an image or [24] for features.
   *
   * @minItems 1
   * @maxItems 4
   */
  shape: [number] | [number, number] | [number, number, number] | [number, number, number, number];
}
/**
 * A task's tower: a stack of layers, then a dense head whose output is the task's prediction.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "Tower".
 */
export interface Tower {
  /**
   * What the task predicts.
   */
  description?: string;
  /**
   * The layers of the tower, applied in order to the model input.
   *
   * @minItems 1
   */
  layers: [Layer, ...Layer[]];
  head: Head;
  /**
   * The loss of the task, by its TensorFlow.js name (e.g. categoricalCrossentropy, meanSquaredError).
   */
  loss:
    | 'meanSquaredError'
    | 'meanAbsoluteError'
    | 'meanAbsolutePercentageError'
    | 'meanSquaredLogarithmicError'
    | 'squaredHinge'
    | 'hinge'
    | 'categoricalHinge'
    | 'logcosh'
    | 'categoricalCrossentropy'
    | 'sparseCategoricalCrossentropy'
    | 'binaryCrossentropy'
    | 'kullbackLeiblerDivergence'
    | 'poisson'
    | 'cosineProximity';
  /**
   * Weight of the task loss in the total loss (with taskWeighting fixed).
   */
  lossWeight?: number;
  /**
   * Metrics reported for the task, by their TensorFlow.js names.
   */
  metrics?: (
    | 'accuracy'
    | 'acc'
    | 'crossentropy'
    | 'ce'
    | 'binaryAccuracy'
    | 'categoricalAccuracy'
    | 'precision'
    | 'categoricalCrossentropy'
    | 'sparseCategoricalCrossentropy'
    | 'mse'
    | 'MSE'
    | 'mae'
    | 'MAE'
    | 'mape'
    | 'MAPE'
    | 'cosine'
  )[];
}
/**
 * Fully connected layer: output = activation(input · kernel + bias), applied to the last axis.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "DenseLayer".
 */
export interface DenseLayer {
  /**
   * The layer kind: dense.
   */
  type: 'dense';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
  /**
   * Number of output units (the width of the output).
   */
  units: number;
  /**
   * Activation applied to the output.
   */
  activation?:
    | 'elu'
    | 'hardSigmoid'
    | 'linear'
    | 'relu'
    | 'relu6'
    | 'selu'
    | 'sigmoid'
    | 'softmax'
    | 'softplus'
    | 'softsign'
    | 'tanh'
    | 'swish'
    | 'mish'
    | 'gelu'
    | 'gelu_new';
  /**
   * Whether the layer adds a learned bias vector.
   */
  useBias?: boolean;
}
/**
 * Two-dimensional convolution over an activation of shape [height, width, channels].
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "Conv2dLayer".
 */
export interface Conv2DLayer {
  /**
   * The layer kind: conv2d.
   */
  type: 'conv2d';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
  /**
   * Number of output channels (convolution filters).
   */
  filters: number;
  /**
   * Size of the convolution window. One integer for both axes, or [height, width].
   */
  kernelSize: number | [number, number];
  /**
   * Step of the window. One integer for both axes, or [height, width].
   */
  strides?: number | [number, number];
  /**
   * valid: no padding, the output shrinks by the (dilated) window minus 1; same: zero padding so that the output size is ceil(input / strides).
   */
  padding?: 'valid' | 'same';
  /**
   * Dilation of the window (atrous convolution); cannot be combined with strides > 1. One integer for both axes, or [height, width].
   */
  dilationRate?: number | [number, number];
  /**
   * Activation applied to the output.
   */
  activation?:
    | 'elu'
    | 'hardSigmoid'
    | 'linear'
    | 'relu'
    | 'relu6'
    | 'selu'
    | 'sigmoid'
    | 'softmax'
    | 'softplus'
    | 'softsign'
    | 'tanh'
    | 'swish'
    | 'mish'
    | 'gelu'
    | 'gelu_new';
  /**
   * Whether the layer adds a learned bias vector.
   */
  useBias?: boolean;
}
/**
 * Depthwise 2-D convolution: each input channel is convolved on its own, depthMultiplier times.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "DepthwiseConv2dLayer".
 */
export interface DepthwiseConv2DLayer {
  /**
   * The layer kind: depthwiseConv2d.
   */
  type: 'depthwiseConv2d';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
  /**
   * Size of the convolution window. One integer for both axes, or [height, width].
   */
  kernelSize: number | [number, number];
  /**
   * Output channels per input channel.
   */
  depthMultiplier?: number;
  /**
   * Step of the window. One integer for both axes, or [height, width].
   */
  strides?: number | [number, number];
  /**
   * valid: no padding, the output shrinks by the (dilated) window minus 1; same: zero padding so that the output size is ceil(input / strides).
   */
  padding?: 'valid' | 'same';
  /**
   * Dilation of the window. TensorFlow.js 4.22 does not apply it in depthwiseConv2d (it ignores the setting), so only 1 is accepted. One integer for both axes, or [height, width].
   */
  dilationRate?: number | [number, number];
  /**
   * Activation applied to the output.
   */
  activation?:
    | 'elu'
    | 'hardSigmoid'
    | 'linear'
    | 'relu'
    | 'relu6'
    | 'selu'
    | 'sigmoid'
    | 'softmax'
    | 'softplus'
    | 'softsign'
    | 'tanh'
    | 'swish'
    | 'mish'
    | 'gelu'
    | 'gelu_new';
  /**
   * Whether the layer adds a learned bias vector.
   */
  useBias?: boolean;
}
/**
 * Max pooling over windows of [height, width, channels]; channels are kept.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "MaxPooling2dLayer".
 */
export interface MaxPooling2DLayer {
  /**
   * The layer kind: maxPooling2d.
   */
  type: 'maxPooling2d';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
  /**
   * Size of the pooling window. One integer for both axes, or [height, width].
   */
  poolSize?: number | [number, number];
  /**
   * Step of the window; defaults to poolSize (non-overlapping windows). One integer for both axes, or [height, width].
   */
  strides?: number | [number, number];
  /**
   * valid: no padding, the output shrinks by the (dilated) window minus 1; same: zero padding so that the output size is ceil(input / strides).
   */
  padding?: 'valid' | 'same';
}
/**
 * Average pooling over windows of [height, width, channels]; channels are kept.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "AveragePooling2dLayer".
 */
export interface AveragePooling2DLayer {
  /**
   * The layer kind: averagePooling2d.
   */
  type: 'averagePooling2d';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
  /**
   * Size of the pooling window. One integer for both axes, or [height, width].
   */
  poolSize?: number | [number, number];
  /**
   * Step of the window; defaults to poolSize (non-overlapping windows). One integer for both axes, or [height, width].
   */
  strides?: number | [number, number];
  /**
   * valid: no padding, the output shrinks by the (dilated) window minus 1; same: zero padding so that the output size is ceil(input / strides).
   */
  padding?: 'valid' | 'same';
}
/**
 * Mean over height and width: [height, width, channels] becomes [channels].
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "GlobalAveragePooling2dLayer".
 */
export interface GlobalAveragePooling2DLayer {
  /**
   * The layer kind: globalAveragePooling2d.
   */
  type: 'globalAveragePooling2d';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
}
/**
 * Maximum over height and width: [height, width, channels] becomes [channels].
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "GlobalMaxPooling2dLayer".
 */
export interface GlobalMaxPooling2DLayer {
  /**
   * The layer kind: globalMaxPooling2d.
   */
  type: 'globalMaxPooling2d';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
}
/**
 * Flattens the activation to one axis (the batch axis is kept).
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "FlattenLayer".
 */
export interface FlattenLayer {
  /**
   * The layer kind: flatten.
   */
  type: 'flatten';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
}
/**
 * Reshapes the activation to targetShape, keeping the number of elements.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "ReshapeLayer".
 */
export interface ReshapeLayer {
  /**
   * The layer kind: reshape.
   */
  type: 'reshape';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
  /**
   * The new shape without the batch axis; it must hold as many elements as the input.
   *
   * @minItems 1
   */
  targetShape: [number, ...number[]];
}
/**
 * Sets a random fraction of the inputs to zero during training; the identity at inference.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "DropoutLayer".
 */
export interface DropoutLayer {
  /**
   * The layer kind: dropout.
   */
  type: 'dropout';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
  /**
   * Fraction of the inputs set to zero during training, in [0, 1).
   */
  rate?: number;
}
/**
 * Normalises each channel (last axis) with batch statistics, keeping moving averages for inference.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "BatchNormalizationLayer".
 */
export interface BatchNormalizationLayer {
  /**
   * The layer kind: batchNormalization.
   */
  type: 'batchNormalization';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
  /**
   * Momentum of the moving mean and variance, in [0, 1].
   */
  momentum?: number;
  /**
   * Small constant added to the variance to avoid dividing by zero.
   */
  epsilon?: number;
  /**
   * Whether to learn an offset (beta).
   */
  center?: boolean;
  /**
   * Whether to learn a scale (gamma).
   */
  scale?: boolean;
}
/**
 * Normalises each example over its last axis, with a learned scale and offset.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "LayerNormalizationLayer".
 */
export interface LayerNormalizationLayer {
  /**
   * The layer kind: layerNormalization.
   */
  type: 'layerNormalization';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
  /**
   * Small constant added to the variance to avoid dividing by zero.
   */
  epsilon?: number;
  /**
   * Whether to learn an offset (beta).
   */
  center?: boolean;
  /**
   * Whether to learn a scale (gamma).
   */
  scale?: boolean;
}
/**
 * Applies an activation function element-wise; the shape is unchanged.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "ActivationLayer".
 */
export interface ActivationLayer {
  /**
   * The layer kind: activation.
   */
  type: 'activation';
  /**
   * Name of the layer, unique within its tower (an identifier); junctions refer to it in `after`. Default: the type and the position, e.g. `conv2d3`.
   */
  name?: string;
  /**
   * The element-wise function, by its TensorFlow.js name.
   */
  activation:
    | 'elu'
    | 'hardSigmoid'
    | 'linear'
    | 'relu'
    | 'relu6'
    | 'selu'
    | 'sigmoid'
    | 'softmax'
    | 'softplus'
    | 'softsign'
    | 'tanh'
    | 'swish'
    | 'mish'
    | 'gelu'
    | 'gelu_new';
}
/**
 * The task's output layer: a dense layer named after the task.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "Head".
 */
export interface Head {
  /**
   * Width of the output (e.g. the number of classes).
   */
  units: number;
  /**
   * Activation of the output, e.g. softmax for classes, sigmoid for a probability, linear for regression.
   */
  activation?:
    | 'elu'
    | 'hardSigmoid'
    | 'linear'
    | 'relu'
    | 'relu6'
    | 'selu'
    | 'sigmoid'
    | 'softmax'
    | 'softplus'
    | 'softsign'
    | 'tanh'
    | 'swish'
    | 'mish'
    | 'gelu'
    | 'gelu_new';
  /**
   * Whether the head adds a learned bias vector.
   */
  useBias?: boolean;
}
/**
 * A cross-stitch junction: after the given layers, each stitched tower gets a learned mix of all stitched activations.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "CrossStitch".
 */
export interface CrossStitch {
  /**
   * The junction kind: crossStitch (the default).
   */
  kind?: 'crossStitch';
  /**
   * Name of the junction (an identifier). Default: stitch1, stitch2, ... by position.
   */
  name?: string;
  /**
   * Where the junction sits: a layer name found in every stitched tower, or one layer name per tower ({ task: layer }).
   */
  after:
    | string
    | {
        /**
         * A layer name: identifier, unique within its tower.
         */
        [k: string]: string | undefined;
      };
  /**
   * The stitched tasks (at least two). Default: the keys of `after` when it is a map, else every tower.
   *
   * @minItems 2
   *
   * Items: A task name (a key of `towers`): camelCase identifier.
   */
  towers?: [string, string, ...string[]];
  /**
   * channel: one α matrix per channel (the paper); scalar: one N×N matrix for the layer; unit: rank-2 activations concatenated and mixed by one (Σd)×(Σd) matrix.
   */
  mode?: 'channel' | 'scalar' | 'unit';
  init?: CrossStitchInit;
  /**
   * Whether the junction learns (false keeps its parameters at their initial values).
   */
  trainable?: boolean;
}
/**
 * Self and other weights.
 */
export interface CrossStitchConvexInit {
  /**
   * α_S: weight of a tower on its own activation.
   */
  self?: number;
  /**
   * α_D: total weight on the other towers, shared equally among them.
   */
  other?: number;
}
/**
 * An explicit α matrix: row i holds the weights tower i gives to each stitched tower.
 */
export interface CrossStitchMatrixInit {
  /**
   * N rows of N numbers, towers in spec order.
   *
   * @minItems 2
   */
  matrix: [[number, number, ...number[]], [number, number, ...number[]], ...[number, number, ...number[]][]];
}
/**
 * A sluice junction: the stitched activations are split into subspaces along their channels, and every subspace of every tower gets a learned mix of all of them.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "SluiceJunction".
 */
export interface SluiceJunction {
  /**
   * The junction kind: sluice.
   */
  kind?: 'sluice';
  /**
   * Name of the junction (an identifier). Default: stitch1, stitch2, ... by position.
   */
  name?: string;
  /**
   * Where the junction sits: a layer name found in every stitched tower, or one layer name per tower ({ task: layer }).
   */
  after:
    | string
    | {
        /**
         * A layer name: identifier, unique within its tower.
         */
        [k: string]: string | undefined;
      };
  /**
   * The stitched tasks (at least two). Default: the keys of `after` when it is a map, else every tower.
   *
   * @minItems 2
   *
   * Items: A task name (a key of `towers`): camelCase identifier.
   */
  towers?: [string, string, ...string[]];
  /**
   * Subspaces per task; must divide the channel (last) axis. 1 is a scalar cross-stitch.
   */
  subspaces?: number;
  /**
   * Initial α: self on each subspace itself, other/(N−1) on the same subspace of each other tower, 0 between different subspaces.
   */
  init?: {
    /**
     * α_S: weight of a subspace on itself.
     */
    self?: number;
    /**
     * α_D: total weight on the same subspace of the other towers.
     */
    other?: number;
  };
  /**
   * Weight of the orthogonality penalty Σ ‖G_sᵀ G_t‖²_F / M² between a task’s subspaces (0: none).
   */
  orthogonality?: number;
  /**
   * Whether the junction learns (false keeps its parameters at their initial values).
   */
  trainable?: boolean;
}
/**
 * An NDDR junction: the stitched activations are concatenated on the channel axis and each tower takes a 1×1 convolution of them back to its width, with batch normalization.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "NddrJunction".
 */
export interface NddrJunction {
  /**
   * The junction kind: nddr.
   */
  kind?: 'nddr';
  /**
   * Name of the junction (an identifier). Default: stitch1, stitch2, ... by position.
   */
  name?: string;
  /**
   * Where the junction sits: a layer name found in every stitched tower, or one layer name per tower ({ task: layer }).
   */
  after:
    | string
    | {
        /**
         * A layer name: identifier, unique within its tower.
         */
        [k: string]: string | undefined;
      };
  /**
   * The stitched tasks (at least two). Default: the keys of `after` when it is a map, else every tower.
   *
   * @minItems 2
   *
   * Items: A task name (a key of `towers`): camelCase identifier.
   */
  towers?: [string, string, ...string[]];
  /**
   * Initial 1×1 weights [α_S·I, α_D·I]: self on the tower’s own channels, other/(N−1) on the matching channels of each other tower (rectangular identity when widths differ).
   */
  init?: {
    /**
     * α_S: weight of a tower on its own channels.
     */
    self?: number;
    /**
     * α_D: total weight on the other towers’ channels.
     */
    other?: number;
  };
  /**
   * Batch normalization after the 1×1 convolution (the paper’s NDDR layer). Data-parallel training (--workers) needs false.
   */
  batchNorm?: boolean;
  /**
   * Learning rate of the 1×1 weights relative to the towers’. Default: training.crossStitchLearningRateMultiplier.
   */
  learningRateMultiplier?: number;
  /**
   * L2 weight decay of the 1×1 weights: weightDecay/2 · Σ w² is added to the loss.
   */
  weightDecay?: number;
  /**
   * Whether the junction learns (false keeps its parameters at their initial values).
   */
  trainable?: boolean;
}
/**
 * Training defaults; the CLI and the generated train entrypoint can override them.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "Training".
 */
export interface Training {
  /**
   * gpu: @tensorflow/tfjs-node-gpu; node: @tensorflow/tfjs-node; wasm: @tensorflow/tfjs-backend-wasm; cpu: plain JavaScript; auto: the first of those that loads.
   */
  backend?: 'gpu' | 'node' | 'wasm' | 'cpu' | 'auto';
  optimizer?: Optimizer;
  /**
   * Learning rate of the cross-stitch α relative to the towers' (the paper uses 10²–10³); α has its own optimizer state, so this holds for every optimizer. Default 100, or 10 (then 1) where the measured stability rule says 100 diverges (a unit junction under momentum SGD or Adam-like optimizers, Adam at 0.01).
   */
  crossStitchLearningRateMultiplier?: number;
  /**
   * Examples per training step.
   */
  batchSize?: number;
  /**
   * Passes over the training data.
   */
  epochs?: number;
  /**
   * Fraction of the training data held out for validation, in [0, 1).
   */
  validationSplit?: number;
  /**
   * Seed of weight initialisation, shuffling and demo data.
   */
  seed?: number;
  taskWeighting?: TaskWeighting;
}
/**
 * The optimizer of the tower weights (α uses the same kind, with its own learning rate and state).
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "Optimizer".
 */
export interface Optimizer {
  /**
   * The TensorFlow.js optimizer; sgd with momentum > 0 becomes momentum.
   */
  type?: 'sgd' | 'momentum' | 'adam' | 'rmsprop' | 'adagrad' | 'adamax' | 'adadelta';
  /**
   * Learning rate of the tower weights. Default by type: sgd 0.01, momentum 0.01, adam 0.001, rmsprop 0.001, adagrad 0.01, adamax 0.002, adadelta 0.001.
   */
  learningRate?: number;
  /**
   * Momentum (sgd, momentum, rmsprop), in [0, 1).
   */
  momentum?: number;
  /**
   * Decay of the first moment estimate (adam, adamax), in [0, 1).
   */
  beta1?: number;
  /**
   * Decay of the second moment estimate (adam, adamax), in [0, 1).
   */
  beta2?: number;
  /**
   * Small constant for numerical stability.
   */
  epsilon?: number;
  /**
   * Decay of the squared-gradient average (rmsprop: 0.9, adadelta: 0.95 in tfjs), in [0, 1).
   */
  rho?: number;
  /**
   * Learning-rate decay per step (adamax), ≥ 0.
   */
  decay?: number;
}
/**
 * How task losses are combined into the total loss.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "TaskWeighting".
 */
export interface TaskWeighting {
  /**
   * fixed: each task loss times its lossWeight; uncertainty: learned homoscedastic uncertainty weights (Kendall et al. 2018); dwa: dynamic weight average (Liu et al. 2019).
   */
  type?: 'fixed' | 'uncertainty' | 'dwa';
  /**
   * Temperature T of dwa.
   */
  temperature?: number;
}
/**
 * Built-in demo data: two MNIST digits overlaid on one 28×28 image, one task per digit (left, right).
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "MultiMnistData".
 */
export interface MultiMnistData {
  /**
   * The built-in MultiMNIST demo data.
   */
  format: 'multimnist';
  /**
   * Training examples to draw.
   */
  trainSize?: number;
  /**
   * Test examples to draw (from digits not used for training).
   */
  testSize?: number;
  /**
   * Where the two digits sit on the 36×36 canvas, i.e. how much they overlap: fixed: (0,0) and (8,8), about 7 % of a digit's ink under the other; senerKoltun: (0,0) and (6,6) as Sener & Koltun 2018, about 14 %; random: random shifts as Sabour et al. 2017, the first digit at 0..4 and the second at 4..8 on each axis (so the first stays up-left), about 22 %.
   */
  placement?: 'fixed' | 'senerKoltun' | 'random';
  /**
   * Redraw the second digit until its class differs from the first (as Sabour et al. 2017).
   */
  distinctClasses?: boolean;
  /**
   * Partially labelled training data: per task, the share of training examples that carry its label, in (0, 1] (default 1). A seeded subset per task; the other examples give that task no loss. The test part stays fully labelled.
   */
  labelFraction?: {
    /**
     * Share of training examples labelled for this task.
     */
    [k: string]: number | undefined;
  };
}
/**
 * JSON Lines: one object per line, with the input field(s) and a field per task.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "JsonlData".
 */
export interface JsonlData {
  /**
   * JSON Lines: one object per line, with the input field(s) and a field per task.
   */
  format: 'jsonl';
  /**
   * Training data file, relative to the spec file.
   */
  path: string;
  /**
   * The field holding the input (an array of numbers), or one field per input value, in order.
   */
  input: string | [string, ...string[]];
  /**
   * For each task, the field holding its target.
   */
  targets: {
    /**
     * Field name.
     */
    [k: string]: string | undefined;
  };
  /**
   * Test data file in the same format, relative to the spec file.
   */
  testPath?: string;
}
/**
 * CSV with a header row: the input column(s) and a column per task.
 *
 * This interface was referenced by `MtlSpec`'s JSON-Schema
 * via the `definition` "CsvData".
 */
export interface CsvData {
  /**
   * CSV with a header row: the input column(s) and a column per task.
   */
  format: 'csv';
  /**
   * Training data file, relative to the spec file.
   */
  path: string;
  /**
   * The field holding the input (an array of numbers), or one field per input value, in order.
   */
  input: string | [string, ...string[]];
  /**
   * For each task, the field holding its target.
   */
  targets: {
    /**
     * Field name.
     */
    [k: string]: string | undefined;
  };
  /**
   * Test data file in the same format, relative to the spec file.
   */
  testPath?: string;
}
