"""TensorFlow.js layers-model files (model.json + weights.bin), both directions.

mtlc keeps the model.json text tfjs wrote (the topology is tfjs's own, so the result loads with
tf.loadLayersModel) and rewrites only the weight bytes, in the manifest's order and dtype: a
model read and written back without training is byte-identical.
"""
import json
import os
import shutil
import tempfile

import numpy as np
import torch

_DTYPES = {"float32": np.dtype("<f4"), "int32": np.dtype("<i4"), "bool": np.dtype("u1")}


class ModelFileError(Exception):
    pass


def _manifest(model_json):
    entries = []
    for group in model_json.get("weightsManifest", []):
        for w in group["weights"]:
            if "quantization" in w:
                raise ModelFileError("weight %r is quantized; mtlc reads float32 models" % w["name"])
            if w.get("dtype", "float32") not in _DTYPES:
                raise ModelFileError("weight %r has dtype %r" % (w["name"], w.get("dtype")))
            entries.append(w)
    return entries


def read_model(model_dir):
    """-> (model.json text, {weight name: numpy array}) in manifest order."""
    path = os.path.join(model_dir, "model.json")
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
        model_json = json.loads(text)
    except (OSError, ValueError) as e:
        raise ModelFileError("%s: %s" % (path, e)) from None
    data = bytearray()
    for group in model_json.get("weightsManifest", []):
        for p in group["paths"]:
            with open(os.path.join(model_dir, p), "rb") as f:
                data += f.read()
    weights = {}
    offset = 0
    for w in _manifest(model_json):
        dt = _DTYPES[w.get("dtype", "float32")]
        count = int(np.prod(w["shape"], dtype=np.int64))
        nbytes = count * dt.itemsize
        if offset + nbytes > len(data):
            raise ModelFileError("%s: the weights files hold %d bytes, the manifest needs more (at %r)" % (model_dir, len(data), w["name"]))
        weights[w["name"]] = np.frombuffer(bytes(data[offset:offset + nbytes]), dtype=dt).reshape(w["shape"]).copy()
        offset += nbytes
    if offset != len(data):
        raise ModelFileError("%s: the weights files hold %d bytes, the manifest %d" % (model_dir, len(data), offset))
    return text, weights


def encode_weights(model_json_text, weights):
    """The bytes of weights.bin for these weights, in the manifest's order."""
    model_json = json.loads(model_json_text)
    chunks = []
    for w in _manifest(model_json):
        name = w["name"]
        if name not in weights:
            raise ModelFileError("no value for weight %r" % name)
        v = weights[name]
        if isinstance(v, torch.Tensor):
            v = v.detach().cpu().numpy()
        v = np.asarray(v)
        if list(v.shape) != list(w["shape"]):
            raise ModelFileError("weight %r has shape %s, the manifest %s" % (name, list(v.shape), w["shape"]))
        chunks.append(np.ascontiguousarray(v, dtype=_DTYPES[w.get("dtype", "float32")]).tobytes())
    return b"".join(chunks)


def _fsync_write(path, data):
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_model_files(directory, model_json_text, weights):
    """Writes model.json (one weights.bin path) and weights.bin into an existing directory."""
    model_json = json.loads(model_json_text)
    paths = [p for g in model_json.get("weightsManifest", []) for p in g["paths"]]
    if len(paths) > 1:
        # Several shards (a converter's output): collapse them into one file.
        specs = [w for g in model_json["weightsManifest"] for w in g["weights"]]
        model_json["weightsManifest"] = [{"paths": ["weights.bin"], "weights": specs}]
        model_json_text = json.dumps(model_json)
        paths = ["weights.bin"]
    _fsync_write(os.path.join(directory, paths[0] if paths else "weights.bin"), encode_weights(model_json_text, weights))
    _fsync_write(os.path.join(directory, "model.json"), model_json_text.encode("utf-8"))


def replace_dir(tmp, dest):
    """Swaps a fully written directory in: the old one stays until the new one is in place."""
    old = dest + ".old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(dest):
        os.rename(dest, old)
    os.rename(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)
    fd = os.open(os.path.dirname(dest) or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_model(model_dir, model_json_text, weights):
    """Atomically (re)writes a model directory: a temp directory beside it, then a swap."""
    parent = os.path.dirname(os.path.abspath(model_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".%s-tmp-" % os.path.basename(model_dir), dir=parent)
    try:
        write_model_files(tmp, model_json_text, weights)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_dir(tmp, os.path.abspath(model_dir))


def tfjs_name(torch_name, renamed=None):
    """`left_conv1.kernel` -> `left_conv1/kernel` (attributes are named as the tfjs layers,
    except where Python reserves the name: ``renamed`` maps those attributes back)."""
    layer, _, weight = torch_name.rpartition(".")
    return "%s/%s" % ((renamed or {}).get(layer, layer), weight)


def model_weights(module):
    """{tfjs weight name: tensor} of a generated module (parameters and buffers)."""
    renamed = getattr(module, "TFJS_NAMES", None) or {}
    out = {}
    for name, t in list(module.named_parameters()) + list(module.named_buffers()):
        out[tfjs_name(name, renamed)] = t
    return out


def load_into(module, weights, strict=True):
    """Copies tfjs weights (by name) into the module's parameters and buffers."""
    mine = model_weights(module)
    missing = [n for n in mine if n not in weights]
    extra = [n for n in weights if n not in mine]
    if strict and (missing or extra):
        raise ModelFileError("weights do not match the model: missing %s, unexpected %s" % (missing[:5], extra[:5]))
    with torch.no_grad():
        for name, t in mine.items():
            if name not in weights:
                continue
            v = torch.from_numpy(np.ascontiguousarray(weights[name], dtype=np.float32))
            if tuple(v.shape) != tuple(t.shape):
                raise ModelFileError("weight %r has shape %s, the model's %s" % (name, list(v.shape), list(t.shape)))
            t.copy_(v)
    return sorted(mine)
