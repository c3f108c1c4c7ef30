"""``python -m mnist_demo``: load MNIST (download or embedded sample), plot random labelled digits."""

import argparse
import os
import sys
import warnings

from .fetch import DEFAULT_TIMEOUT
from .load import load_mnist
from .plot import plot_digits

__all__ = ["main"]


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="mnist-demo",
        description="Label random MNIST digits: load the data (downloaded once and cached, or "
                    "the embedded sample of real digits offline) and plot N random digits "
                    "titled with their labels.")
    parser.add_argument("--n", type=_positive_int, default=3, help="how many digits (default 3)")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the choice")
    parser.add_argument("--split", choices=("train", "test"), default="train",
                        help="draw from the training or the test set (default train)")
    parser.add_argument("--out", default="mnist_samples.png",
                        help="PNG file to write (default mnist_samples.png)")
    parser.add_argument("--offline", action="store_true",
                        help="use the embedded sample without trying the network")
    parser.add_argument("--data-dir", default=None,
                        help="cache folder (default $NNLAYERS_DATA, else the OS cache folder)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT[1],
                        help="seconds to wait for a mirror before trying the next (default 30)")
    parser.add_argument("--show", action="store_true", help="also open the figure in a window")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback is reported below, once
        data = load_mnist(args.data_dir, offline=args.offline,
                          timeout=(min(5.0, args.timeout), args.timeout))
    print(data.describe())
    images, labels = (data.X_train, data.y_train) if args.split == "train" else (data.X_test, data.y_test)
    if args.n > len(labels):
        print(f"error: --n {args.n} is more than the {len(labels)} {args.split} digits", file=sys.stderr)
        return 2
    figure = plot_digits(images, labels, n=args.n, seed=args.seed,
                         title=f"MNIST {args.split} digits" + (" (embedded sample)" if data.is_sample else ""))
    drawn = ", ".join(f"#{i} label {labels[i]}" for i in figure.indices)
    print(f"drew {args.n} random {args.split} digits: {drawn}")
    try:
        figure.savefig(args.out, dpi=100)
    except OSError as error:
        print(f"error: could not write {args.out}: {error}", file=sys.stderr)
        return 1
    print(f"saved {os.path.abspath(args.out)}")
    if args.show:
        _show(figure)
    return 0


def _show(figure):
    """Open the figure in a window when there is a display; say so when there is none."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        print("no display found: the picture is in the PNG file only")
        return
    import matplotlib.pyplot as plt

    manager = plt.figure().canvas.manager  # a window to host our figure
    manager.canvas.figure = figure
    figure.set_canvas(manager.canvas)
    plt.show()
