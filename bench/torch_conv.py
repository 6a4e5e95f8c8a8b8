#!/usr/bin/python3
"""The same convolution as bench/conv-ceiling.ts in PyTorch (oneDNN), on 1 and 2 threads."""
import time

import torch
import torch.nn.functional as F

N, H, C, K = 64, 32, 64, 3
flops = 2 * N * H * H * C * C * K * K
x = torch.rand(N, C, H, H)
w = torch.rand(C, C, K, K)
for threads in (1, 2):
    torch.set_num_threads(threads)
    with torch.no_grad():
        F.conv2d(x, w, padding=1)
        t0 = time.perf_counter()
        for _ in range(10):
            F.conv2d(x, w, padding=1)
        s = (time.perf_counter() - t0) / 10
    print(f"  PyTorch {torch.__version__} (oneDNN, AVX2+FMA), {threads} thread(s): {s * 1000:.1f} ms = {flops / s / 1e9:.1f} GFLOP/s")
