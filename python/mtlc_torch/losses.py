"""Losses and metrics by the names the spec uses, computed as mtlc's tfjs loop computes them
(src/runtime/train/losses.ts). Each returns a per-example tensor [batch]; ``reduce_mean``
averages it, optionally under a per-example mask (a task's label may be missing for some
examples: those are left out of its loss and metrics, and a batch without any label of a task
contributes zero).
"""
import math

import torch

EPS = 1e-7


def _last_axis_mean(t):
    return torch.mean(t, dim=-1) if t.dim() > 1 else t


def _l2n(t):
    return t / torch.clamp(torch.linalg.norm(t, dim=-1, keepdim=True), min=EPS)


def _categorical_crossentropy(y, p):
    q = torch.clamp(p / torch.sum(p, dim=-1, keepdim=True), EPS, 1 - EPS)
    return -torch.sum(y * torch.log(q), dim=-1)


def _one_hot(y, p):
    classes = p.shape[-1]
    return torch.nn.functional.one_hot(y.reshape(-1).long(), classes).to(p.dtype)


def _binary_crossentropy(y, p):
    q = torch.clamp(p, EPS, 1 - EPS)
    return _last_axis_mean(-(y * torch.log(q) + (1 - y) * torch.log(1 - q)))


def _categorical_hinge(y, p):
    pos = torch.sum(y * p, dim=-1)
    neg = torch.amax((1 - y) * p, dim=-1)
    return torch.relu(neg - pos + 1)


def _logcosh(y, p):
    d = p - y
    return _last_axis_mean(d + torch.nn.functional.softplus(-2 * d) - math.log(2))


LOSSES = {
    "meanSquaredError": lambda y, p: _last_axis_mean(torch.square(y - p)),
    "meanAbsoluteError": lambda y, p: _last_axis_mean(torch.abs(y - p)),
    "meanAbsolutePercentageError": lambda y, p: 100 * _last_axis_mean(torch.abs((y - p) / torch.clamp(torch.abs(y), min=EPS))),
    "meanSquaredLogarithmicError": lambda y, p: _last_axis_mean(
        torch.square(torch.log1p(torch.clamp(y, min=EPS)) - torch.log1p(torch.clamp(p, min=EPS)))),
    "squaredHinge": lambda y, p: _last_axis_mean(torch.square(torch.relu(1 - y * p))),
    "hinge": lambda y, p: _last_axis_mean(torch.relu(1 - y * p)),
    "categoricalHinge": _categorical_hinge,
    "logcosh": _logcosh,
    "categoricalCrossentropy": _categorical_crossentropy,
    "sparseCategoricalCrossentropy": lambda y, p: _categorical_crossentropy(_one_hot(y, p), p),
    "binaryCrossentropy": _binary_crossentropy,
    "kullbackLeiblerDivergence": lambda y, p: torch.sum(
        y * torch.log(torch.clamp(y, EPS, 1) / torch.clamp(p, EPS, 1)), dim=-1),
    "poisson": lambda y, p: _last_axis_mean(p - y * torch.log(p + EPS)),
    "cosineProximity": lambda y, p: -torch.sum(_l2n(y) * _l2n(p), dim=-1),
}

# Losses whose targets are one-hot vectors (the data hand-over one-hot encodes class indices).
ONE_HOT_LOSSES = frozenset(["categoricalCrossentropy", "categoricalHinge", "kullbackLeiblerDivergence"])


def loss_function(name):
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError("unknown loss %r; known: %s" % (name, ", ".join(LOSSES))) from None


def _argmax_accuracy(y, p):
    return (torch.argmax(y, dim=-1) == torch.argmax(p, dim=-1)).to(p.dtype)


def _sparse_accuracy(y, p):
    return (y.reshape(-1).long() == torch.argmax(p, dim=-1)).to(p.dtype)


def _binary_accuracy(y, p):
    return _last_axis_mean((y == (p > 0.5).to(y.dtype)).to(p.dtype))


_ALIASES = {"mse": "meanSquaredError", "MSE": "meanSquaredError", "mae": "meanAbsoluteError",
            "MAE": "meanAbsoluteError", "mape": "meanAbsolutePercentageError",
            "MAPE": "meanAbsolutePercentageError", "cosine": "cosineProximity"}


def metric_function(name, loss):
    """A metric by name, picked per loss for accuracy and crossentropy as tfjs-layers does."""
    if name in ("accuracy", "acc"):
        if loss == "binaryCrossentropy":
            return _binary_accuracy
        if loss == "sparseCategoricalCrossentropy":
            return _sparse_accuracy
        return _argmax_accuracy
    if name in ("crossentropy", "ce"):
        if loss in ("binaryCrossentropy", "sparseCategoricalCrossentropy"):
            return LOSSES[loss]
        return LOSSES["categoricalCrossentropy"]
    if name == "binaryAccuracy":
        return _binary_accuracy
    if name == "categoricalAccuracy":
        return _argmax_accuracy
    if name == "sparseCategoricalAccuracy":
        return _sparse_accuracy
    if name in ("precision", "recall"):
        # Per batch, as the tfjs loop approximates it (per-example terms do not average to it).
        def batch_ratio(y, p):
            pred = (p > 0.5).to(p.dtype)
            tp = torch.sum(y * pred)
            denom = torch.sum(pred) if name == "precision" else torch.sum(y)
            return torch.ones(y.shape[0], dtype=p.dtype) * (tp / torch.clamp(denom, min=EPS))
        return batch_ratio
    fn = LOSSES.get(_ALIASES.get(name, name))
    if fn is None:
        raise ValueError("unknown metric %r" % (name,))
    return fn


def reduce_sum(per_example, mask=None):
    """(sum of the per-example values, number of examples counted) under an optional mask."""
    if mask is None:
        return torch.sum(per_example), per_example.shape[0]
    m = mask.to(per_example.dtype)
    return torch.sum(per_example * m), m.sum()
