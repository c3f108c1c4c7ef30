"""``python -m mnist_demo``: label random MNIST digits, train the kit's CNN, plot its predictions.

    python -m mnist_demo [--n 3] [--seed S] [--split train|test] [--out PNG]
                         [--offline] [--data-dir DIR] [--show] [--model mnist_cnn.npz]
    python -m mnist_demo [--offline] train [--epochs E] [--batch-size 64] [--optimizer adam|sgd]
                         [--lr LR] [--lr-decay D] [--shift PX] [--seed 0] [--offline]
                         [--data-dir DIR] [--dtype float32|float64] [--out mnist_cnn.npz]
                         [--force] [--curves PNG] [--no-progress]

The data options (--offline, --data-dir, --timeout, --min-rate) go before or after 'train'.
Errors (no network is not one: the embedded sample is used) print one line and exit with 2.
"""

import argparse
import os
import sys
import time
import warnings
from typing import Optional, Sequence

import numpy as np
from matplotlib.figure import Figure

from .fetch import DEFAULT_MIN_RATE, DEFAULT_TIMEOUT
from .load import MNIST, load_mnist
from .plot import plot_confusion, plot_digits, plot_training_curves

__all__ = ["main"]


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _data_arguments(parser: argparse.ArgumentParser, defaults: bool = True) -> None:
    """The data options, on the main parser and again on 'train' (so they go before or after it).

    On 'train' their defaults are SUPPRESS: an option given before 'train' is not reset.
    """
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--offline", action="store_true", default=default(False),
                        help="use the embedded sample without trying the network")
    parser.add_argument("--data-dir", default=default(None),
                        help="cache folder (default $NNLAYERS_DATA, else the OS cache folder)")
    parser.add_argument("--timeout", type=_positive_float, default=default(DEFAULT_TIMEOUT[1]),
                        help="seconds to wait for a mirror before trying the next (default 30)")
    parser.add_argument("--min-rate", type=_positive_float, default=default(DEFAULT_MIN_RATE / 1000),
                        help="kB/s: a download slower than this is abandoned (default "
                             f"{DEFAULT_MIN_RATE / 1000:g})")


# The main parser's own options: they draw digits, and are refused with 'train'.
DRAW_OPTIONS = ("n", "seed", "split", "out", "model", "confusion", "show")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mnist-demo",
        description="Label random MNIST digits: load the data (downloaded once and cached, or "
                    "the embedded sample of real digits offline) and plot N random digits "
                    "titled with their labels, or, with --model, with a trained network's "
                    "predictions.  'mnist-demo train --help' trains that network.  The data "
                    "options (--offline, --data-dir, --timeout, --min-rate) may come before "
                    "or after 'train'.")
    parser.add_argument("--n", type=_positive_int, default=3, help="how many digits (default 3)")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the choice")
    parser.add_argument("--split", choices=("train", "test"), default=None,
                        help="draw from the training or the test set (default train; test with --model)")
    parser.add_argument("--out", default=None,
                        help="PNG file to write (default mnist_samples.png, with --model "
                             "mnist_predictions.png)")
    parser.add_argument("--model", default=None,
                        help="a network saved by 'train': title digits with its predictions "
                             "(red when wrong) and also write a confusion matrix")
    parser.add_argument("--confusion", default="mnist_confusion.png",
                        help="with --model: the confusion-matrix PNG (default mnist_confusion.png)")
    _data_arguments(parser)
    parser.add_argument("--show", action="store_true", help="also open the figure in a window")
    commands = parser.add_subparsers(dest="command", metavar="{train}")
    _train_arguments(commands.add_parser(
        "train", help="train the courses' CNN (see 'mnist-demo train --help')",
        description="Train the courses' CNN (conv-relu-pool x3, linear, cross-entropy), built "
                    "only from nnlayers, on MNIST or, offline, on the embedded 4,000 digits. "
                    "Unset options take defaults chosen per data source.  An existing --out "
                    "file is not overwritten unless --force is given."))
    return parser


def _train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=_positive_int, default=None,
                        help="passes over the training set (default: 5 on MNIST, 36 on the sample)")
    parser.add_argument("--batch-size", type=_positive_int, default=None,
                        help="default 64 on MNIST, 32 on the sample")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default=None, help="default adam")
    parser.add_argument("--lr", type=_positive_float, default=None,
                        help="initial learning rate (default 1e-3 on MNIST, 2e-3 on the sample)")
    parser.add_argument("--lr-decay", type=_positive_float, default=None,
                        help="learning-rate factor per epoch (default 0.7 on MNIST, 0.9 on the sample)")
    parser.add_argument("--shift", type=int, default=None,
                        help="random shifts of up to this many pixels (default 1 on MNIST, 2 on the sample)")
    parser.add_argument("--seed", dest="train_seed", type=int, default=None,
                        help="default 0; same seed, same run")
    parser.add_argument("--dtype", choices=("float32", "float64"), default=None, help="default float32")
    parser.add_argument("--out", dest="model_out", default="mnist_cnn.npz",
                        help="where to save the network (default mnist_cnn.npz)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite --out if it exists (otherwise 'train' refuses before training)")
    parser.add_argument("--curves", default="mnist_training.png",
                        help="PNG of the training curves (default mnist_training.png)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bars (the per-epoch lines are still printed)")
    _data_arguments(parser, defaults=False)


