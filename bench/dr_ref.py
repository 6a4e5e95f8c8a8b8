"""From-scratch reference for the `dr` task (issue #6): can a network trained from scratch learn
referable DR (grade >= 2) from these 6,742 EyePACS images (our patient split), and at what
resolution and training length? Runs on a GPU in minutes (CPU works, slowly).

  node dist/bench/pack-dr.js DIR 192 80        # our split, re-encoded: DIR/dr.bin + DIR/dr.json
  python3 bench/dr_ref.py DIR [--round 2]      # one JSON line per configuration

Needs PyTorch (torchvision for resnet18/50) and Pillow. Results of one run on an H200 are in
bench/results/dr_ref-h200.jsonl and README.md."""
import io, json, os, sys, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
try:
    from PIL import Image
except ImportError:
    Image = None
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_ref import ResNet, ARCHS

dev = "cuda" if torch.cuda.is_available() else "cpu"
OUT = os.environ.get("OUT", "/tmp")
DIR = next((a for a in sys.argv[1:] if not a.startswith("--") and not a.isdigit()), None)
if DIR is None:
    sys.exit("usage: python3 bench/dr_ref.py DIR [--round 2]   (DIR from: node dist/bench/pack-dr.js DIR 192 80)")
ROUND2 = "--round" in sys.argv and sys.argv[sys.argv.index("--round") + 1] == "2"
meta = json.load(open(os.path.join(DIR, "dr.json")))
blob = open(os.path.join(DIR, "dr.bin"), "rb").read()
quick = os.environ.get("QUICK") == "1"
if quick:
    meta = meta[:300]
def dec(m):
    return np.asarray(Image.open(io.BytesIO(blob[m["off"]:m["off"] + m["len"]])).convert("RGB"))
if Image is None and not quick:
    sys.exit("bench/dr_ref.py needs Pillow to decode the packed JPEGs (pip install pillow)")
if Image is None:  # QUICK=1 without Pillow: random pixels, a smoke test of the pipeline only
    imgs = np.random.default_rng(0).integers(0, 255, (len(meta), 64, 64, 3), dtype=np.uint8)
else:
    with ThreadPoolExecutor(16) as ex:
        imgs = np.stack(list(ex.map(dec, meta)))
X = torch.from_numpy(imgs).to(dev).permute(0, 3, 1, 2).contiguous()  # uint8 N,3,H,W
Y = torch.tensor([m["label"] for m in meta], device=dev)
G = torch.tensor([m["grade"] for m in meta], device=dev)
idx = {s: torch.tensor([i for i, m in enumerate(meta) if m["split"] == s], device=dev) for s in ("train", "val", "test")}
print(json.dumps({"images": len(meta), "size": X.shape[-1], "device": torch.cuda.get_device_name() if dev == "cuda" else "cpu"}), flush=True)

def auc(scores, labels):
    s, l = scores.double().cpu().numpy(), labels.cpu().numpy()
    order = np.argsort(s, kind="mergesort"); r = np.empty(len(s)); r[order] = np.arange(1, len(s) + 1)
    # average ranks for ties
    _, inv, cnt = np.unique(s, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=r); r = (sums / cnt)[inv]
    p = l == 1; n1, n0 = p.sum(), (~p).sum()
    return float((r[p].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))

def batch(ix, size, train):
    x = X[ix].float() / 255
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    if train:
        n = x.shape[0]
        ang = torch.rand(n, device=dev) * 2 * np.pi
        sc = 1 + (torch.rand(n, device=dev) - 0.5) * 0.2
        flip = torch.where(torch.rand(n, device=dev) < 0.5, -1.0, 1.0)
        cos, sin = torch.cos(ang) / sc, torch.sin(ang) / sc
        theta = torch.stack([torch.stack([cos * flip, -sin, (torch.rand(n, device=dev) - .5) * .2], 1),
                             torch.stack([sin * flip, cos, (torch.rand(n, device=dev) - .5) * .2], 1)], 1)
        x = F.grid_sample(x, F.affine_grid(theta, x.shape, align_corners=False), align_corners=False)
    return x.contiguous(memory_format=torch.channels_last)

def model_of(name, classes=2):
    if name in ARCHS:
        return ResNet(classes=classes, **ARCHS[name])
    import torchvision
    m = getattr(torchvision.models, name)(weights=None)
    m.fc = nn.Sequential(nn.Linear(m.fc.in_features, 128), nn.Dropout(0.2), nn.Linear(128, classes))
    return m

def evaluate(m, s, size, grades=False):
    m.eval(); outs = []
    with torch.no_grad(), torch.autocast(dev, torch.bfloat16, enabled=dev == "cuda"):
        for i in range(0, len(idx[s]), 512):
            outs.append(m(batch(idx[s][i:i + 512], size, False)).float())
    lo = torch.cat(outs); y = Y[idx[s]]
    p = lo.softmax(1)[:, 2:].sum(1) if grades else lo.softmax(1)[:, 1]
    return auc(p, y), float(((p > 0.5).long() == y).float().mean())

def run(name, size, epochs, aug=True, lr=1e-3, bs=64, grades=False):
    torch.manual_seed(0)
    m = model_of(name, 5 if grades else 2).to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=1e-4)
    tr = idx["train"]; steps = epochs * ((len(tr) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.05)
    T = G if grades else Y; k = 5 if grades else 2
    cnt = torch.bincount(T[tr], minlength=k).float(); w = cnt.sum() / (k * cnt)
    best = (-1, 0, 0, 0); t0 = time.time(); curve = []
    for e in range(epochs):
        m.train(); perm = tr[torch.randperm(len(tr), device=dev)]
        for i in range(0, len(perm), bs):
            ix = perm[i:i + bs]
            with torch.autocast(dev, torch.bfloat16, enabled=dev == "cuda"):
                loss = F.cross_entropy(m(batch(ix, size, aug)).float(), T[ix], weight=w)
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); sched.step()
        va, vacc = evaluate(m, "val", size, grades); curve.append(round(va, 3))
        if va > best[0]:
            ta, tacc = evaluate(m, "test", size, grades); best = (va, e + 1, ta, tacc)
    r = {"model": name, "grades": grades, "size": size, "epochs": epochs, "aug": aug, "lr": lr, "best_val_auc": round(best[0], 3), "best_epoch": best[1],
         "test_auc": round(best[2], 3), "test_acc": round(best[3], 3), "seconds": round(time.time() - t0, 1), "val_auc_curve": curve}
    print(json.dumps(r), flush=True)
    with open(os.path.join(OUT, "dr_ref.jsonl"), "a") as f: f.write(json.dumps(r) + "\n")

configs = [("resnet20-s2", 32, 1, True, 1e-3, 64, True)] if quick else [
    ("resnet20-s2", 64, 60, True, 1e-3, 64, True), ("resnet18", 192, 60, True, 1e-3, 64, True), ("resnet20-s2", 64, 60, True, 3e-3, 128, False)] if ROUND2 else [
    ("resnet20-s2", 64, 8), ("resnet20-s2", 64, 60), ("resnet20-s2", 128, 60), ("resnet20", 128, 60),
    ("resnet18", 128, 60), ("resnet18", 192, 60), ("resnet50", 192, 60), ("resnet20-s2", 96, 30), ("resnet20-s2", 128, 20)]
for c in configs:
    try:
        run(*c)
    except Exception as ex:
        print(json.dumps({"config": c, "error": repr(ex)}), flush=True)
