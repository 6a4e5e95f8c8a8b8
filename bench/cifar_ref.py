#!/usr/bin/python3
"""PyTorch CPU reference for the CIFAR-10 recipe of src/config/profiles.ts (CIFAR_RECIPE): is a
CIFAR-10 accuracy short of the 90% gate a property of the recipe and schedule, or of this
project's training code? The same architecture (bench/torch_ref.py's ResNet, the paper's head),
the same recipe, data and split sizes, in an independent implementation.

  /usr/bin/python3 bench/cifar_ref.py --epochs 30 [--model resnet20] [--run 5] [--threads 2]

Needs Debian's python3-torch and python3-pil (the first run decodes the JPEGs once into --cache).

Mirrors the project's recipe: SGD lr 0.1, momentum 0.9, L2 5e-4 on conv and dense kernels
only (added to the gradient, as PyTorch's weight_decay and src/train/optimizer.ts do), batch 128
split in two shards that each normalise their own 64 images (the two wasm workers), the
per-step schedule of learningRateAt (linear warm-up over 3% of the steps, then
lr * (0.01 + 0.99 (1 + cos pi t) / 2)), zero-pad-4 random crops and horizontal flips, He-normal
convolutions and Glorot-uniform dense layers, 10% of each training class held out for
validation, and the best validation epoch kept. Data: ../shared/data/cifar10 (ImageFolder of
JPEGs). --run stops after that many epochs of the --epochs schedule. One JSON line per epoch,
then a result line.
"""
import argparse
import hashlib
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_ref import ARCHS, ResNet

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def cache_path(root, split, cache):
    """The decoded split's file, keyed by the folder it was decoded from (no other folder's cache)."""
    key = hashlib.sha1(os.path.realpath(root).encode()).hexdigest()[:10]
    return os.path.join(cache, f"cifar10-{key}-{split}.npz")


def load(root, split, cache):
    path = cache_path(root, split, cache)
    if os.path.exists(path):
        z = np.load(path)
        return z["x"], z["y"]
    from PIL import Image

    xs, ys = [], []
    for c, name in enumerate(CLASSES):
        d = os.path.join(root, split, name)
        for f in sorted(os.listdir(d)):
            xs.append(np.asarray(Image.open(os.path.join(d, f)).convert("RGB"), dtype=np.uint8))
            ys.append(c)
    x, y = np.stack(xs), np.array(ys, dtype=np.int64)
    os.makedirs(cache, exist_ok=True)
    np.savez(path, x=x, y=y)
    return x, y


def lr_at(step, total, lr=0.1, warmup=0.03):
    warm = math.floor(warmup * total)
    if step < warm:
        return lr * (step + 1) / warm
    t = min(1.0, (step - warm) / max(1, total - warm - 1))
    return lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t)))


def augment(xb, gen):
    """Zero-pad by 1/8 of the side, crop back at a whole-pixel shift, flip half (NCHW floats)."""
    n, _, h, w = xb.shape
    p = h // 8
    padded = F.pad(xb, (p, p, p, p))
    out = torch.empty_like(xb)
    shifts = torch.round((2 * torch.rand(n, 2, generator=gen) - 1) * p).long()
    flips = torch.rand(n, generator=gen) < 0.5
    for i in range(n):
        dy, dx = int(shifts[i, 0]), int(shifts[i, 1])
        img = padded[i, :, p + dy : p + dy + h, p + dx : p + dx + w]
        out[i] = img.flip(2) if flips[i] else img
    return out


