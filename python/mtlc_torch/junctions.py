"""Junctions with the math of mtlc's TypeScript runtime (src/runtime/cross-stitch.ts).

CrossStitch (Misra et al. 2016): N >= 2 inputs, N outputs, x~_i = sum_j alpha[i, j] x_j.
- channel: alpha [N, N, C], C the last (channel) axis, applied at every position;
- scalar:  alpha [N, N];
- unit:    rank-2 inputs [B, d_i]; alpha [D, D], D = sum d_i, y = concat(x) @ alpha^T split back.
The weight is named ``alpha`` like the tfjs layer's, so tfjs weights load by name.
"""
import torch
from torch import nn

DEFAULT_INIT = {"self": 0.9, "other": 0.1}
UNIT_INIT = {"self": 1.0, "other": 0.0}


def mixing_matrix(n, init):
    if "matrix" in init:
        m = [list(map(float, row)) for row in init["matrix"]]
        if len(m) != n:
            raise ValueError("init.matrix is %dx%d but the junction stitches %d towers" % (len(m), len(m), n))
        return m
    off = float(init["other"]) / (n - 1)
    return [[float(init["self"]) if i == j else off for j in range(n)] for i in range(n)]


def unit_matrix(widths, init):
    d = sum(widths)
    if init is not None and "matrix" in init and len(init["matrix"]) == d and d != len(widths):
        return [list(map(float, row)) for row in init["matrix"]]
    a = mixing_matrix(len(widths), init if init is not None else UNIT_INIT)
    out = [[0.0] * d for _ in range(d)]
    offsets = [sum(widths[:i]) for i in range(len(widths))]
    for i, di in enumerate(widths):
        for j, dj in enumerate(widths):
            for k in range(min(di, dj)):
                out[offsets[i] + k][offsets[j] + k] = a[i][j]
    return out


class CrossStitch(nn.Module):
    """shapes: the stitched activations' shapes without the batch axis, in tower order."""

    kind = "crossStitch"

    def __init__(self, shapes, mode="channel", init=None, trainable=True):
        super().__init__()
        if mode not in ("channel", "scalar", "unit"):
            raise ValueError("CrossStitch: mode must be channel, scalar or unit, got %r" % (mode,))
        if len(shapes) < 2:
            raise ValueError("CrossStitch: needs at least 2 inputs, got %d" % len(shapes))
        self.mode = mode
        self.n = len(shapes)
        if mode == "unit":
            self.widths = [int(s[-1]) for s in shapes]
            values = torch.tensor(unit_matrix(self.widths, init), dtype=torch.float32)
        else:
            a = torch.tensor(mixing_matrix(self.n, init if init is not None else DEFAULT_INIT), dtype=torch.float32)
            if mode == "scalar":
                values = a
            else:
                c = int(shapes[0][-1])
                values = a.unsqueeze(-1).repeat(1, 1, c).contiguous()
        self.alpha = nn.Parameter(values, requires_grad=bool(trainable))

    def forward(self, xs):
        if len(xs) != self.n:
            raise ValueError("CrossStitch: built for %d inputs, got %d" % (self.n, len(xs)))
        if self.mode == "unit":
            cat = torch.cat(list(xs), dim=1)
            return list(torch.split(torch.matmul(cat, self.alpha.t()), self.widths, dim=1))
        outs = []
        for i in range(self.n):
            acc = None
            for j in range(self.n):
                term = xs[j] * self.alpha[i, j]
                acc = term if acc is None else acc + term
            outs.append(acc)
        return outs
