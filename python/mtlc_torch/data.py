"""Training data handed over by mtlc as binary shards, read through memory maps.

A shard directory (written by `mtlc train --engine torch`, src/runtime/torch/handover.ts):
  meta.json   {"version": 1, "examples": n, "input": {"file": "x.f32", "shape": [...]},
               "targets": {task: {"file": "y-<i>.f32", "shape": [...]}}}
  x.f32       float32 little-endian, n * prod(input shape), row-major (NHWC for images)
  y-<i>.f32   float32, n * prod(target shape), one file per task
  m-<i>.u8    partially labelled data: uint8, n, 1 where the example carries task i's label
              (meta: targets[task].labelled = {"file", "count"}); absent when all carry it
Nothing is loaded whole: each batch gathers its rows from the maps.
"""
import json
import os

import numpy as np
import torch


class ShardError(Exception):
    pass


class Shard:
    def __init__(self, directory):
        self.directory = directory
        try:
            with open(os.path.join(directory, "meta.json"), "r", encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError) as e:
            raise ShardError("%s: cannot read meta.json: %s" % (directory, e)) from None
        self.size = int(meta["examples"])
        self.input_shape = [int(d) for d in meta["input"]["shape"]]
        self.x = self._map(meta["input"]["file"], self.input_shape)
        self.targets = {task: self._map(t["file"], [int(d) for d in t["shape"]]) for task, t in meta["targets"].items()}
        # Label masks of the partially labelled tasks (a task absent here is labelled everywhere).
        self.masks = {task: self._map(t["labelled"]["file"], [], "u1") for task, t in meta["targets"].items() if t.get("labelled")}
        self.label_counts = {task: int(meta["targets"][task]["labelled"]["count"]) for task in self.masks}

    def _map(self, name, shape, dtype="<f4"):
        path = os.path.join(self.directory, name)
        per = int(np.prod(shape, dtype=np.int64))
        want = self.size * per * np.dtype(dtype).itemsize
        have = os.path.getsize(path)
        if have != want:
            raise ShardError("%s: %d bytes, expected %d (%d examples of shape %s)" % (path, have, want, self.size, shape))
        if self.size == 0:
            return np.zeros([0] + shape, dtype=dtype)
        return np.memmap(path, dtype=dtype, mode="r", shape=tuple([self.size] + shape))

    def rows(self, indices):
        """(x, {task: y}) float32 tensors for these example indices."""
        idx = np.asarray(indices, dtype=np.int64)
        x = torch.from_numpy(np.ascontiguousarray(self.x[idx], dtype=np.float32))
        ys = {task: torch.from_numpy(np.ascontiguousarray(m[idx], dtype=np.float32)) for task, m in self.targets.items()}
        return x, ys

    def labelled(self, indices):
        """{task: bool tensor [len(indices)]} for the partially labelled tasks: which examples carry the label."""
        idx = np.asarray(indices, dtype=np.int64)
        return {task: torch.from_numpy(np.ascontiguousarray(m[idx]) > 0) for task, m in self.masks.items()}


def epoch_order(size, seed, epoch):
    """The example order of an epoch: a permutation seeded by (seed, epoch), or None for in order."""
    if seed is None:
        return np.arange(size, dtype=np.int64)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), int(epoch)])))
    return rng.permutation(size)


def global_batches(size, batch_size, order):
    """Index arrays of the global batches, in order (the last one may be short)."""
    return [order[i:i + batch_size] for i in range(0, size, batch_size)]


def rank_slice(batch, rank, world):
    """This rank's contiguous part of a global batch (parts differ by at most one example)."""
    return np.array_split(batch, world)[rank]
