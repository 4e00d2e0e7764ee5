"""Test helper: one Python process per test file answers JSON requests on stdin, one per line.

  {"op": "forward", "root": DIR, "package": NAME, "weights": MODEL_DIR, "x": [...], "shape": [...]}
      -> {"outputs": [[...], ...]}   (eval mode)
  {"op": "train", "root": DIR, "package": NAME, "job": JOB_FILE}
      -> {"history": [...]}          (mtlc_torch.train.train in this process, one rank)
  {"op": "roundtrip", "src": MODEL_DIR, "dst": MODEL_DIR}
      -> {"ok": true}                (read tfjs files, write them back)
  {"op": "module-roundtrip", "root": DIR, "package": NAME, "src": MODEL_DIR, "dst": MODEL_DIR}
      -> {"names": [...]}            (tfjs files -> the module's parameters and buffers -> tfjs files)
  {"op": "digest", "root": DIR, "package": NAME, "weights": MODEL_DIR, "add": {WEIGHT: DELTA}}
      -> {"digest": HEX}             (the digest the ranks compare, after adding DELTA to weights)
"""
import importlib
import json
import sys

import torch

from mtlc_torch import tfjs_io
from mtlc_torch.train import read_job, replica_digests, train


def model_class(root, package):
    if root not in sys.path:
        sys.path.insert(0, root)
    mod = importlib.import_module(package + ".model")
    return next(v for v in vars(mod).values() if isinstance(v, type) and issubclass(v, torch.nn.Module) and v.__module__ == mod.__name__)


def handle(req):
    op = req["op"]
    if op == "forward":
        cls = model_class(req["root"], req["package"])
        m = cls()
        _, w = tfjs_io.read_model(req["weights"])
        tfjs_io.load_into(m, w)
        m.eval()
        x = torch.tensor(req["x"], dtype=torch.float32).reshape(req["shape"])
        with torch.no_grad():
            outs = m(x)
        return {"outputs": [o.reshape(-1).tolist() for o in outs]}
    if op == "train":
        cls = model_class(req["root"], req["package"])
        return {"history": train(read_job(req["job"]), cls, "none")}
    if op == "roundtrip":
        text, w = tfjs_io.read_model(req["src"])
        tfjs_io.save_model(req["dst"], text, w)
        return {"ok": True}
    if op == "module-roundtrip":
        cls = model_class(req["root"], req["package"])
        m = cls()
        text, w = tfjs_io.read_model(req["src"])
        names = tfjs_io.load_into(m, w)
        tfjs_io.save_model(req["dst"], text, tfjs_io.model_weights(m))
        return {"names": names}
    if op == "digest":
        cls = model_class(req["root"], req["package"])
        m = cls()
        _, w = tfjs_io.read_model(req["weights"])
        tfjs_io.load_into(m, w)
        mine = tfjs_io.model_weights(m)
        with torch.no_grad():
            for name, delta in req.get("add", {}).items():
                mine[name].add_(delta)

        class OneRank:
            distributed = False
        return {"digest": replica_digests(OneRank(), m, {})[0]}
    raise ValueError("unknown op %r" % op)


def main():
    torch.set_num_threads(1)
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = handle(json.loads(line))
        except Exception as e:  # reported to the test, which fails with it
            import traceback
            out = {"error": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc()}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
