"""Pictures of digits, each titled with its label (and, given predictions, red when wrong)."""

import math

import numpy as np
from matplotlib.figure import Figure

__all__ = ["pick_indices", "plot_digits"]


def pick_indices(count, n, seed=None):
    """``n`` distinct random indices into ``count`` items, reproducible for a given ``seed``."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"pick_indices: n must be an integer >= 1, got {n!r}")
    if n > count:
        raise ValueError(f"pick_indices: cannot draw n = {n} distinct digits from {count}")
    return np.random.default_rng(seed).choice(count, size=n, replace=False)


def plot_digits(images, labels, n=3, indices=None, seed=None, *, predictions=None,
                ncols=None, title=None):
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
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3:
        raise ValueError(f"plot_digits: images must be (N, 1, H, W) or (N, H, W), "
                         f"got shape {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"plot_digits: labels must have shape ({len(images)},) to match "
                         f"images, got {labels.shape}")
    if predictions is not None:
        predictions = np.asarray(predictions)
        if predictions.shape != labels.shape:
            raise ValueError(f"plot_digits: predictions must have shape {labels.shape}, "
                             f"got {predictions.shape}")
    if indices is None:
        indices = pick_indices(len(images), n, seed)
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    if indices.size == 0 or indices.min() < -len(images) or indices.max() >= len(images):
        raise ValueError(f"plot_digits: indices must be non-empty and within 0..{len(images) - 1}, "
                         f"got {indices.tolist()}")

    ncols = ncols or min(len(indices), 10)
    nrows = math.ceil(len(indices) / ncols)
    figure = Figure(figsize=(1.8 * ncols, 2.0 * nrows + (0.4 if title else 0)), layout="constrained")
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
