"""Junctions with the math of mtlc's TypeScript runtime (src/runtime/cross-stitch.ts,
sluice.ts, nddr.ts), and the junction contract of src/runtime/junction.ts.

CrossStitch (Misra et al. 2016): N >= 2 inputs, N outputs, x~_i = sum_j alpha[i, j] x_j.
- channel: alpha [N, N, C], C the last (channel) axis, applied at every position;
- scalar:  alpha [N, N];
- unit:    rank-2 inputs [B, d_i]; alpha [D, D], D = sum d_i, y = concat(x) @ alpha^T split back.
Sluice (Ruder et al. 2019): channels split into S subspaces; alpha [N*S, N*S] mixes them all;
an orthogonality penalty between a tower's subspaces.
Nddr (Gao et al. 2019): concat on channels, a 1x1 convolution back to each tower's width
(kernel_i [sum C, C_i]), then batch normalization with tfjs's conventions.
Weights are named like the tfjs layers' (``alpha``, ``kernel_0``, ``gamma_0``, ...), so tfjs
weights load by name.

Every junction module offers what the training loop needs (the contract of junction.ts):
- ``junction_parameters()``: [(parameter, learning-rate multiplier or None)], the parameters
  trained as junction parameters (None: the plan's crossStitchLearningRateMultiplier);
- ``junction_loss(reduce, examples)``: the extra loss terms of the last training forward pass,
  or None. ``reduce`` sums a tensor over the ranks (differentiably) and ``examples`` is the
  global batch's size, so a term over batch statistics is the global batch's;
- ``isolate()``: --single-task: each tower sees only itself, and the junction stops learning;
- ``reported_mix()``: what the report draws ({"mode", "values", "labels"?}).
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

    def junction_parameters(self):
        return [(self.alpha, None)] if self.alpha.requires_grad else []

    def junction_loss(self, reduce=None, examples=None):
        return None

    def isolate(self):
        with torch.no_grad():
            n = self.alpha.shape[0]
            eye = torch.eye(n, dtype=self.alpha.dtype)
            self.alpha.copy_(eye.unsqueeze(-1).expand_as(self.alpha) if self.alpha.dim() == 3 else eye)
        self.alpha.requires_grad_(False)

    def reported_mix(self):
        return {"mode": self.mode, "values": self.alpha.detach().cpu().tolist()}

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


def _check_inputs(name, xs, n):
    if len(xs) != n:
        raise ValueError("%s: built for %d inputs, got %d" % (name, n, len(xs)))


def sluice_init(n, subspaces, init):
    """alpha's initial [N*S, N*S] values: self on (i,s)=(j,t), other/(N-1) on s=t, i!=j, else 0."""
    d = n * subspaces
    out = [[0.0] * d for _ in range(d)]
    for r in range(d):
        for c in range(d):
            i, s = divmod(r, subspaces)
            j, t = divmod(c, subspaces)
            if s == t:
                out[r][c] = float(init["self"]) if i == j else float(init["other"]) / (n - 1)
    return out


