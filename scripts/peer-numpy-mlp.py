# A numpy peer of `dendritic bench mlp --rule bp` (docs/benchmarks.md): one training step of the
# same network — 784-500-500-10, logistic hidden units, softmax cross-entropy, plain SGD, mini-batch
# 10, float32 throughout — as numpy would write it (matrix products through its BLAS), timed the
# same way: rounds of steps on a pool of random batches, the median of the rounds in examples/s.
#   OPENBLAS_NUM_THREADS=1 python3 scripts/peer-numpy-mlp.py [rounds = 5] [steps per round = 2000]
# The BLAS's own thread count comes from its environment variable (OPENBLAS_NUM_THREADS,
# MKL_NUM_THREADS, OMP_NUM_THREADS); set it to 1 to compare with one dendritic thread.
import sys
import time

import numpy as np

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
if rounds < 1 or steps < 10:
    sys.exit("usage: python3 scripts/peer-numpy-mlp.py [rounds >= 1] [steps per round >= 10]")

rng = np.random.default_rng(1)
arch = [784, 500, 500, 10]
batch, lr = 10, np.float32(0.1)
# Glorot-uniform weights, zero biases (the library's mlp defaults).
W = [rng.uniform(-1, 1, (o, i)).astype(np.float32) * np.float32(np.sqrt(6 / (i + o))) for i, o in zip(arch, arch[1:])]
b = [np.zeros(o, np.float32) for o in arch[1:]]
pool = rng.random((100, batch, 784), dtype=np.float32)
labels = rng.integers(0, 10, (100, batch))
eye = np.eye(10, dtype=np.float32)


def step(x, y):
    # forward: h_l = σ(h_{l−1} W_lᵀ + b_l), softmax output
    hs = [x]
    for l in range(2):
        hs.append(1 / (1 + np.exp(-(hs[-1] @ W[l].T + b[l]))))
    z = hs[-1] @ W[2].T + b[2]
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    # backward: δ_top = p − t; δ_l = (δ_{l+1} W_{l+1}) ⊙ h_l (1 − h_l); W_l −= (lr/n) δ_lᵀ h_{l−1}
    d = p - eye[y]
    s = lr / np.float32(batch)
    for l in (2, 1, 0):
        dn = (d @ W[l]) * hs[l] * (1 - hs[l]) if l > 0 else None
        W[l] -= s * (d.T @ hs[l])
        b[l] -= s * d.sum(axis=0)
        d = dn


for i in range(200):
    step(pool[i % 100], labels[i % 100])
rates = []
for r in range(rounds):
    t0 = time.perf_counter()
    for i in range(steps):
        step(pool[i % 100], labels[i % 100])
    rates.append(steps * batch / (time.perf_counter() - t0))
    print(f"round {r + 1}: {rates[-1]:.0f} examples/s", flush=True)
rates.sort()
print(f"numpy {np.__version__} bp 784-500-500-10 batch 10: median {rates[len(rates) // 2]:.0f} examples/s "
      f"(min {rates[0]:.0f}, max {rates[-1]:.0f})")