def init_like_project(model):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            std = math.sqrt(2.0 / (m.in_channels * m.kernel_size[0] * m.kernel_size[1]))
            nn.init.trunc_normal_(m.weight, std=std, a=-2 * std, b=2 * std)  # tfjs' heNormal
        elif isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def accuracy(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for a in range(0, len(x), batch):
            xb = torch.from_numpy(x[a : a + batch]).permute(0, 3, 1, 2).float() / 255
            correct += int((model(xb).argmax(1) == torch.from_numpy(y[a : a + batch])).sum())
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    root = os.environ.get("MIA_DATA_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
    ap.add_argument("--data", default=os.path.join(root, "cifar10"), help="CIFAR-10 as {train,test}/<class>/*.jpg (default: $MIA_DATA_DIR/cifar10, else ../shared/data/cifar10)")
    ap.add_argument("--cache", default="/tmp/mia-cifar-ref")
    ap.add_argument("--model", default="resnet20", choices=sorted(ARCHS))
    ap.add_argument("--epochs", type=int, default=30, help="length of the schedule")
    ap.add_argument("--run", type=int, default=0, help="stop after this many epochs (0: all)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--shards", type=int, default=2, help="batch-norm groups per batch (the project's workers)")
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    for split in ("train", "test"):
        if not os.path.isdir(os.path.join(a.data, split)) and not os.path.exists(cache_path(a.data, split, a.cache)):
            raise SystemExit(f"cifar_ref: no CIFAR-10 {split} split at {a.data} ({split}/<class>/*.jpg): pass --data or set MIA_DATA_DIR")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load(a.data, "train", a.cache)
    xt, yt = load(a.data, "test", a.cache)
    rng = np.random.default_rng(a.seed)
    val = np.concatenate([rng.permutation(np.flatnonzero(y == c))[: (y == c).sum() // 10] for c in range(10)])
    train = np.setdiff1d(np.arange(len(y)), val)
    model = ResNet(3, classes=10, **ARCHS[a.model])
    init_like_project(model)
    # L2 on conv and dense kernels only (src/train/optimizer.ts' decays()), not biases or batch norm.
    params = list(model.parameters())
    kernels = [p for p in params if p.dim() > 1]
    others = [p for p in params if p.dim() <= 1]
    # lr is set on every step from lr_at.
    opt = torch.optim.SGD([{"params": kernels, "weight_decay": a.weight_decay}, {"params": others, "weight_decay": 0}], lr=0.1, momentum=0.9)
    n = len(train)
    steps = n // a.batch + (1 if n % a.batch >= a.batch / 2 else 0)
    total = a.epochs * steps
    gen = torch.Generator().manual_seed(a.seed)
    best = None
    t_start = time.time()
    for epoch in range(a.run or a.epochs):
        t0 = time.time()
        model.train()
        order = rng.permutation(train)
        loss_sum = 0.0
        for s in range(steps):
            idx = order[s * a.batch : (s + 1) * a.batch if s < steps - 1 else n]
            xb = augment(torch.from_numpy(x[idx]).permute(0, 3, 1, 2).float() / 255, gen)
            yb = torch.from_numpy(y[idx])
            for g in opt.param_groups:
                g["lr"] = lr_at(epoch * steps + s, total)
            opt.zero_grad(set_to_none=True)
            loss = 0.0
            for part in torch.tensor_split(torch.arange(len(idx)), a.shards):
                l = F.cross_entropy(model(xb[part]), yb[part], reduction="sum") / len(idx)
                l.backward()
                loss += float(l)
            opt.step()
            loss_sum += loss
        val_acc = accuracy(model, x[val], y[val])
        rec = dict(kind="epoch", epoch=epoch + 1, lr=lr_at((epoch + 1) * steps - 1, total), trainLoss=loss_sum / steps, valAccuracy=val_acc, seconds=round(time.time() - t0, 1))
        print(json.dumps(rec), flush=True)
        if best is None or val_acc > best[0]:
            best = (val_acc, epoch + 1, {k: v.clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best[2])
    print(json.dumps(dict(kind="result", implementation=f"pytorch {torch.__version__} cpu", model=a.model, size=x.shape[1], schedule=a.epochs, epochsRun=a.run or a.epochs, bestEpoch=best[1], valAccuracy=best[0], testAccuracy=accuracy(model, xt, yt), trainImages=n, testImages=len(yt), weightDecay=a.weight_decay, shards=a.shards, seconds=round(time.time() - t_start), secondsCover="training and evaluation, after the data were loaded")), flush=True)


if __name__ == "__main__":
    main()
