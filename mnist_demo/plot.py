"""Pictures of digits, each titled with its label (and, given predictions, red when wrong).

Every function returns an ``InlineFigure``: save it with ``figure.savefig("file.png")``; in
a notebook, a figure that is a cell's value displays inline; ``figure.show()`` displays it
inline in a notebook and in a window in a terminal.
"""

import math
from typing import TYPE_CHECKING, Optional

import numpy as np
import numpy.typing as npt

from .figure import InlineFigure

if TYPE_CHECKING:
    from .train import History

__all__ = ["pick_indices", "plot_digits", "plot_training_curves", "confusion_matrix", "plot_confusion"]


def _integer(where: str, name: str, value: object, minimum: int) -> int:
    """``value`` as an int >= ``minimum``: a TypeError for anything but a (NumPy) integer,
    a ValueError below the minimum."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def pick_indices(count: int, n: int, seed: Optional[int] = None) -> npt.NDArray[np.int64]:
    """``n`` distinct random indices into ``count`` items, reproducible for a given ``seed``
    (None, or an integer >= 0)."""
    count = _integer("pick_indices", "count", count, 0)
    if count > np.iinfo(np.int64).max:
        raise ValueError(f"pick_indices: count must fit in int64, got {count}")
    n = _integer("pick_indices", "n", n, 1)
    if seed is not None:
        seed = _integer("pick_indices", "seed", seed, 0)
    if n > count:
        raise ValueError(f"pick_indices: cannot draw n = {n} distinct digits from {count}")
    return np.random.default_rng(seed).choice(count, size=n, replace=False)


def plot_digits(images: npt.ArrayLike, labels: npt.ArrayLike, n: int = 3,
                indices: Optional[npt.ArrayLike] = None, seed: Optional[int] = None, *,
                predictions: Optional[npt.ArrayLike] = None, ncols: Optional[int] = None,
                title: Optional[str] = None) -> InlineFigure:
    """A matplotlib Figure: a grid of digits, each titled with its label.

    Parameters
    ----------
    images : array (N, 1, H, W) or (N, H, W)
    labels : array (N,)
    n : how many random digits to draw (ignored when ``indices`` is given)
    indices : which digits to draw; default ``pick_indices(N, n, seed)``
    predictions : optional array (N,); titles become "pred P / label L", red when P != L
    ncols : digits per row (default: all in one row, up to 10)
    title : optional figure title

    The drawn indices are in ``figure.indices``.
    """
    images = _array("plot_digits", "images", images, "biuf", "real numbers")
    labels = _array("plot_digits", "labels", labels, "biuf", "real numbers")
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3:
        raise ValueError(f"plot_digits: images must be (N, 1, H, W) or (N, H, W), "
                         f"got shape {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"plot_digits: labels must have shape ({len(images)},) to match "
                         f"images, got {labels.shape}")
    if predictions is not None:
        predictions = _array("plot_digits", "predictions", predictions, "biuf", "real numbers")
        if predictions.shape != labels.shape:
            raise ValueError(f"plot_digits: predictions must have shape {labels.shape}, "
                             f"got {predictions.shape}")
    if indices is None:
        indices = pick_indices(len(images), _integer("plot_digits", "n", n, 1), seed)
    given = np.asarray(indices, dtype=object if isinstance(indices, dict) else None).reshape(-1)
    if given.size and given.dtype.kind not in "iu":
        raise TypeError(f"plot_digits: indices must be integers, got {indices!r}")
    if given.size == 0 or given.min() < -len(images) or given.max() >= len(images):
        raise ValueError(f"plot_digits: indices must be non-empty and within 0..{len(images) - 1}, "
                         f"got {given.tolist()}")
    indices = given.astype(np.int64)

    if ncols is None:
        ncols = min(len(indices), 10)
    else:   # more columns than digits would only be empty (and could be a huge figure)
        ncols = min(_integer("plot_digits", "ncols", ncols, 1), len(indices))
    if title is not None and not isinstance(title, str):
        raise TypeError(f"plot_digits: title must be a str or None, got {title!r}")
    nrows = math.ceil(len(indices) / ncols)
    figure = InlineFigure(figsize=(1.8 * ncols, 2.0 * nrows + (0.4 if title else 0)), layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False)
    vmax = 255 if images.dtype == np.uint8 else None
    for ax in axes.ravel():
        ax.axis("off")
    for ax, index in zip(axes.ravel(), indices):
        ax.imshow(images[index], cmap="gray", vmin=0, vmax=vmax, interpolation="nearest")
        label = int(labels[index])
        if predictions is None:
            ax.set_title(f"label {label}")
        else:
            guess = int(predictions[index])
            ax.set_title(f"pred {guess} / label {label}", color="black" if guess == label else "red")
    if title:
        figure.suptitle(title)
    figure.indices = indices
    return figure


def plot_training_curves(history: "History", title: Optional[str] = None) -> InlineFigure:
    """A Figure: loss per epoch, and train/validation accuracy per epoch (a ``train.History``)."""
    epochs = np.arange(1, len(history.train_loss) + 1)
    figure = InlineFigure(figsize=(9, 3.4), layout="constrained")
    loss_ax, acc_ax = figure.subplots(1, 2)
    loss_ax.plot(epochs, history.train_loss, marker="o")
    loss_ax.set(xlabel="epoch", ylabel="training loss (cross-entropy)", yscale="log")
    acc_ax.plot(epochs, history.train_accuracy, marker="o", label="training (running)")
    acc_ax.plot(epochs, history.val_accuracy, marker="s", label="validation")
    if not np.isnan(history.test_accuracy):
        acc_ax.axhline(history.test_accuracy, color="gray", linestyle="--",
                       label=f"test {history.test_accuracy:.2%}")
    acc_ax.set(xlabel="epoch", ylabel="accuracy")
    acc_ax.legend(loc="lower right")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    return figure


def confusion_matrix(labels: npt.ArrayLike, predictions: npt.ArrayLike,
                     classes: int = 10) -> npt.NDArray[np.int64]:
    """counts (classes, classes): counts[i, j] = how many digits of label i were predicted as j;
    ``labels`` and ``predictions`` are (N,) integers in 0..classes-1."""
    classes = _integer("confusion_matrix", "classes", classes, 1)
    pair = [_class_indices("confusion_matrix", name, value, classes)
            for name, value in (("labels", labels), ("predictions", predictions))]
    if pair[0].shape != pair[1].shape:
        raise ValueError(f"confusion_matrix: labels and predictions must have the same shape "
                         f"(N,), got {pair[0].shape} and {pair[1].shape}")
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, tuple(pair), 1)
    return counts


def _array(where: str, name: str, value: npt.ArrayLike, kinds: str, what: str) -> np.ndarray:
    """``value`` as an array whose dtype kind is one of ``kinds`` (else a TypeError saying it
    must hold ``what``)."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):   # ragged lists, torch tensors with grad
        array = np.asarray(None)
    if array.dtype.kind not in kinds:
        raise TypeError(f"{where}: {name} must hold {what}, got {type(value).__name__} of "
                        f"dtype {array.dtype}")
    return array


