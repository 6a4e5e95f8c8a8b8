#!/usr/bin/python3
"""PyTorch CPU reference for `make bench`: the same ResNet, batch, training step and PGD-20 as
bench/train-step.ts. Prints one JSON line per measurement. Uses Debian's python3-torch.

  /usr/bin/python3 bench/torch_ref.py --size 64 [--batch 64] [--threads 2] [--seconds 20] [--device cuda]

resnet50 is torchvision's (the paper's ResNet-50 body) with the paper's head; it needs torchvision.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.proj(x) if self.proj is not None else x))


# The same named architectures as src/models/registry.ts.
ARCHS = {
    "resnet-tiny": dict(stem=8, stages=(8, 16), blocks=1),
    "resnet20": dict(stem=16, stages=(16, 32, 64), blocks=3),
    "resnet20-s2": dict(stem=16, stages=(16, 32, 64), blocks=3, stem_stride=2),
    "resnet-bench": dict(stem=32, stages=(32, 64, 128, 256), blocks=1, head="linear"),
}


class ResNet(nn.Module):
    """A 3x3 stem, BasicBlock stages, GAP, then the paper's head (Linear 128, Dropout 0.2,
    Linear) or a linear one: as src/models/resnet.ts and head.ts."""

    def __init__(self, channels=3, classes=2, stem=32, stages=(32, 64, 128, 256), blocks=1, stem_stride=1, head="paper"):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(channels, stem, 3, stem_stride, 1, bias=False), nn.BatchNorm2d(stem), nn.ReLU())
        cin = stem
        layers = []
        for i, c in enumerate(stages):
            for b in range(blocks):
                layers.append(Block(cin, c, 2 if i > 0 and b == 0 else 1))
                cin = c
        self.blocks = nn.Sequential(*layers)
        if head == "paper":
            self.fc = nn.Sequential(nn.Linear(cin, 128), nn.Dropout(0.2), nn.Linear(128, classes))
        else:
            self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(x.mean(dim=(2, 3)))


def time_it(fn, max_runs, budget):
    fn()  # warm-up
    runs, t0 = 0, time.perf_counter()
    while runs < max_runs and (runs == 0 or time.perf_counter() - t0 < budget):
        fn()
        runs += 1
    return (time.perf_counter() - t0) / runs, runs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--model", default="resnet-bench", choices=sorted(ARCHS) + ["resnet50"])
    ap.add_argument("--device", default="cpu", help="cpu or cuda (PyTorch CUDA on a GPU machine)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    if a.model == "resnet50":
        import torchvision

        model = torchvision.models.resnet50(weights=None)
        model.fc = nn.Sequential(nn.Linear(2048, 128), nn.Dropout(0.2), nn.Linear(128, 2))
    else:
        model = ResNet(a.channels, **ARCHS[a.model])
    model = model.to(dev)
    x = torch.rand(a.batch, a.channels, a.size, a.size, device=dev)
    y = torch.arange(a.batch, device=dev) % 2
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    base = dict(backend=f"pytorch {torch.__version__}" + (" cuda" if dev.type == "cuda" else ""), model=a.model, threads=torch.get_num_threads(), size=a.size, batch=a.batch)
    params = sum(p.numel() for p in model.parameters())

    def train():
        model.train()
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
        sync()

    t, runs = time_it(train, 50, a.seconds)
    print(json.dumps(dict(base, what="train", imgPerSec=a.batch / t, secPerStep=t, runs=runs, params=params)), flush=True)

    eps, alpha = 1 / 255, 1 / 2550
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)  # an attack needs only the input gradient

    def pgd():
        adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
        for _ in range(20):
            adv.requires_grad_(True)
            (g,) = torch.autograd.grad(F.cross_entropy(model(adv), y), adv)
            adv = torch.min(torch.max(adv.detach() + alpha * g.sign(), x - eps), x + eps).clamp(0, 1)
        sync()

    t, runs = time_it(pgd, 20, a.seconds)
    print(json.dumps(dict(base, what="pgd20", imgPerSec=a.batch / t, secPerAttack=t, runs=runs)), flush=True)


if __name__ == "__main__":
    main()
