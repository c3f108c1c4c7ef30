"""Time one training step of the courses' CNN with the kit and with torch CPU, side by side.

    python benchmarks/bench_train_step.py              # both dtypes, batch 64 and 256 (~2 min)
    python benchmarks/bench_train_step.py --quick      # fewer rounds (~40 s)
    python benchmarks/bench_train_step.py --profile    # also the kit's per-layer profile

The network is the README's MNIST CNN (``mnist_demo.train.build_cnn``): conv 3x3 pad 1 16,
ReLU, max-pool 2, conv 32, ReLU, pool, conv 64, ReLU, pool, flatten, linear 576 -> 10,
softmax cross-entropy.  torch gets the same weights and the same data; a step is forward,
loss, every gradient and one Adam update, for both.  The two are timed interleaved in blocks
(kit, torch, kit, ...: each block one untimed call, then timed ones) and the table shows
medians, images/s and the kit/torch ratio of times (1.0 = as fast as torch, 2.0 = half its
speed).  ``predict`` is timed against torch's ``no_grad`` forward (plus argmax) the same way.

Threads and noise: as in bench_layers.py, OpenBLAS's busy-waiting threads are cut short
(OPENBLAS_THREAD_TIMEOUT=4, set before NumPy loads) and torch keeps its default threads; the
machine is shared, so trust ratios from one run and repeat runs (``--repeat``) rather than
absolute times.  This is a script, not a test.

The profile (``--profile``) times the kit's step piece by piece: the layer-by-layer path
(each layer's forward and backprop), and the fused path of ``train_step`` (each stage of
``nnlayers._train_fast``), and for every convolution the share of its matrix products,
timed alone at the same shapes (the rest is copies, layouts and elementwise work).
"""

import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # before NumPy loads OpenBLAS

import argparse
import collections
import platform
import statistics
import sys
import time
import tracemalloc

import numpy as np

import nnlayers as nl
from nnlayers import _train_fast
from mnist_demo.train import build_cnn
from bench_layers import interleaved   # the same interleaved blocks as the layer benchmark


def batch(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.integers(0, 256, (n, 1, 28, 28)) / 255).astype(dtype)
    return x, rng.integers(0, 10, n)


def kit_step_fn(dtype, n, generic=False):
    model, opt = build_cnn(0, dtype), nl.nn_adam_optimizer(1e-3)
    x, labels = batch(n, dtype)
    step_fn = (model.train_step_layerwise if generic
               else model.train_step)

    def step():
        result = step_fn(x, labels)
        opt.step(model, result.grads)
        return result.loss
    return step


def torch_model(torch, dtype):
    """The same network in torch, with the kit's initial weights."""
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(576, 10)).to(getattr(torch, dtype))
    params = [p for m in net if hasattr(m, "weight") for p in (m.weight, m.bias)]
    with torch.no_grad():
        for p, q in zip(params, build_cnn(0, dtype).parameters()):
            p.copy_(torch.from_numpy(np.ascontiguousarray(q).reshape(p.shape)))
    return net


def torch_step_fn(torch, dtype, n):
    net = torch_model(torch, dtype)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, labels = batch(n, dtype)
    xt, lt = torch.from_numpy(x), torch.from_numpy(labels)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(xt), lt)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def predict_fns(torch, dtype, n=1024, batch_size=256):
    model = build_cnn(0, dtype)
    net = torch_model(torch, dtype)
    x, _ = batch(n, dtype, seed=1)
    xt = torch.from_numpy(x)

    def torch_predict():
        with torch.no_grad():
            return torch.cat([net(xt[i:i + batch_size]).argmax(1)
                              for i in range(0, n, batch_size)])
    return {"kit": lambda: model.predict(x, batch_size), "torch": torch_predict}, n


def peak_step_memory(dtype, n, generic=False):
    """Peak bytes tracemalloc sees during one kit training step (after a warm-up step)."""
    model = build_cnn(0, dtype)
    x, labels = batch(n, dtype)
    step_fn = (model.train_step_layerwise if generic
               else model.train_step)
    step_fn(x, labels)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    step_fn(x, labels)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


# ---- the profile ---------------------------------------------------------------------------

