"""Time nnlayers' conv and max-pool layers against a straightforward NumPy reference and torch.

    python benchmarks/bench_layers.py            # full run (a few minutes)
    python benchmarks/bench_layers.py --quick    # about 30 seconds
    python benchmarks/bench_layers.py --json     # machine-readable
    python benchmarks/bench_layers.py --stages --only cifar,mid   # where a conv call's time goes

All candidates are timed in one run, interleaved in blocks (kit, reference, torch, kit, ...:
each block one untimed call, then timed ones); the table shows medians, the kit's ratio to torch and to the reference, GFLOP/s and
the share of a GEMM peak measured in the same run.  Then the peak extra memory of one cifar
forward+backward (tracemalloc) for the kit, the reference, and the kit under a memory bound.
``--stages`` then splits one float32 conv forward and backprop of each selected shape into the
stages the kit runs per chunk of images (padded batch-last copy, window matrix, the three matrix
products, the layout copies, col2im), each summed over the chunks (the first two counted twice:
the stateless backprop makes them again), next to the whole calls and torch's.
This is a script, not a test: these machines are shared and timings are noisy.

Threads: NumPy's OpenBLAS and torch's OpenMP threads both busy-wait for a while after each call.
Interleaved, each library's spinning threads take the cores from the other's next call (here
that made torch up to 2x slower and the kit's small calls 10x slower).  So OpenBLAS's spin is
cut short (OPENBLAS_THREAD_TIMEOUT=4, set before NumPy loads unless you set it yourself), torch
keeps its default, and the first call of every block is not timed.
"""

import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # before NumPy loads OpenBLAS

import argparse
import json
import platform
import statistics
import sys
import time
import tracemalloc

import numpy as np
from skimage.util import view_as_windows

import nnlayers
from nnlayers import nn_convolutional_layer, nn_maxpool_layer
from nnlayers.conv4d import (_dy_matrix, _padded_batch_last, _windows, add_windows_back,
                             conv_chunks)

# name: (N, C, H=W, F, k, pad)
CONV_SHAPES = {
    "harness": (8, 3, 32, 8, 3, 0),
    "lenet1": (64, 1, 28, 6, 5, 0),
    "lenet2": (64, 6, 12, 16, 5, 0),
    "cifar": (64, 16, 32, 32, 3, 1),
    "mid": (16, 32, 14, 64, 3, 1),
}
# name: (N, C, H=W), pooling 2x2 stride 2
POOL_SHAPES = {"pool28": (64, 16, 28), "pool32": (64, 32, 32)}


# ---- the straightforward reference: view_as_windows, reshape, dot ------------------------

def ref_conv_forward(x, W, b, pad):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    F, C, k, _ = W.shape
    win = view_as_windows(xp, (1, C, k, k))[:, 0, :, :, 0]          # (N, OH, OW, C, k, k)
    n, oh, ow = win.shape[:3]
    cols = win.reshape(n * oh * ow, C * k * k)
    y = cols @ W.reshape(F, -1).T
    return y.reshape(n, oh, ow, F).transpose(0, 3, 1, 2) + b


