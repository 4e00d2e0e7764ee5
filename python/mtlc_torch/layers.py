"""Layers with TensorFlow.js semantics, in PyTorch.

Activations stay channels-last (NHWC) as in tfjs, so flatten order, the channel axis of
cross-stitch units and every weight layout are tfjs's own: a tfjs weight is a parameter here
with the same shape and bytes (conv kernel [kh, kw, in, out], dense kernel [in, out],
depthwise kernel [kh, kw, in, multiplier]). Convolutions run on a channels-last view
(``permute(0, 3, 1, 2)``), which PyTorch's CPU kernels take without a copy.

Where tfjs and PyTorch differ and this module follows tfjs:
- 'same' padding: total padding max(0, (ceil(in/stride)-1)*stride + effective_kernel - in),
  the smaller half before (top/left), the larger after, also at stride > 1 (PyTorch's
  padding='same' refuses stride > 1 and is symmetric).
- average pooling with 'same' padding divides by the number of real (unpadded) inputs.
- batch normalization: moving = moving - (moving - batch) * (1 - momentum) with the biased
  batch variance (tf.moments), momentum 0.99 and epsilon 1e-3 by default.
- hardSigmoid is clip(0.2 x + 0.5, 0, 1) (PyTorch's hardsigmoid is x / 6 + 0.5).

Parameters are created empty: their values come from tfjs (the initial weights mtlc builds
from the seed), so initialisers need not match.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def _hard_sigmoid(x):
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "relu6": lambda x: torch.clamp(torch.relu(x), max=6.0),
    "elu": F.elu,
    "selu": torch.selu,
    "sigmoid": torch.sigmoid,
    "hardSigmoid": _hard_sigmoid,
    "softmax": lambda x: torch.softmax(x, dim=-1),
    "softplus": F.softplus,
    "softsign": lambda x: x / (1 + torch.abs(x)),
    "tanh": torch.tanh,
    "swish": lambda x: x * torch.sigmoid(x),
    "mish": lambda x: x * torch.tanh(F.softplus(x)),
    "gelu": lambda x: x * (0.5 * (1 + torch.erf(x / math.sqrt(2)))),
    "gelu_new": lambda x: 0.5 * (x * (1 + torch.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))),
}


def activation_function(name):
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError("unknown activation %r; known: %s" % (name, ", ".join(sorted(ACTIVATIONS)))) from None


def _pair(v):
    return (int(v), int(v)) if isinstance(v, (int, float)) else (int(v[0]), int(v[1]))


def same_padding(size, kernel, stride, dilation):
    """(before, after) padding of one spatial axis as tfjs computes it for 'same'."""
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max(0, (out - 1) * stride + effective - size)
    return total // 2, total - total // 2


def _pads(shape_hw, kernel, strides, dilation, padding):
    """F.pad argument (left, right, top, bottom) for an NCHW tensor, or None for 'valid'."""
    if padding != "same":
        return None
    top, bottom = same_padding(shape_hw[0], kernel[0], strides[0], dilation[0])
    left, right = same_padding(shape_hw[1], kernel[1], strides[1], dilation[1])
    if top == bottom == left == right == 0:
        return None
    return (left, right, top, bottom)


def _empty(*shape):
    return nn.Parameter(torch.zeros(*shape, dtype=torch.float32))


class Dense(nn.Module):
    """tf.layers.dense on the last axis: activation(x · kernel + bias), kernel [in, units]."""

    def __init__(self, input_shape, units, activation="linear", use_bias=True):
        super().__init__()
        self.kernel = _empty(int(input_shape[-1]), int(units))
        self.bias = _empty(int(units)) if use_bias else None
        self.act = activation_function(activation)

    def forward(self, x):
        y = torch.matmul(x, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return self.act(y)


class Conv2d(nn.Module):
    """tf.layers.conv2d, NHWC in and out, kernel [kh, kw, in, filters]."""

    def __init__(self, input_shape, filters, kernel_size, strides=1, padding="valid", dilation_rate=1, activation="linear", use_bias=True):
        super().__init__()
        self.kernel_size = _pair(kernel_size)
        self.strides = _pair(strides)
        self.dilation = _pair(dilation_rate)
        self.padding = padding
        self.kernel = _empty(self.kernel_size[0], self.kernel_size[1], int(input_shape[-1]), int(filters))
        self.bias = _empty(int(filters)) if use_bias else None
        self.act = activation_function(activation)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        pads = _pads(x.shape[2:], self.kernel_size, self.strides, self.dilation, self.padding)
        if pads is not None:
            x = F.pad(x, pads)
        y = F.conv2d(x, self.kernel.permute(3, 2, 0, 1), None, self.strides, 0, self.dilation).permute(0, 2, 3, 1)
        if self.bias is not None:
            y = y + self.bias
        return self.act(y)


class DepthwiseConv2d(nn.Module):
    """tf.layers.depthwiseConv2d: output channel c * multiplier + m, kernel [kh, kw, in, multiplier]."""

    def __init__(self, input_shape, kernel_size, depth_multiplier=1, strides=1, padding="valid", dilation_rate=1, activation="linear", use_bias=True):
        super().__init__()
        self.kernel_size = _pair(kernel_size)
        self.strides = _pair(strides)
        self.dilation = _pair(dilation_rate)
        self.padding = padding
        self.channels = int(input_shape[-1])
        self.multiplier = int(depth_multiplier)
        self.depthwise_kernel = _empty(self.kernel_size[0], self.kernel_size[1], self.channels, self.multiplier)
        self.bias = _empty(self.channels * self.multiplier) if use_bias else None
        self.act = activation_function(activation)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        pads = _pads(x.shape[2:], self.kernel_size, self.strides, self.dilation, self.padding)
        if pads is not None:
            x = F.pad(x, pads)
        kh, kw = self.kernel_size
        w = self.depthwise_kernel.permute(2, 3, 0, 1).reshape(self.channels * self.multiplier, 1, kh, kw)
        y = F.conv2d(x, w, None, self.strides, 0, self.dilation, groups=self.channels).permute(0, 2, 3, 1)
        if self.bias is not None:
            y = y + self.bias
        return self.act(y)


class MaxPooling2d(nn.Module):
    def __init__(self, input_shape, pool_size, strides=None, padding="valid"):
        super().__init__()
        self.pool = _pair(pool_size)
        self.strides = _pair(strides if strides is not None else pool_size)
        self.padding = padding

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        pads = _pads(x.shape[2:], self.pool, self.strides, (1, 1), self.padding)
        if pads is not None:
            x = F.pad(x, pads, value=float("-inf"))
        return F.max_pool2d(x, self.pool, self.strides).permute(0, 2, 3, 1)


class AveragePooling2d(nn.Module):
    def __init__(self, input_shape, pool_size, strides=None, padding="valid"):
        super().__init__()
        self.pool = _pair(pool_size)
        self.strides = _pair(strides if strides is not None else pool_size)
        self.padding = padding

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        pads = _pads(x.shape[2:], self.pool, self.strides, (1, 1), self.padding)
        if pads is None:
            return F.avg_pool2d(x, self.pool, self.strides).permute(0, 2, 3, 1)
        # tfjs averages over the real inputs of each window, not the padding.
        total = F.avg_pool2d(F.pad(x, pads), self.pool, self.strides, divisor_override=1)
        ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
        count = F.avg_pool2d(F.pad(ones, pads), self.pool, self.strides, divisor_override=1)
        return (total / count).permute(0, 2, 3, 1)


class GlobalAveragePooling2d(nn.Module):
    def __init__(self, input_shape):
        super().__init__()

    def forward(self, x):
        return torch.mean(x, dim=(1, 2))


class GlobalMaxPooling2d(nn.Module):
    def __init__(self, input_shape):
        super().__init__()

    def forward(self, x):
        return torch.amax(x, dim=(1, 2))


class Flatten(nn.Module):
    """Row-major over NHWC: the order tfjs flattens in."""

    def __init__(self, input_shape):
        super().__init__()

    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class Reshape(nn.Module):
    def __init__(self, input_shape, target_shape):
        super().__init__()
        self.target = tuple(int(d) for d in target_shape)

    def forward(self, x):
        return x.reshape((x.shape[0],) + self.target)


class Dropout(nn.Module):
    def __init__(self, input_shape, rate):
        super().__init__()
        self.rate = float(rate)

    def forward(self, x):
        return F.dropout(x, self.rate, self.training)


class Activation(nn.Module):
    def __init__(self, input_shape, activation):
        super().__init__()
        self.act = activation_function(activation)

    def forward(self, x):
        return self.act(x)


def _moments(x, dims):
    mean = torch.mean(x, dim=dims, keepdim=True)
    variance = torch.mean(torch.square(x - mean), dim=dims, keepdim=True)
    return mean, variance


class BatchNormalization(nn.Module):
    """tf.layers.batchNormalization over the last axis (biased batch variance, tfjs momentum)."""

    def __init__(self, input_shape, momentum=0.99, epsilon=1e-3, center=True, scale=True, axis=-1):
        super().__init__()
        c = int(input_shape[-1])
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.gamma = _empty(c) if scale else None
        self.beta = _empty(c) if center else None
        self.register_buffer("moving_mean", torch.zeros(c))
        self.register_buffer("moving_variance", torch.ones(c))

    def _normalize(self, x, mean, variance):
        y = (x - mean) * torch.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            y = y * self.gamma
        if self.beta is not None:
            y = y + self.beta
        return y

    def forward(self, x):
        if not self.training:
            return self._normalize(x, self.moving_mean, self.moving_variance)
        dims = tuple(range(x.dim() - 1))
        mean, variance = _moments(x, dims)
        with torch.no_grad():
            decay = 1 - self.momentum
            self.moving_mean.sub_((self.moving_mean - mean.reshape(-1)) * decay)
            self.moving_variance.sub_((self.moving_variance - variance.reshape(-1)) * decay)
        return self._normalize(x, mean, variance)


class LayerNormalization(nn.Module):
    """tf.layers.layerNormalization over the last axis (biased variance)."""

    def __init__(self, input_shape, epsilon=1e-3, center=True, scale=True, axis=-1):
        super().__init__()
        c = int(input_shape[-1])
        self.epsilon = float(epsilon)
        self.gamma = _empty(c) if scale else None
        self.beta = _empty(c) if center else None

    def forward(self, x):
        mean, variance = _moments(x, (-1,))
        y = (x - mean) * torch.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            y = y * self.gamma
        if self.beta is not None:
            y = y + self.beta
        return y