class CommandError(Exception):
    """A mistake or a failure to report in one line, with exit status 2 (no traceback)."""


def _load(args: argparse.Namespace) -> MNIST:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback is reported below, once
        data = load_mnist(args.data_dir, offline=args.offline,
                          timeout=(min(5.0, args.timeout), args.timeout),
                          min_rate=args.min_rate * 1000)
    print(data.describe())
    return data


def _save(figure: Figure, path: str) -> bool:
    try:
        figure.savefig(path, dpi=100)
    except OSError as error:
        print(f"error: could not write {path}: {error}", file=sys.stderr)
        return False
    print(f"saved {os.path.abspath(path)}")
    return True


def train_main(args: argparse.Namespace) -> int:
    from .train import default_config, train

    if os.path.exists(args.model_out) and not args.force:
        raise CommandError(f"{args.model_out} exists: 'train' does not overwrite a saved network; "
                           f"give another --out, or --force to replace it")
    data = _load(args)
    config = default_config(data.is_sample, epochs=args.epochs, batch_size=args.batch_size,
                            optimizer=args.optimizer, lr=args.lr, lr_decay=args.lr_decay,
                            shift=args.shift, seed=args.train_seed, dtype=args.dtype)
    print(f"training: {config}")
    start = time.perf_counter()
    model, history = train(data, config, progress=not args.no_progress)
    total = time.perf_counter() - start
    print(f"test accuracy {history.test_accuracy:.4f} on {len(data.y_test):,} digits; "
          f"{np.mean(history.seconds):.1f} s per epoch of {int(len(data.y_train) * (1 - config.val_fraction)):,} "
          f"digits, {total:.0f} s in all")
    try:
        model.save(args.model_out)
    except OSError as error:
        raise CommandError(f"could not write {args.model_out}: {error}") from None
    print(f"saved {os.path.abspath(args.model_out)}")
    source = "embedded sample" if data.is_sample else "MNIST"
    ok = _save(plot_training_curves(history, title=f"the kit's CNN on {source}"), args.curves)
    return 0 if ok else 1


def predict_main(args: argparse.Namespace, images: np.ndarray, labels: np.ndarray,
                 split: str) -> int:
    from .train import build_cnn, scale_images

    model = build_cnn()
    try:
        model.load(args.model)
    except (OSError, ValueError, KeyError) as error:
        raise CommandError(f"could not load the network from {args.model}: {error}") from None
    dtype = model.parameters()[0].dtype
    predictions = model.predict(scale_images(images, dtype))
    accuracy = float((predictions == labels).mean())
    print(f"{args.model}: accuracy {accuracy:.4f} on the {len(labels):,} {split} digits "
          f"({int((predictions != labels).sum())} wrong)")
    figure = plot_digits(images, labels, n=args.n, seed=args.seed, predictions=predictions,
                         title=f"predictions on MNIST {split} digits (red: wrong)")
    drawn = ", ".join(f"#{i} pred {predictions[i]} label {labels[i]}" for i in figure.indices)
    print(f"drew {args.n} random {split} digits: {drawn}")
    ok = _save(figure, args.out or "mnist_predictions.png")
    ok &= _save(plot_confusion(labels, predictions), args.confusion)
    return 0 if ok else 1


def draw_main(args: argparse.Namespace) -> int:
    data = _load(args)
    split = args.split or ("test" if args.model else "train")
    images, labels = (data.X_train, data.y_train) if split == "train" else (data.X_test, data.y_test)
    if args.n > len(labels):
        raise CommandError(f"--n {args.n} is more than the {len(labels)} {split} digits")
    if args.model:
        return predict_main(args, images, labels, split)
    figure = plot_digits(images, labels, n=args.n, seed=args.seed,
                         title=f"MNIST {split} digits" + (" (embedded sample)" if data.is_sample else ""))
    drawn = ", ".join(f"#{i} label {labels[i]}" for i in figure.indices)
    print(f"drew {args.n} random {split} digits: {drawn}")
    if not _save(figure, args.out or "mnist_samples.png"):
        return 1
    if args.show:
        figure.show()
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line: ``mnist-demo [options] [train [options]]``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    if args.command == "train":
        given = [f"--{name}" for name in DRAW_OPTIONS if getattr(args, name) != parser.get_default(name)]
        if given:
            parser.error(f"{', '.join(given)} draw digits; they do not apply to 'train' "
                         f"(options of 'train' go after it)")
    try:
        return train_main(args) if args.command == "train" else draw_main(args)
    except (CommandError, OSError, ValueError) as error:  # e.g. an unusable cache folder
        print(f"error: {error}", file=sys.stderr)
        return 2