def ref_conv_backward(x, W, dy, pad):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    F, C, k, _ = W.shape
    win = view_as_windows(xp, (1, C, k, k))[:, 0, :, :, 0]
    n, oh, ow = win.shape[:3]
    cols = win.reshape(n * oh * ow, C * k * k)
    dy2 = dy.transpose(0, 2, 3, 1).reshape(-1, F)
    dW = (dy2.T @ cols).reshape(W.shape)
    db = dy.sum(axis=(0, 2, 3)).reshape(1, F, 1, 1)
    # dL/dx: pad dy by k-1, correlate with the flipped filters (the course's recipe)
    dyp = np.pad(dy, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
    Wf = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    dxp = ref_conv_forward(dyp, Wf, 0, 0)
    h = x.shape[2]
    return dxp[:, :, pad:pad + h, pad:pad + h], dW, db


def ref_pool_forward(x, p):
    win = view_as_windows(x, (1, 1, p, p), step=(1, 1, p, p))[:, :, :, :, 0, 0]
    return win.max(axis=(4, 5))


def ref_pool_backward(x, dy, p):
    y = ref_pool_forward(x, p)
    up = lambda a: a.repeat(p, axis=2).repeat(p, axis=3)  # noqa: E731
    oh = y.shape[2] * p
    dx = np.zeros_like(x)
    dx[:, :, :oh, :oh] = (x[:, :, :oh, :oh] == up(y)) * up(dy)
    return dx


# ---- timing ------------------------------------------------------------------------------

def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_threads():
    try:
        from threadpoolctl import threadpool_info
        counts = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
        if counts:
            return max(counts)
    except ImportError:
        pass
    return os.cpu_count() or 1


def gemm_peak(dtype, seconds):
    """GFLOP/s of a large square matrix product, the best of a few."""
    n = 2048
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    b = a.T.copy()
    a @ b
    best, start = float("inf"), time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def interleaved(candidates, rounds, block=3, stat=statistics.median):
    """{name: median seconds}: each round runs every candidate in turn, as a block of one
    untimed call (it absorbs the other library's spinning threads) and ``block`` timed ones.
    ``stat`` (e.g. ``min``) replaces the median."""
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            fn()
            for _ in range(block):
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
    return {name: stat(v) for name, v in times.items()}


def conv_candidates(shape, dtype, torch):
    n, c, h, f, k, pad = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, h)).astype(dtype)
    layer = nn_convolutional_layer(k, k, h, c, f, padding=pad, rng=0)
    W, b = (p.astype(dtype) for p in layer.get_weights())
    layer.set_weights(W, b)
    y = layer.forward(x)
    dy = rng.standard_normal(y.shape).astype(dtype)
    fwd = {"kit": lambda: layer.forward(x),
           "reference": lambda: ref_conv_forward(x, W, b, pad)}
    both = {"kit": lambda: (layer.forward(x), layer.backprop(x, dy)),
            "reference": lambda: (ref_conv_forward(x, W, b, pad), ref_conv_backward(x, W, dy, pad))}
    if torch is not None:
        F = torch.nn.functional
        xt, Wt = torch.from_numpy(x), torch.from_numpy(W)
        bt, dyt = torch.from_numpy(b.reshape(-1)), torch.from_numpy(dy)

        def torch_fwd():
            with torch.no_grad():
                return F.conv2d(xt, Wt, bt, padding=pad)

        def torch_both():
            xg = xt.detach().requires_grad_()
            Wg = Wt.detach().requires_grad_()
            bg = bt.detach().requires_grad_()
            F.conv2d(xg, Wg, bg, padding=pad).backward(dyt)
            return xg.grad, Wg.grad, bg.grad

        fwd["torch"], both["torch"] = torch_fwd, torch_both
    flops = 2 * n * f * y.shape[2] * y.shape[3] * c * k * k
    return fwd, both, flops


def pool_candidates(shape, dtype, torch):
    n, c, h = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, h)).astype(dtype)
    layer = nn_maxpool_layer(2, 2)
    dy = rng.standard_normal(layer.forward(x).shape).astype(dtype)
    fwd = {"kit": lambda: layer.forward(x), "reference": lambda: ref_pool_forward(x, 2)}
    both = {"kit": lambda: (layer.forward(x), layer.backprop(x, dy)),
            "reference": lambda: (ref_pool_forward(x, 2), ref_pool_backward(x, dy, 2))}
    if torch is not None:
        F = torch.nn.functional
        xt, dyt = torch.from_numpy(x), torch.from_numpy(dy)

        def torch_fwd():
            with torch.no_grad():
                return F.max_pool2d(xt, 2, 2)

        def torch_both():
            xg = xt.detach().requires_grad_()
            F.max_pool2d(xg, 2, 2).backward(dyt)
            return xg.grad

        fwd["torch"], both["torch"] = torch_fwd, torch_both
    return fwd, both, 0


