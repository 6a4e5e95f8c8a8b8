"""Writes a weights file in Keras' exact .h5 layout (what model.save_weights / Keras Applications
ship) from a JSON spec on stdin: {"layers": [{"name": ..., "weights": [{"name": "kernel", "shape": [...]}]}],
"truncate": bytes or null}. Values are the closed form the TypeScript test recomputes:
v[i] = ((7 * layer + 3 * weight + i) % 251) / 251 - 0.5, as float32."""
import json
import sys

import h5py
import numpy as np

spec = json.load(sys.stdin)
out = sys.argv[1]
with h5py.File(out, "w") as f:
    f.attrs["layer_names"] = np.array([l["name"].encode() for l in spec["layers"]])
    f.attrs["backend"] = b"tensorflow"
    f.attrs["keras_version"] = b"2.2.4"
    for li, layer in enumerate(spec["layers"]):
        g = f.create_group(layer["name"])
        names = [f'{layer["name"]}/{w["name"]}:0'.encode() for w in layer["weights"]]
        g.attrs["weight_names"] = np.array(names) if names else np.array([], dtype="S1")
        for wi, w in enumerate(layer["weights"]):
            n = int(np.prod(w["shape"]))
            v = (((7 * li + 3 * wi + np.arange(n, dtype=np.int64)) % 251) / 251 - 0.5).astype(np.float32)
            g.create_dataset(f'{layer["name"]}/{w["name"]}:0', data=v.reshape(w["shape"]))
if spec.get("truncate"):
    with open(out, "r+b") as fh:
        fh.truncate(spec["truncate"])
