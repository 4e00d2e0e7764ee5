"""Optimizers with TensorFlow.js's update rules (tfjs-core 4.22 src/optimizers/*), which differ
from torch.optim's: RMSProp adds epsilon inside the square root, Adagrad starts its accumulator
at 0.1 and adds 1e-7 inside the root, Adadelta scales by the accumulated gradient from before
this step, Adam's bias corrections use running products of the betas, Adamax divides by
(iteration * decay + 1). Defaults are tfjs's: epsilon 1e-7 (the float32 backend epsilon).

State per parameter is a dict of tensors named as tfjs names the optimizer's weights.
"""
import torch

BACKEND_EPSILON = 1e-7


def _slot(state, name, p, fill=0.0):
    t = state.get(name)
    if t is None:
        t = state[name] = torch.full_like(p, fill)
    return t


class TfjsOptimizer(torch.optim.Optimizer):
    """One tfjs optimizer over a list of parameters (mtlc uses one for the towers, one for α)."""

    def __init__(self, params, kind, learning_rate, momentum=None, beta1=None, beta2=None, epsilon=None, rho=None, decay=None):
        kinds = ("sgd", "momentum", "adam", "rmsprop", "adagrad", "adamax", "adadelta")
        if kind not in kinds:
            raise ValueError("unknown optimizer %r; known: %s" % (kind, ", ".join(kinds)))
        if kind == "sgd" and momentum:
            kind = "momentum"
        defaults = dict(lr=float(learning_rate))
        super().__init__(params, defaults)
        self.kind = kind
        self.momentum = float(momentum if momentum is not None else (0.9 if kind == "momentum" else 0.0))
        self.beta1 = float(beta1 if beta1 is not None else 0.9)
        self.beta2 = float(beta2 if beta2 is not None else 0.999)
        self.epsilon = float(epsilon if epsilon is not None else BACKEND_EPSILON)
        self.rho = float(rho if rho is not None else 0.95)
        self.decay = float(decay if decay is not None else (0.9 if kind == "rmsprop" else 0.0))
        # Optimizer-wide scalars, float32 as tfjs keeps them.
        self.scalars = {"accBeta1": torch.tensor(self.beta1), "accBeta2": torch.tensor(self.beta2), "iteration": torch.tensor(0.0)}

    @torch.no_grad()
    def step(self, closure=None):
        lr = self.param_groups[0]["lr"]
        k = self.kind
        s = self.scalars
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                st = self.state[p]
                if k == "sgd":
                    p.add_(g * -lr)
                elif k == "momentum":
                    acc = _slot(st, "momentum", p)
                    acc.mul_(self.momentum).add_(g)
                    p.add_(acc * -lr)
                elif k == "adam":
                    m = _slot(st, "m", p)
                    v = _slot(st, "v", p)
                    m.copy_(m * self.beta1 + g * (1 - self.beta1))
                    v.copy_(v * self.beta2 + torch.square(g) * (1 - self.beta2))
                    mh = m / (1 - s["accBeta1"])
                    vh = v / (1 - s["accBeta2"])
                    p.add_((mh / (torch.sqrt(vh) + self.epsilon)) * -lr)
                elif k == "rmsprop":
                    ms = _slot(st, "rms", p)
                    mom = _slot(st, "momentum", p)
                    ms.copy_(ms * self.decay + torch.square(g) * (1 - self.decay))
                    mom.copy_(mom * self.momentum + (g * lr) / torch.sqrt(ms + self.epsilon))
                    p.sub_(mom)
                elif k == "adagrad":
                    acc = _slot(st, "accumulator", p, 0.1)
                    acc.add_(torch.square(g))
                    p.add_((g / torch.sqrt(acc + BACKEND_EPSILON)) * -lr)
                elif k == "adamax":
                    m = _slot(st, "m", p)
                    u = _slot(st, "v", p)
                    step_lr = -lr / (s["iteration"] * self.decay + 1)
                    m.copy_(m * self.beta1 + g * (1 - self.beta1))
                    u.copy_(torch.maximum(u * self.beta2, torch.abs(g)))
                    p.add_((step_lr / (1 - s["accBeta1"])) * (m / (u + self.epsilon)))
                elif k == "adadelta":
                    ag = _slot(st, "accum_grad", p)
                    au = _slot(st, "accum_var", p)
                    new_ag = ag * self.rho + torch.square(g) * (1 - self.rho)
                    # tfjs divides by the accumulated gradient from before this step.
                    upd = (torch.sqrt(au + self.epsilon) / torch.sqrt(ag + self.epsilon)) * g
                    au.copy_(au * self.rho + torch.square(upd) * (1 - self.rho))
                    ag.copy_(new_ag)
                    p.add_(upd * -lr)
        if k == "adam":
            s["accBeta1"].mul_(self.beta1)
            s["accBeta2"].mul_(self.beta2)
        elif k == "adamax":
            s["iteration"].add_(1)
            s["accBeta1"].mul_(self.beta1)

    def state_dict(self):
        d = super().state_dict()
        d["mtlc_scalars"] = {key: v.clone() for key, v in self.scalars.items()}
        return d

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        scalars = state_dict.pop("mtlc_scalars", None)
        super().load_state_dict(state_dict)
        if scalars is not None:
            for key, v in scalars.items():
                self.scalars[key].copy_(v)


def create_optimizer(params, plan, learning_rate=None):
    """An optimizer from the plan's ``optimizer`` object (type, learningRate, momentum, ...)."""
    return TfjsOptimizer(
        params, plan["type"], plan["learningRate"] if learning_rate is None else learning_rate,
        momentum=plan.get("momentum"), beta1=plan.get("beta1"), beta2=plan.get("beta2"),
        epsilon=plan.get("epsilon"), rho=plan.get("rho"), decay=plan.get("decay"))