class Sluice(nn.Module):
    """sluice: shapes the stitched activations' shapes (no batch axis), equal; C divisible by S."""

    kind = "sluice"

    def __init__(self, shapes, subspaces=2, init=None, orthogonality=0.0, towers=None, trainable=True):
        super().__init__()
        if len(shapes) < 2:
            raise ValueError("Sluice: needs at least 2 inputs, got %d" % len(shapes))
        c = int(shapes[0][-1])
        if subspaces < 1 or c % subspaces != 0:
            raise ValueError("Sluice: the channel axis (%d) must divide into %d subspaces" % (c, subspaces))
        self.n = len(shapes)
        self.subspaces = int(subspaces)
        self.channels = c
        self.orthogonality = float(orthogonality)
        self.towers = list(towers or [])
        init = init if init is not None else DEFAULT_INIT
        self.alpha = nn.Parameter(torch.tensor(sluice_init(self.n, self.subspaces, init), dtype=torch.float32), requires_grad=bool(trainable))
        self._grams = None
        self._positions = 1

    def forward(self, xs):
        _check_inputs("Sluice", xs, self.n)
        shape = xs[0].shape
        m = xs[0].numel() // self.channels
        k = self.channels // self.subspaces
        ns = self.n * self.subspaces
        # [M, N*C] -> [M, N*S, k]; row (i,s) of alpha mixes every (j,t).
        cat = torch.cat([x.reshape(m, self.channels) for x in xs], dim=1).reshape(m, ns, k)
        rows = cat.permute(1, 0, 2).reshape(ns, m * k)
        mixed = torch.matmul(self.alpha, rows).reshape(ns, m, k).permute(1, 0, 2).reshape(m, self.n * self.channels)
        outs = [y.reshape(shape) for y in torch.split(mixed, self.channels, dim=1)]
        # The orthogonality penalty's Gram blocks G_s^T G_t of this (training) pass.
        self._grams = None
        if self.training and self.orthogonality > 0 and self.subspaces > 1:
            grams = []
            for x in xs:
                g = torch.split(x.reshape(m, self.channels), k, dim=1)
                for s in range(self.subspaces):
                    for t in range(s + 1, self.subspaces):
                        grams.append(torch.matmul(g[s].t(), g[t]))
            self._grams = torch.stack(grams)
            self._positions = 1
            for d in shape[1:-1]:
                self._positions *= int(d)
        return outs

    def junction_parameters(self):
        return [(self.alpha, None)] if self.alpha.requires_grad else []

    def junction_loss(self, reduce, examples):
        """orthogonality * sum over towers and s < t of ||G_s^T G_t||_F^2 / M^2 (M = examples * positions)."""
        grams = self._grams
        if grams is None:
            return None
        self._grams = None
        if reduce is not None:
            grams = reduce(grams)
        m = float(examples) * self._positions
        return torch.sum(torch.square(grams)) / (m * m) * self.orthogonality

    def isolate(self):
        with torch.no_grad():
            self.alpha.copy_(torch.eye(self.alpha.shape[0], dtype=self.alpha.dtype))
        self.alpha.requires_grad_(False)

    def reported_mix(self):
        if self.towers and self.subspaces > 1:
            labels = ["%s.%d" % (t, s + 1) for t in self.towers for s in range(self.subspaces)]
        else:
            labels = list(self.towers)
        out = {"mode": "scalar", "values": self.alpha.detach().cpu().tolist()}
        if labels:
            out["labels"] = labels
        return out


def nddr_init(widths, i, init):
    """Tower i's initial [sum C, C_i] matrix: blocks self*I (own) and other/(N-1)*I (others)."""
    total = sum(widths)
    out = [[0.0] * widths[i] for _ in range(total)]
    offset = 0
    for j, cj in enumerate(widths):
        v = float(init["self"]) if i == j else float(init["other"]) / (len(widths) - 1)
        for k in range(min(cj, widths[i])):
            out[offset + k][k] = v
        offset += cj
    return out


NDDR_BN_MOMENTUM = 0.99
NDDR_BN_EPSILON = 1e-3


