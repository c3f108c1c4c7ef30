"""Time one 60,000-image training epoch of the courses' CNN (mnist_demo.train.build_cnn).

    python benchmarks/bench_training.py            # times 150 steps per dtype, scales to 60,000
    python benchmarks/bench_training.py --full     # runs whole 60,000-image epochs (use this
                                                   # for figures: the short run missed float64's
                                                   # full-epoch cost, 29 s scaled vs 51 s measured)

Random data of MNIST's shape (uint8 images scaled to [0, 1], labels 0-9): the cost of a
step does not depend on the pixel values.  Each step is a full train_step (forward, loss,
every gradient) plus an Adam update, batch 64, with the random-shift augmentation on.
"""

import os

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # as bench_layers.py, before NumPy loads

import argparse
import platform
import sys
import time

import numpy as np

from mnist_demo.train import build_cnn, random_shift, scale_images
import nnlayers as nl

EPOCH = 60000


def time_steps(dtype, steps, batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (steps * batch_size, 1, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, steps * batch_size)
    x_all = scale_images(images, dtype)
    model, optimizer = build_cnn(seed, dtype), nl.nn_adam_optimizer(1e-3)
    for first in range(0, 3 * batch_size, batch_size):   # warm-up
        step = model.train_step(x_all[first:first + batch_size], labels[first:first + batch_size])
    start = time.perf_counter()
    for first in range(0, len(labels), batch_size):
        x = random_shift(x_all[first:first + batch_size], 1, rng)
        step = model.train_step(x, labels[first:first + batch_size])
        optimizer.step(model, step.grads)
    return time.perf_counter() - start, len(labels)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="time whole 60,000-image epochs")
    parser.add_argument("--steps", type=int, default=150, help="steps timed per dtype (default 150)")
    args = parser.parse_args(argv)
    steps = EPOCH // 64 + 1 if args.full else args.steps
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, "
          f"Python {platform.python_version()}; batch 64, Adam, shift augmentation")
    for dtype in ("float32", "float64"):
        seconds, images = time_steps(dtype, steps)
        per_epoch = seconds / images * EPOCH
        how = "measured" if args.full else f"from {images:,} images"
        print(f"{dtype}: {images / seconds:,.0f} images/s, {per_epoch:.1f} s per 60,000-image epoch ({how})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