def _class_indices(where: str, name: str, value: npt.ArrayLike,
                   classes: int) -> npt.NDArray[np.intp]:
    """``value`` as (N,) class indices in 0..classes-1 (a TypeError or ValueError otherwise)."""
    array = _array(where, name, value, "iu", "integers (class indices)")
    if array.ndim != 1:
        raise ValueError(f"{where}: {name} must be 1-D (N,), got shape {array.shape}")
    if array.size and (array.min() < 0 or array.max() >= classes):
        raise ValueError(f"{where}: {name} must be in 0..{classes - 1}, got values from "
                         f"{array.min()} to {array.max()}")
    return array.astype(np.intp)


def plot_confusion(labels: npt.ArrayLike, predictions: npt.ArrayLike,
                   title: Optional[str] = None) -> InlineFigure:
    """A Figure: the confusion matrix, each cell labelled with its count."""
    counts = confusion_matrix(labels, predictions)
    figure = InlineFigure(figsize=(5.6, 5), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(counts, cmap="Blues")
    for (i, j), value in np.ndenumerate(counts):
        if value:
            ax.text(j, i, str(value), ha="center", va="center", fontsize=8,
                    color="white" if value > counts.max() / 2 else "black")
    ax.set(xlabel="predicted", ylabel="label", xticks=range(10), yticks=range(10))
    figure.colorbar(image, ax=ax, shrink=0.8)
    accuracy = np.trace(counts) / max(1, counts.sum())
    ax.set_title(title or f"confusion matrix, accuracy {accuracy:.2%}")
    return figure
