"""The training loop of mtlc's torch engine: the same objective, optimizers, records and run
folder as the tfjs loop (src/runtime/train/loop.ts), under DistributedDataParallel.

Entry points:
- ``main(model_class, argv)``: what a generated ``train.py`` runs, under ``torchrun`` or alone
  (one process). ``--job FILE`` names the job mtlc prepared (a run folder's ``torch/job.json``).
- ``train_worker(config)``: the per-worker function Ray Train's TorchTrainer calls
  (``config = {"job": path, "model_class": cls}``); the process group is Ray's.

Distributed semantics: every rank takes a contiguous part of each global batch, and its loss is
scaled so DDP's gradient average is the gradient of the global batch's mean loss (exact for any
split). Each rank runs the same optimizer step on the same averaged gradients, so α and weights
stay equal. Statistics (losses, metrics, DWA's inputs) are all-reduced; uncertainty weighting's
log σ² are parameters inside the DDP module, so their gradients are averaged too. Rank 0 writes
the checkpoint (atomically: a temp directory swapped in by renames) and the records.
"""
import argparse
import json
import math
import os
import re
import sys
import tempfile
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_nn
from torch import nn

from . import data as data_mod
from . import tfjs_io
from .losses import loss_function, metric_function, reduce_sum
from .optimizers import create_optimizer

EVENT_PREFIX = "@mtlc "
CHECKPOINT_DIR = "checkpoint"
JOB_VERSION = 1


class TrainingError(Exception):
    def __init__(self, message, exit_code=2):
        super().__init__(message)
        self.exit_code = exit_code



class Objective(nn.Module):
    """The model plus uncertainty weighting's log σ² (one module, so DDP averages every gradient)."""

    def __init__(self, model, tasks, uncertainty):
        super().__init__()
        self.model = model
        self.log_variance = nn.ParameterDict({t: nn.Parameter(torch.zeros(())) for t in tasks}) if uncertainty else None

    def forward(self, x):
        return self.model(x)


class Events:
    """Progress for mtlc (JSON lines after a marker) or for a person (plain lines)."""

    def __init__(self, mode, enabled):
        self.mode = mode
        self.enabled = enabled

    def emit(self, event, **fields):
        if not self.enabled:
            return
        if self.mode == "json":
            sys.stdout.write(EVENT_PREFIX + json.dumps(dict(fields, event=event)) + "\n")
            sys.stdout.flush()
        elif event == "epoch":
            r = fields["record"]
            tasks = "  ".join("%s: loss %.4g" % (t, s["loss"]) for t, s in r["tasks"].items())
            print("epoch %d  loss %.4g  %s  (%.0f ex/s)" % (r["epoch"], r["loss"], tasks, fields.get("examplesPerSecond", 0)), flush=True)
        elif event == "line":
            print(fields["text"], flush=True)


def _write_atomic(path, data):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".tmp-", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _append_line(path, line):
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def _dumps(value):
    # JSON as JavaScript's JSON.stringify writes numbers (integers without ".0").
    def fix(v):
        if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
            return int(v)
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v
    return json.dumps(fix(value), separators=(",", ":"), allow_nan=False)


class Context:
    def __init__(self):
        self.distributed = dist.is_available() and dist.is_initialized()
        self.rank = dist.get_rank() if self.distributed else 0
        self.world = dist.get_world_size() if self.distributed else 1
        self.device = torch.device("cpu")
        if torch.cuda.is_available() and (not self.distributed or dist.get_backend() == "nccl"):
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(self.device)

    def all_sum(self, values):
        """Element-wise sum over ranks of a list of floats (float64)."""
        t = torch.tensor(values, dtype=torch.float64)
        if self.distributed:
            if self.device.type == "cuda":
                t = t.to(self.device)
            dist.all_reduce(t)
        return t.cpu().tolist()


def _init_process_group():
    if dist.is_initialized() or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    backend = os.environ.get("MTLC_DIST_BACKEND") or ("nccl" if torch.cuda.is_available() else "gloo")
    dist.init_process_group(backend)
    return True