def timed(fn, repeats=7):
    """Median seconds of ``fn()`` over ``repeats`` calls after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def conv_products(layer, x_shape, dtype):
    """Seconds of a conv layer's three matrix products alone (forward, dL/dW, dL/dcols),
    whole batch, at the shapes the kit uses: (F, K) @ (K, P), (F, P) @ (P, K), (K, F) @ (F, P)."""
    f, c, kh, kw = layer.W.shape
    n, _, h, w = x_shape
    k, p = c * kh * kw, n * h * w                 # stride 1, 'same' padding in this network
    rng = np.random.default_rng(0)
    w2 = rng.standard_normal((f, k)).astype(dtype)
    cols = rng.standard_normal((k, p)).astype(dtype)
    dy2 = rng.standard_normal((f, p)).astype(dtype)
    return (timed(lambda: w2 @ cols), timed(lambda: dy2 @ cols.T), timed(lambda: w2.T @ dy2))


def profile_layers(dtype, n):
    """Per layer of the layer-by-layer path: forward and backprop milliseconds."""
    model = build_cnn(0, dtype)
    x, labels = batch(n, dtype)
    acts = [x]
    for layer in model.layers:
        acts.append(layer.forward(acts[-1]))
    upstream = [model.loss.backprop(acts[-1], labels)]
    for layer, a in zip(reversed(model.layers), reversed(acts[:-1])):
        r = layer.backprop(a, upstream[-1])
        upstream.append(r[0] if isinstance(r, tuple) else r)
    upstream = upstream[::-1]   # upstream[i + 1] is the gradient at layer i's output
    rows = []
    for i, layer in enumerate(model.layers):
        fwd = timed(lambda: layer.forward(acts[i]))
        bwd = timed(lambda: layer.backprop(acts[i], upstream[i + 1]))
        gemm = (conv_products(layer, acts[i].shape, dtype)
                if isinstance(layer, nl.nn_convolutional_layer) else None)
        rows.append((f"{i:2d} {type(layer).__name__}", fwd, bwd, gemm))
    return rows


def profile_fused(dtype, n, steps=7):
    """Seconds per step spent in each stage function of ``nnlayers._train_fast``."""
    model = build_cnn(0, dtype)
    x, labels = batch(n, dtype)
    totals = collections.Counter()
    originals = {name: getattr(_train_fast, name) for name in _train_fast.STAGES}

    def wrap(name, fn):
        def inner(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - t
        return inner
    model.train_step(x, labels)
    try:
        for name, fn in originals.items():
            setattr(_train_fast, name, wrap(name, fn))
        t = time.perf_counter()
        for _ in range(steps):
            model.train_step(x, labels)
        whole = (time.perf_counter() - t) / steps
    finally:
        for name, fn in originals.items():
            setattr(_train_fast, name, fn)
    return {name: s / steps for name, s in totals.items()}, whole


def print_profile(dtype, n):
    print(f"\nprofile, {dtype}, batch {n}: layer-by-layer path (ms; conv products timed alone)")
    total_f = total_b = 0
    for name, fwd, bwd, gemm in profile_layers(dtype, n):
        total_f, total_b = total_f + fwd, total_b + bwd
        extra = ""
        if gemm:
            extra = (f"   products: fwd {gemm[0] * 1e3:.2f}, dW {gemm[1] * 1e3:.2f}, "
                     f"dcols {gemm[2] * 1e3:.2f}; rest (copies etc.) fwd "
                     f"{(fwd - gemm[0]) * 1e3:.2f}, bwd {(bwd - gemm[1] - gemm[2]) * 1e3:.2f}")
        print(f"  {name:<28} fwd {fwd * 1e3:6.2f}  bwd {bwd * 1e3:6.2f}{extra}")
    print(f"  {'sum':<28} fwd {total_f * 1e3:6.2f}  bwd {total_b * 1e3:6.2f}")
    if not _train_fast.STAGES:
        return
    stages, whole = profile_fused(dtype, n)
    print(f"profile, {dtype}, batch {n}: train_step's fused path, {whole * 1e3:.2f} ms per step")
    for name, s in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<28} {s * 1e3:6.2f} ms  {s / whole * 100:4.0f}%")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--profile", action="store_true", help="print the kit's per-layer profile")
    parser.add_argument("--repeat", type=int, default=1, help="whole runs; medians of their ratios")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--batches", default="64,256")
    parser.add_argument("--stat", choices=("median", "min"), default="median",
                        help="per-candidate statistic of the timed calls (min: the least "
                             "disturbed call, for a machine other jobs keep busy)")
    parser.add_argument("--generic", action="store_true",
                        help="also time the layer-by-layer path (train_step before the fused path)")
    args = parser.parse_args(argv)
    import torch
    rounds = 3 if args.quick else 6
    stat = min if args.stat == "min" else statistics.median
    dtypes, sizes = args.dtypes.split(","), [int(s) for s in args.batches.split(",")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), Python "
          f"{platform.python_version()}; OPENBLAS_THREAD_TIMEOUT="
          f"{os.environ.get('OPENBLAS_THREAD_TIMEOUT')}; {args.stat}s of {rounds * 3} timed calls in "
          f"{rounds} interleaved rounds, {args.repeat} run(s)")
    rows = collections.defaultdict(list)
    for _ in range(args.repeat):
        for dtype in dtypes:
            for n in sizes:
                cands = {"kit": kit_step_fn(dtype, n), "torch": torch_step_fn(torch, dtype, n)}
                if args.generic:
                    cands["layer-by-layer"] = kit_step_fn(dtype, n, generic=True)
                rows[("train step", dtype, n)].append((interleaved(cands, rounds, stat=stat), n))
            cands, n = predict_fns(torch, dtype)
            rows[("predict", dtype, 256)].append((interleaved(cands, rounds, stat=stat), n))
    header = (f"{'':<11}{'dtype':<8}{'batch':>6}{'kit img/s':>11}{'torch img/s':>13}"
              f"{'kit/torch':>11}" + (f"{'layer-by-layer/torch':>22}" if args.generic else ""))
    print(header)
    print("-" * len(header))
    for (what, dtype, n), runs in rows.items():
        images = runs[0][1]
        kit = statistics.median(images / r["kit"] for r, _ in runs)
        tor = statistics.median(images / r["torch"] for r, _ in runs)
        ratio = statistics.median(r["kit"] / r["torch"] for r, _ in runs)
        line = f"{what:<11}{dtype:<8}{n:>6}{kit:>11,.0f}{tor:>13,.0f}{ratio:>11.2f}"
        if "layer-by-layer" in runs[0][0]:
            line += f"{statistics.median(r['layer-by-layer'] / r['torch'] for r, _ in runs):>22.2f}"
        print(line)
    if len(next(iter(rows.values()))) > 1:
        print("(kit/torch: median over runs of each run's ratio)")
    for dtype in dtypes:
        fused = peak_step_memory(dtype, 64)
        generic = peak_step_memory(dtype, 64, generic=True)
        print(f"peak traced memory of one batch-64 step, {dtype}: train_step {fused / 2**20:.1f} MiB, "
              f"layer-by-layer {generic / 2**20:.1f} MiB")
    if args.profile:
        for dtype in dtypes:
            print_profile(dtype, 64)
    return 0


if __name__ == "__main__":
    sys.exit(main())