def peak_memory(fn):
    """Peak bytes allocated (tracemalloc) while ``fn`` runs, above what was held before."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def memory_rows(memory_limit):
    n, c, h, f, k, pad = CONV_SHAPES["cifar"]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, h))
    layer = nn_convolutional_layer(k, k, h, c, f, padding=pad, rng=0)
    W, b = layer.get_weights()
    dy = rng.standard_normal(layer.forward(x).shape)
    rows = {
        "kit": peak_memory(lambda: (layer.forward(x), layer.backprop(x, dy))),
        "reference": peak_memory(lambda: (ref_conv_forward(x, W, b, pad),
                                          ref_conv_backward(x, W, dy, pad))),
    }
    if hasattr(nnlayers, "memory_limit"):
        with nnlayers.memory_limit(memory_limit):
            rows[f"kit, bound {memory_limit >> 20} MiB"] = peak_memory(
                lambda: (layer.forward(x), layer.backprop(x, dy)))
    return {name: (peak, peak / x.nbytes) for name, peak in rows.items()}, x.nbytes


def big_batch_row(memory_limit):
    """One forward+backward of a batch of 1024 cifar inputs under the bound: peak extra bytes."""
    if not hasattr(nnlayers, "memory_limit"):
        return None
    n, c, h, f, k, pad = CONV_SHAPES["cifar"]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1024, c, h, h))
    layer = nn_convolutional_layer(k, k, h, c, f, padding=pad, rng=0)
    dy = rng.standard_normal((1024, f, h, h))
    outputs = x.nbytes * f // c + x.nbytes + layer.W.nbytes  # y, dLdx, dLdW are results, not scratch
    with nnlayers.memory_limit(memory_limit):
        peak = peak_memory(lambda: (layer.forward(x), layer.backprop(x, dy)))
    return peak, peak - outputs, x.nbytes


# ---- where a conv call's time goes ------------------------------------------------------------

def conv_stages(shape, dtype, repeats):
    """{stage: median seconds summed over the chunks} of one conv forward and backprop, timed
    stage by stage on the chunks the kit uses, plus the whole calls ("forward", "backprop")."""
    n, c, h, f, k, pad = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, h)).astype(dtype)
    layer = nn_convolutional_layer(k, k, h, c, f, padding=pad, rng=0)
    layer.set_weights(*(p.astype(dtype) for p in layer.get_weights()))
    y = layer.forward(x)
    dy = rng.standard_normal(y.shape).astype(dtype)
    w2, bias = layer.W.reshape(f, -1), layer.b
    geometry = ((1, 1), (pad, pad), (1, 1))
    oh, ow = y.shape[2:]
    stages = {}
    for start, stop in conv_chunks(x.shape, layer.W.shape, (oh, ow), (pad, pad), x.itemsize):
        m = stop - start
        xp = _padded_batch_last(x[start:stop], (pad, pad))
        windows = _windows(xp, (k, k), (1, 1), (1, 1)).transpose(2, 3, 4, 0, 1, 5)
        cols = np.ascontiguousarray(windows).reshape(c * k * k, -1)
        y2 = w2 @ cols
        dy2 = _dy_matrix(dy[start:stop])
        dcols = (w2.T @ dy2).reshape((c, k, k, oh, ow, m))
        dxp = add_windows_back(dcols, x[start:stop].shape, *geometry)
        chunk = {
            "padded batch-last copy of x (2x)": lambda: _padded_batch_last(x[start:stop], (pad, pad)),
            "window matrix, im2col copy (2x)": lambda: np.ascontiguousarray(windows),
            "product W @ cols": lambda: w2 @ cols,
            "y to (N, F, OH, OW) + bias": lambda: np.add(
                y2.reshape(f, oh, ow, m).transpose(3, 0, 1, 2), bias, out=y[start:stop]),
            "dy to (F, OH*OW*N)": lambda: _dy_matrix(dy[start:stop]),
            "product dy @ cols.T (dW)": lambda: dy2 @ cols.T,
            "product W.T @ dy (dcols)": lambda: w2.T @ dy2,
            "col2im (add windows back)": lambda: add_windows_back(dcols, x[start:stop].shape,
                                                                 *geometry),
            "dx to (N, C, H, W)": lambda: np.ascontiguousarray(dxp),
        }
        for name, fn in chunk.items():   # "(2x)": forward and backprop both make it
            times = 2 if name.endswith("(2x)") else 1
            stages[name] = stages.get(name, 0.0) + times * interleaved({name: fn}, repeats)[name]
    stages["db = sum of dy"] = interleaved({"db": lambda: dy.sum(axis=(0, 2, 3))}, repeats)["db"]
    whole = interleaved({"forward": lambda: layer.forward(x),
                         "backprop": lambda: layer.backprop(x, dy)}, repeats)
    return stages, whole


def print_stages(names, repeats, torch):
    for name in names:
        shape = CONV_SHAPES[name]
        stages, whole = conv_stages(shape, np.float32, repeats)
        print(f"\nstages of one float32 conv forward + backprop, {name} {shape} (ms, summed over "
              f"the chunks; each stage timed alone):")
        for stage, seconds in stages.items():
            print(f"  {stage:<32}{seconds * 1e3:8.2f}")
        products = sum(v for s, v in stages.items() if s.startswith("product"))
        print(f"  {'sum of the stages':<32}{sum(stages.values()) * 1e3:8.2f}   "
              f"(matrix products {products * 1e3:.2f})")
        print(f"  {'whole forward + backprop':<32}{(whole['forward'] + whole['backprop']) * 1e3:8.2f}")
        if torch is not None:
            _, both, _ = conv_candidates(shape, np.float32, torch)
            print(f"  {'torch forward + backward':<32}"
                  f"{interleaved({'torch': both['torch']}, repeats)['torch'] * 1e3:8.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a ~30 second run")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--no-torch", action="store_true", help="leave torch out")
    parser.add_argument("--only", default=None, help="comma-separated shape names to run")
    parser.add_argument("--stages", action="store_true",
                        help="also split a float32 conv call into its stages")
    args = parser.parse_args(argv)

    threads = blas_threads()
    torch = None
    if not args.no_torch:
        try:
            import torch
            torch.set_num_threads(threads)
        except ImportError:
            torch = None
    repeats = 2 if args.quick else 8   # rounds of interleaved blocks
    peaks = {np.float64: gemm_peak(np.float64, 0.5 if args.quick else 2),
             np.float32: gemm_peak(np.float32, 0.5 if args.quick else 2)}

    results = []
    wanted = set(args.only.split(",")) if args.only else None
    for dtype in (np.float64, np.float32):
        for kind, shapes, make in (("conv", CONV_SHAPES, conv_candidates),
                                   ("maxpool", POOL_SHAPES, pool_candidates)):
            for name, shape in shapes.items():
                if wanted and name not in wanted:
                    continue
                fwd, both, flops = make(shape, dtype, torch)
                for mode, cands, mult in (("forward", fwd, 1), ("fwd+bwd", both, 3)):
                    med = interleaved(cands, repeats)
                    row = {"layer": kind, "shape": name, "dtype": np.dtype(dtype).name,
                           "mode": mode, "seconds": med,
                           "vs_reference": med["kit"] / med["reference"],
                           "vs_torch": med["kit"] / med["torch"] if "torch" in med else None}
                    if flops:
                        gflops = mult * flops / med["kit"] / 1e9
                        row["gflops"] = gflops
                        row["peak_share"] = gflops / peaks[dtype]
                    results.append(row)
    memory, input_bytes = memory_rows(64 << 20)
    big = big_batch_row(64 << 20)

    machine = (f"{cpu_name()}, {os.cpu_count()} cores, "
               f"BLAS threads {threads}, numpy {np.__version__}, "
               f"torch {torch.__version__ if torch else 'absent'}, Python {platform.python_version()}")
    if args.json:
        print(json.dumps({"machine": machine, "gemm_peak_gflops": {k.__name__: v for k, v in peaks.items()},
                          "results": results,
                          "memory": {k: {"bytes": v[0], "x_input": v[1]} for k, v in memory.items()},
                          "input_bytes": input_bytes}, indent=2))
        return 0
    print(f"machine: {machine}")
    print(f"GEMM peak (2048^2 matmul): float64 {peaks[np.float64]:.1f} GFLOP/s, "
          f"float32 {peaks[np.float32]:.1f} GFLOP/s; medians of {repeats * 3} timed calls in {repeats} "
          f"interleaved rounds; OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT')}\n")
    header = (f"{'layer':<8}{'shape':<9}{'dtype':<8}{'mode':<9}{'kit ms':>9}{'ref ms':>9}"
              f"{'torch ms':>10}{'kit/torch':>10}{'kit/ref':>9}{'GFLOP/s':>9}{'%peak':>7}")
    print(header)
    print("-" * len(header))
    for r in results:
        s = r["seconds"]
        torch_ms = f"{s['torch'] * 1e3:10.2f}" if "torch" in s else f"{'-':>10}"
        vs_torch = f"{r['vs_torch']:10.2f}" if r["vs_torch"] is not None else f"{'-':>10}"
        gf = f"{r['gflops']:9.1f}{r['peak_share'] * 100:6.0f}%" if "gflops" in r else f"{'':>16}"
        print(f"{r['layer']:<8}{r['shape']:<9}{r['dtype']:<8}{r['mode']:<9}{s['kit'] * 1e3:9.2f}"
              f"{s['reference'] * 1e3:9.2f}{torch_ms}{vs_torch}{r['vs_reference']:9.2f}{gf}")
    print(f"\npeak extra memory, one cifar forward+backward (float64, input {input_bytes / 2**20:.1f} MiB):")
    for name, (peak, ratio) in memory.items():
        print(f"  {name:<22}{peak / 2**20:8.1f} MiB  = {ratio:5.1f} x the input")
    if big is not None:
        peak, scratch, xbytes = big
        print(f"  batch 1024 under a 64 MiB bound: {peak / 2**20:.1f} MiB in all, of which "
              f"{scratch / 2**20:.1f} MiB scratch beyond the outputs y, dLdx, dLdW "
              f"(input {xbytes / 2**20:.1f} MiB)")
    if args.stages:
        names = [n for n in CONV_SHAPES if not wanted or n in wanted]
        print_stages(names, repeats, torch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