def read_job(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            job = json.load(f)
    except (OSError, ValueError) as e:
        raise TrainingError("--job %s: %s" % (path, e)) from None
    if job.get("version") != JOB_VERSION:
        raise TrainingError("--job %s: version %r, this runtime reads %d" % (path, job.get("version"), JOB_VERSION))
    base = os.path.dirname(os.path.abspath(path))
    # Normalised (`<run>/torch/..` -> `<run>`): messages name the run folder as the user knows it.
    for key in ("runDir", "initModel", "trainData", "valData"):
        if job.get(key):
            job[key] = os.path.normpath(os.path.join(base, job[key]))
    return job


def _task_runtimes(plan_tasks):
    return [dict(plan=t, loss=loss_function(t["loss"]), metrics=[(m, metric_function(m, t["loss"])) for m in t["metrics"]]) for t in plan_tasks]


def _checkpoint_state(job, epoch, history, loss_history, log_variance):
    state = {"version": 1, "modelName": job["plan"]["modelName"], "specHash": job["plan"]["specHash"], "epoch": epoch,
             "seed": job["seed"], "rng": list(job.get("rng") or [1, 0, 0, 0]), "history": history, "lossHistory": loss_history,
             "engine": "torch", "optimizers": job["optimizerGroups"]}
    if log_variance is not None:
        state["logVariance"] = log_variance
    if job.get("singleTask") is not None:
        state["singleTask"] = job["singleTask"]
    return state


def _check_same_model(model, saved, found):
    """The checkpoint's weights are the model's, by name (another --variant builds another model);
    the message is the tfjs engine's (src/runtime/train/loop.ts)."""
    mine = list(tfjs_io.model_weights(model))
    lacking = [n for n in saved if n not in mine]
    extra = [n for n in mine if n not in saved]
    if not lacking and not extra:
        return

    def names(ns):
        return ", ".join(ns[:4]) + (" and %d more" % (len(ns) - 4) if len(ns) > 4 else "")
    differences = (["the checkpoint has %s, which this model lacks" % names(lacking)] if lacking else []) + \
        (["this model has %s, which the checkpoint lacks" % names(extra)] if extra else [])
    raise TrainingError("--resume: the checkpoint in %s is of another model (%s); was the run trained with another --variant? "
                        "Resume it with the same one, or use another --out" % (found, "; ".join(differences)))


def train(job, model_class, events_mode="text"):
    """Runs a prepared job in this process (one rank of a group, or alone). Returns the history."""
    ctx = Context()
    events = Events(events_mode, ctx.rank == 0 and events_mode != "none")
    plan = job["plan"]
    seed = int(job["seed"])
    epochs = int(job["epochs"])
    batch_size = int(job["batchSize"])
    run_dir = job["runDir"]
    torch.manual_seed(seed)

    model = model_class()
    model_json_text, init_weights = tfjs_io.read_model(job["initModel"])
    tfjs_io.load_into(model, init_weights)
    junctions = junction_modules(model, model_class.JUNCTIONS)
    single = job.get("singleTask")
    all_tasks = [t["name"] for t in plan["tasks"]]
    if single is not None and single not in all_tasks:
        raise TrainingError("--single-task: unknown task '%s'; tasks: %s" % (single, ", ".join(all_tasks)))
    if single is not None:
        # --single-task: each junction lets every tower see only itself, and stops learning.
        for _, m in junctions:
            m.isolate()
    active = [t for t in plan["tasks"] if single is None or t["name"] == single]
    weighting = plan["taskWeighting"]["type"]
    task_names = [t["name"] for t in active]
    objective = Objective(model, task_names, weighting == "uncertainty").to(ctx.device)
    groups = junction_groups(junctions, plan["crossStitchLearningRateMultiplier"])
    junction_ids = {id(p) for _, params in groups.values() for p in params}
    tower_params = [p for name, p in tower_parameters(model, single) if p.requires_grad and id(p) not in junction_ids]
    # What no optimizer steps (the other towers of --single-task, frozen junctions) takes no
    # gradient: DDP expects one for every parameter that requires it.
    trained = {id(p) for p in tower_params} | junction_ids
    for p in model.parameters():
        if id(p) not in trained:
            p.requires_grad_(False)
    main_params = tower_params + (list(objective.log_variance.values()) if objective.log_variance is not None else [])
    optimizers = {"main": create_optimizer(main_params, plan["optimizer"])}
    for name, (multiplier, params) in groups.items():
        optimizers[name] = create_optimizer(params, plan["optimizer"], plan["optimizer"]["learningRate"] * multiplier)
    # Junction loss terms over batch statistics (a sluice's orthogonality) are summed over the
    # ranks differentiably, in their own process group (apart from DDP's gradient buckets).
    reduce = None
    if ctx.distributed and any(getattr(m, "orthogonality", 0) > 0 for _, m in junctions):
        penalty_group = dist.new_group()

        def reduce(t):
            return dist_nn.all_reduce(t, group=penalty_group)
    job["optimizerGroups"] = list(optimizers)

    if ctx.distributed:
        ddp = nn.parallel.DistributedDataParallel(objective, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
    else:
        ddp = objective
    tasks = _task_runtimes(active)
    # The model's output of each trained task (outputs are in TASKS order).
    out_index = [list(model_class.TASKS).index(t["name"]) for t in active]
    train_data = data_mod.Shard(job["trainData"])
    val_data = data_mod.Shard(job["valData"]) if job.get("valData") else None
    if train_data.size == 0:
        raise TrainingError("%s: no training examples" % job["trainData"], 1)

    start_epoch = 0
    history = []
    loss_history = []
    ckpt = os.path.join(run_dir, CHECKPOINT_DIR)
    if job.get("resume"):
        found = next((d for d in (ckpt, ckpt + ".old") if os.path.exists(os.path.join(d, "state.json"))), None)
        if found is None:
            events.emit("line", text="resume: no checkpoint in %s; starting from epoch 1" % run_dir)
        else:
            with open(os.path.join(found, "state.json"), "r", encoding="utf-8") as f:
                state = json.load(f)
            if state.get("specHash") != plan["specHash"]:
                raise TrainingError("--resume: the checkpoint in %s was made from a different spec (hash %s, now %s); use another --out or drop --resume"
                                    % (found, str(state.get("specHash"))[:12], plan["specHash"][:12]))
            if state.get("singleTask") != single:
                raise TrainingError("--resume: the checkpoint in %s was made with%s; pass the same options"
                                    % (found, " --single-task %s" % state["singleTask"] if state.get("singleTask") else "out --single-task"))
            if state.get("engine") != "torch":
                raise TrainingError("--resume: the checkpoint in %s was written by the tfjs engine; resume it with --engine tfjs, or use another --out" % found)
            _, saved = tfjs_io.read_model(os.path.join(found, "model"))
            _check_same_model(model, saved, found)
            tfjs_io.load_into(model, saved)
            try:
                extra = torch.load(os.path.join(found, "torch-state.pt"), map_location="cpu")
                for group, opt in optimizers.items():
                    opt.load_state_dict(extra["optimizers"][group])
            except Exception as e:  # a truncated or foreign file: say which, not a traceback
                raise TrainingError("--resume: %s: cannot read the optimizer state (%s: %s); the checkpoint is damaged: --restart, or use another --out"
                                    % (os.path.join(found, "torch-state.pt"), type(e).__name__, str(e).splitlines()[0] if str(e) else "")) from None
            if objective.log_variance is not None:
                with torch.no_grad():
                    for t, v in state.get("logVariance", {}).items():
                        objective.log_variance[t].fill_(v)
            start_epoch = int(state["epoch"])
            history = state["history"]
            loss_history = state["lossHistory"]
            events.emit("line", text="resume: continuing after epoch %d from %s" % (start_epoch, found))

    if ctx.rank == 0:
        os.makedirs(run_dir, exist_ok=True)
        info = {"modelName": plan["modelName"], "specHash": plan["specHash"], "tasks": all_tasks}
        if single is not None:
            info["singleTask"] = single
        info.update({"seed": seed, "epochs": epochs, "batchSize": batch_size, "backend": "torch", "engine": "torch", "nproc": ctx.world,
                     "device": str(ctx.device), "torch": torch.__version__})
        info.update(job.get("run") or {})
        _write_atomic(os.path.join(run_dir, "run.json"), json.dumps(info, indent=2) + "\n")
        _write_atomic(os.path.join(run_dir, "metrics.jsonl"), "".join(_dumps(h) + "\n" for h in history))
    events.emit("start", torch=torch.__version__, world=ctx.world, device=str(ctx.device), examples=train_data.size,
                validation=val_data.size if val_data else None, startEpoch=start_epoch)

    for epoch in range(start_epoch, epochs):
        # Dropout draws: seeded per (seed, epoch, rank), so a resumed run draws the same.
        torch.manual_seed((seed * 1_000_003 + (epoch + 1) * 7919 + ctx.rank) % (2 ** 63))
        dynamic = {t: 1.0 for t in task_names}
        if weighting == "dwa" and len(loss_history) >= 2:
            T = plan["taskWeighting"].get("temperature", 2)
            last, prev = loss_history[-1], loss_history[-2]
            r = [last[t] / max(prev[t], 1e-12) for t in task_names]
            e = [math.exp(x / T) for x in r]
            total_e = sum(e)
            dynamic = {t: len(task_names) * e[i] / total_e for i, t in enumerate(task_names)}
        objective.train()
        # shuffle: false keeps the shard's order (parity tests feed both engines the same batches).
        order = data_mod.epoch_order(train_data.size, seed if job.get("shuffle", True) else None, epoch + 1)
        batches = data_mod.global_batches(train_data.size, batch_size, order)
        n_metrics = sum(len(t["metrics"]) for t in tasks)
        k_tasks = len(tasks)
        # task loss sums, metric sums, labelled counts per task, total x batch size, seen
        sums = np.zeros(k_tasks + n_metrics + k_tasks + 2)
        partial = False
        started = time.perf_counter()
        cpu_started = time.process_time()
        for b, batch in enumerate(batches):
            local = data_mod.rank_slice(batch, ctx.rank, ctx.world)
            x, ys = train_data.rows(local)
            masks = train_data.labelled(local)
            # Each task's denominator: the GLOBAL batch's labelled count (every rank reads the
            # masks of the whole batch), so the ranks' gradients add up to one process's.
            global_counts = {task: int(m.sum()) for task, m in train_data.labelled(batch).items()}
            x = x.to(ctx.device)
            outs = ddp(x)
            global_n = len(batch)
            local_obj = None
            stats = []
            metric_stats = []
            counts = []
            for i, t in enumerate(tasks):
                name = t["plan"]["name"]
                # A batch with every example labelled for the task takes plain means (as tfjs).
                masked = name in global_counts and global_counts[name] < global_n
                keep = masks[name].to(ctx.device) if masked else None
                denominator = global_counts[name] if masked else global_n
                s, mets, count = task_sums(t, ys[name].to(ctx.device), outs[out_index[i]], keep)
                stats.append(s.detach())
                metric_stats += mets
                counts.append(count)
                partial = partial or masked
                # This rank's share of the global batch mean; DDP averages over ranks, hence x world.
                share = s * (ctx.world / max(denominator, 1))
                if objective.log_variance is not None:
                    lv = objective.log_variance[name]
                    term = torch.exp(-lv) * share + lv
                else:
                    term = share * dynamic[name]
                term = term * t["plan"]["lossWeight"]
                if denominator == 0:
                    # No label for the task in the whole batch: it adds nothing (log sigma^2 included),
                    # with zero gradients (kept in the graph, so DDP sees every parameter used).
                    term = term * 0.0
                local_obj = term if local_obj is None else local_obj + term
            # Junctions' own terms (sluice orthogonality, NDDR weight decay): each rank adds the
            # whole term, and DDP's average keeps it once.
            for _, m in junctions:
                extra = m.junction_loss(reduce, global_n)
                if extra is not None:
                    local_obj = extra if local_obj is None else local_obj + extra
            for opt in optimizers.values():
                opt.zero_grad(set_to_none=True)
            local_obj.backward()
            for opt in optimizers.values():
                opt.step()
            total_local = float(local_obj.detach()) / ctx.world
            if not math.isfinite(total_local):
                raise TrainingError("epoch %d, batch %d: the loss is %s (diverged); lower the learning rate or check the data" % (epoch + 1, b + 1, total_local), 1)
            # The total weighted by the batch's size, as the tfjs loop records it.
            row = [float(v) for v in stats] + [float(v) for v in metric_stats] + [float(c) for c in counts] + [total_local * global_n, len(local)]
            sums += np.asarray(row)
            events.emit("batch", size=global_n, losses={t["plan"]["name"]: float(stats[i]) / max(float(counts[i]), 1) for i, t in enumerate(tasks)})
        elapsed = time.perf_counter() - started
        # CPU seconds of every rank's training steps (this process's threads), for the bench.
        cpu_seconds = ctx.all_sum([time.process_time() - cpu_started])[0]
        g = ctx.all_sum(sums.tolist() + [1.0 if partial else 0.0])
        partial = g.pop() > 0
        seen = g[-1]
        record = {"epoch": epoch + 1, "loss": g[-2] / seen, "tasks": {}, "examples": int(seen)}
        log_variance = None
        if objective.log_variance is not None:
            log_variance = {t: float(objective.log_variance[t].detach()) for t in task_names}
        labelled = g[k_tasks + n_metrics:k_tasks + n_metrics + k_tasks]
        k = k_tasks
        for i, t in enumerate(tasks):
            name = t["plan"]["name"]
            weight = (math.exp(-log_variance[name]) if log_variance else dynamic[name]) * t["plan"]["lossWeight"]
            over = max(labelled[i], 1)
            metrics = {}
            for m, _ in t["metrics"]:
                metrics[m] = g[k] / over
                k += 1
            record["tasks"][name] = {"loss": g[i] / over, "weight": weight, "metrics": metrics}
        if partial:
            record["labelled"] = {t["plan"]["name"]: int(labelled[i]) for i, t in enumerate(tasks)}
        if log_variance is not None:
            record["logVariance"] = log_variance
        if val_data is not None and val_data.size > 0:
            record["val"] = evaluate(ctx, model, tasks, out_index, val_data, batch_size)
        # DWA reads the epoch means over labelled examples.
        loss_history.append({t["plan"]["name"]: g[i] / max(labelled[i], 1) for i, t in enumerate(tasks)})
        history.append(record)
        if ctx.rank == 0:
            save_checkpoint(run_dir, model, model_json_text, optimizers, _checkpoint_state(job, epoch + 1, history, loss_history, log_variance),
                            read_alphas(model, model_class.JUNCTIONS))
            _append_line(os.path.join(run_dir, "metrics.jsonl"), _dumps(record))
        events.emit("epoch", record=record, examplesPerSecond=seen / max(elapsed, 1e-9), cpuSeconds=cpu_seconds)
        # Test hook: hold after each checkpoint, so a test can kill a rank at a known point.
        hold = float(os.environ.get("MTLC_TORCH_TEST_HOLD_SECONDS", "0") or 0)
        if hold > 0 and epoch + 1 < epochs:
            time.sleep(hold)
        if ctx.distributed:
            dist.barrier()

    replicas = replica_digests(ctx, model, optimizers)
    if len(set(replicas)) > 1:
        events.emit("line", text="warning: the ranks' weights differ after training (digests %s)" % ", ".join(d[:12] for d in replicas))
    if ctx.rank == 0:
        with open(os.path.join(run_dir, "run.json"), "r", encoding="utf-8") as f:
            run_info = json.load(f)
        run_info["replicas"] = {"ranks": ctx.world, "identical": len(set(replicas)) == 1, "sha256": replicas[0]}
        _write_atomic(os.path.join(run_dir, "run.json"), json.dumps(run_info, indent=2) + "\n")
        weights = tfjs_io.model_weights(model)
        tfjs_io.save_model(os.path.join(run_dir, "model"), model_json_text, weights)
        alphas = read_alphas(model, model_class.JUNCTIONS)
        _write_atomic(os.path.join(run_dir, "alphas.json"), json.dumps({"modelName": plan["modelName"], "alphas": alphas}, indent=1) + "\n")
        events.emit("done", alphas=alphas)
    return history


def replica_digests(ctx, model, optimizers):
    """sha256 of every rank's weights and optimizer state, gathered: DDP keeps them equal."""
    import hashlib
    h = hashlib.sha256()
    for name, t in sorted(tfjs_io.model_weights(model).items()):
        # Batch norm's moving statistics are each rank's own (it normalises its part of the
        # batch): they differ by design and are not what DDP keeps equal.
        if re.search(r"moving_(mean|variance)(_\d+)?$", name):
            continue
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    for group, opt in sorted(optimizers.items()):
        for p in (q for g in opt.param_groups for q in g["params"]):
            for key, v in sorted(opt.state[p].items()):
                h.update(key.encode())
                h.update(v.detach().cpu().contiguous().numpy().tobytes())
    digest = h.hexdigest()
    if not ctx.distributed:
        return [digest]
    out = [None] * ctx.world
    dist.all_gather_object(out, digest)
    return out


def tower_parameters(model, single):
    """[(tfjs weight name, parameter)] the main optimizer trains: every one, or with
    --single-task the task's own layers (`<task>_...` and its head `<task>`), as the tfjs loop."""
    renamed = getattr(model, "TFJS_NAMES", None) or {}
    out = []
    for name, p in model.named_parameters():
        layer = tfjs_io.tfjs_name(name, renamed).split("/")[0]
        out.append((layer, p))
    if single is None:
        return out
    own = [(n, p) for n, p in out if n == single or n.startswith(single + "_")]
    return own or out


def junction_modules(model, junctions):
    """[(JUNCTIONS entry, module)] in spec order (attributes renamed by TFJS_NAMES found back)."""
    attribute = {layer: attr for attr, layer in (getattr(model, "TFJS_NAMES", None) or {}).items()}
    return [(j, getattr(model, attribute.get(j["layerName"], j["layerName"]))) for j in junctions]


def _js_number(v):
    """A number as JavaScript's String() writes it (10, 0.5), for group names shared with tfjs."""
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def junction_groups(junctions, default_multiplier):
    """{group: (multiplier, [parameters])}: `alpha` at the plan's multiplier, and one group per
    multiplier a junction declares (`junction-x10`), as the tfjs loop groups them."""
    groups = {}
    for _, m in junctions:
        for p, multiplier in m.junction_parameters():
            name = "alpha" if multiplier is None else "junction-x%s" % _js_number(multiplier)
            groups.setdefault(name, (float(default_multiplier if multiplier is None else multiplier), []))[1].append(p)
    return groups


def _shape(values):
    shape = []
    while isinstance(values, list):
        shape.append(len(values))
        values = values[0] if values else None
    return shape


def read_alphas(model, junctions):
    out = []
    for j, m in junction_modules(model, junctions):
        mix = m.reported_mix()
        out.append({"name": j["name"], "layerName": j["layerName"], "kind": j.get("kind", "crossStitch"), "mode": mix["mode"],
                    "towers": list(mix.get("labels") or j["towers"]), "shape": _shape(mix["values"]), "values": mix["values"]})
    return out


def task_sums(t, y, p, keep=None):
    """A task's loss sum, metric sums and example count over these rows; with ``keep`` (bool
    [rows]) over the labelled rows only. An unlabelled row's target may hold anything (NaN is a
    common "missing"): it is replaced by zeros before the loss and its value dropped with
    ``where`` (a product with the mask would make 0 * NaN = NaN, in the gradient too)."""
    if keep is None:
        s, n = reduce_sum(t["loss"](y, p))
        with torch.no_grad():
            mets = [reduce_sum(fn(y, p))[0] for _, fn in t["metrics"]]
        return s, mets, n
    target = torch.where(keep.reshape((-1,) + (1,) * (y.dim() - 1)), y, torch.zeros_like(y))

    def masked(v):
        return torch.sum(torch.where(keep, v, torch.zeros_like(v)))
    s = masked(t["loss"](target, p))
    with torch.no_grad():
        # Metrics see no prediction on unlabelled rows either: a per-batch metric (precision)
        # would count their positive predictions.
        seen = torch.where(keep.reshape((-1,) + (1,) * (p.dim() - 1)), p, torch.zeros_like(p))
        mets = [masked(fn(target, seen)) for _, fn in t["metrics"]]
    return s, mets, int(keep.sum())


@torch.no_grad()
def evaluate(ctx, model, tasks, out_index, source, batch_size):
    """Loss and metrics over a validation shard in inference mode (means over labelled examples)."""
    model.eval()
    k_tasks = len(tasks)
    n_metrics = sum(len(t["metrics"]) for t in tasks)
    sums = np.zeros(k_tasks + n_metrics + k_tasks)
    for batch in data_mod.global_batches(source.size, batch_size, data_mod.epoch_order(source.size, None, 0)):
        local = data_mod.rank_slice(batch, ctx.rank, ctx.world)
        if len(local) == 0:
            continue
        x, ys = source.rows(local)
        masks = source.labelled(local)
        global_counts = {task: int(m.sum()) for task, m in source.labelled(batch).items()}
        outs = model(x.to(ctx.device))
        row = []
        mets = []
        counts = []
        for i, t in enumerate(tasks):
            name = t["plan"]["name"]
            masked = name in global_counts and global_counts[name] < len(batch)
            s, m, n = task_sums(t, ys[name].to(ctx.device), outs[out_index[i]], masks[name].to(ctx.device) if masked else None)
            row.append(float(s))
            mets += [float(v) for v in m]
            counts.append(float(n))
        sums += np.asarray(row + mets + counts)
    model.train()
    g = ctx.all_sum(sums.tolist())
    res = {"loss": 0.0, "tasks": {}}
    k = k_tasks
    for i, t in enumerate(tasks):
        over = max(g[k_tasks + n_metrics + i], 1)
        metrics = {}
        for m, _ in t["metrics"]:
            metrics[m] = g[k] / over
            k += 1
        res["tasks"][t["plan"]["name"]] = {"loss": g[i] / over, "metrics": metrics}
        res["loss"] += g[i] / over * t["plan"]["lossWeight"]
    return res


def save_checkpoint(run_dir, model, model_json_text, optimizers, state, alphas=None):
    """<run>/checkpoint/{model/, torch-state.pt, alphas.json, state.json}: a temp directory swapped
    in by renames. alphas.json holds each junction's mix as its kind reports it (as the tfjs
    engine's checkpoint): `mtlc weights`/`report` of a run that never finished read it."""
    tmp = tempfile.mkdtemp(prefix=".checkpoint-tmp-", dir=run_dir)
    try:
        os.makedirs(os.path.join(tmp, "model"))
        tfjs_io.write_model_files(os.path.join(tmp, "model"), model_json_text, tfjs_io.model_weights(model))
        with open(os.path.join(tmp, "torch-state.pt"), "wb") as f:
            torch.save({"optimizers": {g: o.state_dict() for g, o in optimizers.items()}}, f)
            f.flush()
            os.fsync(f.fileno())
        if alphas is not None:
            with open(os.path.join(tmp, "alphas.json"), "w", encoding="utf-8") as f:
                f.write(_dumps({"modelName": state["modelName"], "alphas": alphas}) + "\n")
                f.flush()
                os.fsync(f.fileno())
        with open(os.path.join(tmp, "state.json"), "w", encoding="utf-8") as f:
            f.write(_dumps(state) + "\n")
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        # A full disk mid-save: the previous checkpoint stays, and no half one is left behind.
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    tfjs_io.replace_dir(tmp, os.path.join(run_dir, CHECKPOINT_DIR))
    for name in os.listdir(run_dir):
        if name.startswith(".checkpoint-tmp-") and os.path.join(run_dir, name) != tmp:
            import shutil
            shutil.rmtree(os.path.join(run_dir, name), ignore_errors=True)


def _parse(argv):
    p = argparse.ArgumentParser(description="Train an mtlc model with PyTorch (one rank; launch with torchrun for more).")
    p.add_argument("--job", required=True, help="job.json written by `mtlc train --engine torch` (in <run>/torch/)")
    p.add_argument("--events", choices=("text", "json"), default="text", help="progress as plain lines or JSON events for mtlc")
    return p.parse_args(argv)


INTERNAL_ERROR = 70


def _emit_now(fields):
    sys.stdout.write(EVENT_PREFIX + json.dumps(fields) + "\n")
    sys.stdout.flush()


def main(model_class, argv=None):
    """torchrun / command-line entry. Returns the exit code (0 ok, 1 bad data or diverged, 2 usage,
    70 a bug)."""
    a = _parse(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())))
    created = False
    try:
        job = read_job(a.job)
        created = _init_process_group()
        train(job, model_class, a.events)
        return 0
    except (TrainingError, data_mod.ShardError, tfjs_io.ModelFileError) as e:
        # A user's mistake (bad data, a run folder that does not fit): one line. For mtlc it is an
        # event (mtlc prints the line, once for all ranks); for a person, the line itself.
        code = getattr(e, "exit_code", 2)
        if a.events == "json":
            _emit_now({"event": "error", "message": str(e), "exitCode": code})
        else:
            print("error: %s" % e, file=sys.stderr, flush=True)
        return code
    except Exception as e:  # a bug: its traceback, for mtlc as an event (it shows it and says where the rest is)
        import traceback
        trace = traceback.format_exc()
        if a.events == "json":
            _emit_now({"event": "crash", "message": "%s: %s" % (type(e).__name__, e), "trace": trace,
                       "rank": int(os.environ.get("RANK", "0"))})
        print(trace, file=sys.stderr, end="", flush=True)
        return INTERNAL_ERROR
    finally:
        if created and dist.is_initialized():
            dist.destroy_process_group()


def train_worker(config):
    """Ray Train's per-worker function: ``TorchTrainer(train_worker, train_loop_config={"job": ..., "model_class": ...})``."""
    job = read_job(config["job"])
    return train(job, config["model_class"], config.get("events", "text"))
