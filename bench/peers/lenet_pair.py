#!/usr/bin/env python3
"""The PyTorch peer of mtlc's MultiMNIST benchmark.

Builds the same network as specs/multi-mnist.yaml (two LeNet towers: conv1 5x5x10, pool, relu,
conv2 5x5x20, pool, relu, flatten, fc1 50 relu; channel-mode cross-stitch units after pool1,
pool2 and fc1, softmax heads, categorical cross-entropy per task) and trains
it with real steps: forward, loss, backward, optimizer step (SGD with momentum; the cross-stitch
alphas in their own parameter group with the learning rate multiplied, as mtlc's training loop
does).

Modes:
  --print-config        parse the arguments and print them as JSON (no torch import)
  --profile             profile --steps steps with torch.profiler, print op self-CPU time
  (default)             warm up, time --reps repetitions of --steps steps, print one JSON object
  --serve               stay up and answer lines on stdin, so the harness can interleave runs:
                          "run N"  -> one JSON line {"steps": N, "ns": <elapsed>, "cpuNs": <process CPU time>}
                          "quit"   -> exit
Timings use time.perf_counter_ns; each step ends with loss.item(), which waits for the result.
"""
import argparse
import json
import sys
import time

LAYERS = ("pool1", "pool2", "fc1")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="lenet_pair.py", description=__doc__.splitlines()[0])
    p.add_argument("--junctions", default="pool1,pool2,fc1",
                   help="comma-separated junction positions among pool1,pool2,fc1, or 'none'")
    p.add_argument("--mode", choices=("channel", "scalar"), default="channel")
    p.add_argument("--tasks", type=int, default=2, help="number of towers (>= 1)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--input", type=int, default=28, help="input height = width (1 channel)")
    p.add_argument("--conv1", type=int, default=10)
    p.add_argument("--conv2", type=int, default=20)
    p.add_argument("--kernel", type=int, default=5)
    p.add_argument("--fc1", type=int, default=50)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--alpha-lr-mult", type=float, default=100.0)
    p.add_argument("--alpha-self", type=float, default=0.9)
    p.add_argument("--alpha-other", type=float, default=0.1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--serve", action="store_true")
    p.add_argument("--print-config", action="store_true")
    p.add_argument("--profile", action="store_true",
                   help="after warm-up, profile --steps steps with torch.profiler and print op self-CPU time")
    a = p.parse_args(argv)
    if a.junctions.strip() in ("", "none"):
        a.junctions = []
    else:
        a.junctions = [j.strip() for j in a.junctions.split(",")]
        bad = [j for j in a.junctions if j not in LAYERS]
        if bad:
            p.error("unknown junction position(s) %s; choose from %s" % (",".join(bad), ",".join(LAYERS)))
    for name in ("tasks", "batch", "input", "conv1", "conv2", "kernel", "fc1", "classes", "threads", "steps", "reps"):
        if getattr(a, name) < 1:
            p.error("--%s must be >= 1" % name)
    if a.warmup < 0:
        p.error("--warmup must be >= 0")
    if a.junctions and a.tasks < 2:
        p.error("cross-stitch junctions need --tasks >= 2")
    s1 = a.input - a.kernel + 1
    if s1 < 2 or (s1 // 2) - a.kernel + 1 < 2:
        p.error("--input %d is too small for two %dx%d convolutions and pools" % (a.input, a.kernel, a.kernel))
    return a


def config_of(a):
    d = dict(vars(a))
    d.pop("serve")
    d.pop("print_config")
    d.pop("profile")
    return d


def build(a):
    import torch
    from torch import nn
    import torch.nn.functional as F

    class CrossStitch(nn.Module):
        """x~_i = sum_j alpha[i, j, c] * x_j (channel mode, per channel c) or alpha[i, j] (scalar)."""

        def __init__(self, n, channels, spatial):
            super().__init__()
            other = a.alpha_other / (n - 1)
            eye = torch.eye(n)
            base = eye * a.alpha_self + (1 - eye) * other
            if a.mode == "channel":
                self.alpha = nn.Parameter(base.unsqueeze(-1).repeat(1, 1, channels).contiguous())
            else:
                self.alpha = nn.Parameter(base.clone())
            self.n = n
            self.spatial = spatial

        def forward(self, xs):
            outs = []
            for i in range(self.n):
                acc = None
                for j in range(self.n):
                    w = self.alpha[i, j]
                    if a.mode == "channel" and self.spatial:
                        w = w.view(1, -1, 1, 1)  # NCHW: one weight per channel
                    term = w * xs[j]
                    acc = term if acc is None else acc + term
                outs.append(acc)
            return outs

    s1 = (a.input - a.kernel + 1) // 2
    s2 = (s1 - a.kernel + 1) // 2
    flat = a.conv2 * s2 * s2

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            n = a.tasks
            self.conv1 = nn.ModuleList(nn.Conv2d(1, a.conv1, a.kernel) for _ in range(n))
            self.conv2 = nn.ModuleList(nn.Conv2d(a.conv1, a.conv2, a.kernel) for _ in range(n))
            self.fc1 = nn.ModuleList(nn.Linear(flat, a.fc1) for _ in range(n))
            self.head = nn.ModuleList(nn.Linear(a.fc1, a.classes) for _ in range(n))
            self.stitch = nn.ModuleDict()
            sizes = {"pool1": (a.conv1, True), "pool2": (a.conv2, True), "fc1": (a.fc1, False)}
            for j in a.junctions:
                c, spatial = sizes[j]
                self.stitch[j] = CrossStitch(n, c, spatial)

        def forward(self, x):
            n = a.tasks
            xs = [F.max_pool2d(self.conv1[t](x), 2) for t in range(n)]
            if "pool1" in self.stitch:
                xs = self.stitch["pool1"](xs)
            xs = [F.max_pool2d(self.conv2[t](F.relu(xs[t])), 2) for t in range(n)]
            if "pool2" in self.stitch:
                xs = self.stitch["pool2"](xs)
            xs = [F.relu(self.fc1[t](torch.flatten(F.relu(xs[t]), 1))) for t in range(n)]
            if "fc1" in self.stitch:
                xs = self.stitch["fc1"](xs)
            return [F.softmax(self.head[t](xs[t]), dim=1) for t in range(n)]

    return Net()


class Trainer:
    def __init__(self, a):
        import torch
        torch.set_num_threads(a.threads)
        torch.manual_seed(a.seed)
        self.torch = torch
        self.a = a
        self.net = build(a)
        alphas = [p for name, p in self.net.named_parameters() if name.startswith("stitch.")]
        towers = [p for name, p in self.net.named_parameters() if not name.startswith("stitch.")]
        groups = [{"params": towers}]
        if alphas:
            groups.append({"params": alphas, "lr": a.lr * a.alpha_lr_mult})
        self.opt = torch.optim.SGD(groups, lr=a.lr, momentum=a.momentum)
        self.x = torch.rand(a.batch, 1, a.input, a.input)
        labels = torch.randint(0, a.classes, (a.tasks, a.batch))
        self.ys = [torch.nn.functional.one_hot(labels[t], a.classes).float() for t in range(a.tasks)]
        self.params = sum(p.numel() for p in self.net.parameters())

    def step(self):
        torch = self.torch
        eps = 1e-7
        self.opt.zero_grad(set_to_none=True)
        outs = self.net(self.x)
        loss = None
        for p, y in zip(outs, self.ys):
            # categorical cross-entropy on probabilities, as tfjs computes it
            l = -(y * torch.log(torch.clamp(p, eps, 1 - eps))).sum(dim=1).mean()
            loss = l if loss is None else loss + l
        loss.backward()
        self.opt.step()
        return loss.item()

    def run(self, steps):
        t0 = time.perf_counter_ns()
        for _ in range(steps):
            self.step()
        return time.perf_counter_ns() - t0

    def run_timed(self, steps):
        """Wall and process CPU time (all threads) of `steps` steps, ns: the bench compares them
        with the machine's load to tell a disturbed repetition."""
        c0 = time.process_time_ns()
        ns = self.run(steps)
        return ns, time.process_time_ns() - c0


def main(argv):
    a = parse_args(argv)
    if a.print_config:
        print(json.dumps(config_of(a)))
        return 0
    tr = Trainer(a)
    tr.run(a.warmup)
    if a.profile:
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            tr.run(a.steps)
        print("per %d steps (divide by %d for one step):" % (a.steps, a.steps))
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))
        return 0
    info = {"torch": tr.torch.__version__, "threads": tr.torch.get_num_threads(), "params": tr.params}
    if a.serve:
        print(json.dumps(dict(info, ready=True, config=config_of(a))), flush=True)
        for line in sys.stdin:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "quit":
                break
            if parts[0] == "run" and len(parts) == 2 and parts[1].isdigit() and int(parts[1]) > 0:
                n = int(parts[1])
                ns, cpu_ns = tr.run_timed(n)
                print(json.dumps({"steps": n, "ns": ns, "cpuNs": cpu_ns}), flush=True)
            else:
                print(json.dumps({"error": "expected 'run N' or 'quit', got %r" % line.strip()}), flush=True)
        return 0
    reps = [tr.run(a.steps) for _ in range(a.reps)]
    eps = [a.steps * a.batch / (ns / 1e9) for ns in reps]
    print(json.dumps(dict(info, config=config_of(a), repNs=reps, examplesPerSecond=eps)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