class Nddr(nn.Module):
    """NDDR: shapes equal up to the channel axis; widths may differ."""

    kind = "nddr"

    def __init__(self, shapes, init=None, batch_norm=True, learning_rate_multiplier=None, weight_decay=0.0, towers=None, trainable=True):
        super().__init__()
        if len(shapes) < 2:
            raise ValueError("Nddr: needs at least 2 inputs, got %d" % len(shapes))
        self.widths = [int(s[-1]) for s in shapes]
        self.n = len(shapes)
        self.batch_norm = bool(batch_norm)
        self.learning_rate_multiplier = learning_rate_multiplier
        self.weight_decay = float(weight_decay)
        self.towers = list(towers or [])
        self.trainable = bool(trainable)
        init = init if init is not None else DEFAULT_INIT
        # Registered in the tfjs layer's weight order: kernel_i, gamma_i, beta_i per tower.
        for i, c in enumerate(self.widths):
            self.register_parameter("kernel_%d" % i, nn.Parameter(torch.tensor(nddr_init(self.widths, i, init), dtype=torch.float32), requires_grad=self.trainable))
            if self.batch_norm:
                self.register_parameter("gamma_%d" % i, nn.Parameter(torch.ones(c), requires_grad=self.trainable))
                self.register_parameter("beta_%d" % i, nn.Parameter(torch.zeros(c), requires_grad=self.trainable))
        if self.batch_norm:
            for i, c in enumerate(self.widths):
                self.register_buffer("moving_mean_%d" % i, torch.zeros(c))
                self.register_buffer("moving_variance_%d" % i, torch.ones(c))

    def _kernel(self, i):
        return getattr(self, "kernel_%d" % i)

    def forward(self, xs):
        _check_inputs("Nddr", xs, self.n)
        lead = tuple(xs[0].shape[:-1])
        m = 1
        for d in lead:
            m *= int(d)
        cat = torch.cat([x.reshape(m, int(x.shape[-1])) for x in xs], dim=1)
        outs = []
        for i, c in enumerate(self.widths):
            y = torch.matmul(cat, self._kernel(i)).reshape(lead + (c,))
            if self.batch_norm:
                gamma, beta = getattr(self, "gamma_%d" % i), getattr(self, "beta_%d" % i)
                mm, mv = getattr(self, "moving_mean_%d" % i), getattr(self, "moving_variance_%d" % i)
                if self.training:
                    dims = tuple(range(y.dim() - 1))
                    mean = torch.mean(y, dim=dims)
                    variance = torch.mean(torch.square(y - mean), dim=dims)
                    with torch.no_grad():
                        # As the tfjs Nddr layer keeps them: moving * momentum + batch * (1 - momentum).
                        mm.copy_(mm * NDDR_BN_MOMENTUM + mean * (1 - NDDR_BN_MOMENTUM))
                        mv.copy_(mv * NDDR_BN_MOMENTUM + variance * (1 - NDDR_BN_MOMENTUM))
                else:
                    mean, variance = mm, mv
                y = (y - mean) * torch.rsqrt(variance + NDDR_BN_EPSILON) * gamma + beta
            outs.append(y)
        return outs

    def junction_parameters(self):
        if not self.trainable:
            return []
        return [(self._kernel(i), self.learning_rate_multiplier) for i in range(self.n)]

    def junction_loss(self, reduce=None, examples=None):
        """weight_decay / 2 * sum of the squared 1x1 weights (L2)."""
        if self.weight_decay <= 0 or not self.trainable:
            return None
        return torch.stack([torch.sum(torch.square(self._kernel(i))) for i in range(self.n)]).sum() * (self.weight_decay / 2)

    def isolate(self):
        with torch.no_grad():
            for i in range(self.n):
                self._kernel(i).copy_(torch.tensor(nddr_init(self.widths, i, {"self": 1.0, "other": 0.0})))
        self.trainable = False
        for p in self.parameters():
            p.requires_grad_(False)

    def reported_mix(self):
        """N x N: block (i, j)'s mean diagonal, the cross-stitch alpha the fusion amounts to."""
        offsets = [sum(self.widths[:j]) for j in range(self.n)]
        values = []
        for i in range(self.n):
            w = self._kernel(i).detach().cpu()
            row = []
            for j, cj in enumerate(self.widths):
                d = min(cj, self.widths[i])
                row.append(float(sum(float(w[offsets[j] + q, q]) for q in range(d)) / d))
            values.append(row)
        out = {"mode": "scalar", "values": values}
        if self.towers:
            out["labels"] = list(self.towers)
        return out
