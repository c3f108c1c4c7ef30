"""The error map of a failed row, as a PNG: where in (channel, row, column) the array is wrong.

    plot_error_map(expected, got, "conv layer dLdx (course shapes)", "plots/dLdx.png")

matplotlib is imported inside the function, never when gradcheck is imported, so
``python -m gradcheck`` starts fast; the figure is drawn on its own Agg canvas, which leaves
pyplot's backend (a notebook's, a user's) untouched.
"""

import os

import numpy as np

__all__ = ["plot_error_map", "MAX_PANELS"]

MAX_PANELS = 16


def error_maps(expected, got):
    """|got - expected| summed over the batch axis, as maps (P, R, Q): one (row, column) map
    per channel.  (N, C, H, W) -> (C, H, W); (N, C, W) -> (C, 1, W); (N, F) -> (1, 1, F);
    (F,) -> (1, 1, F); more than 4 axes: every leading axis but the last three is summed."""
    error = np.abs(np.asarray(got, dtype=np.float64) - np.asarray(expected, dtype=np.float64))
    if error.ndim >= 4:
        return error.sum(axis=tuple(range(error.ndim - 3)))
    if error.ndim == 3:
        return error.sum(axis=0)[:, None, :]
    if error.ndim == 2:
        return error.sum(axis=0)[None, None, :]
    return error.reshape(1, 1, -1)


def plot_error_map(expected, got, title, path):
    """Write a PNG of where ``got`` differs from ``expected``; returns ``path``.

    Parameters
    ----------
    expected, got : float arrays of one shape, e.g. (N, C, H, W) (the reference's and the
        homework's forward or dLdx), (F, C, KH, KW) (dLdW: summed over the filters), (N, C, W).
    title : str, naming the layer, the row and the case.
    path : str or path-like, the PNG to write (its folder must exist).

    One panel per channel (the first 16 when there are more), axes (row, column), one colour
    scale for all panels with its colour bar.  NaN or inf errors are drawn at the top of the
    scale and counted in the title.
    """
    where = "plot_error_map"
    for name, value in (("expected", expected), ("got", got)):
        if np.asarray(value).dtype.kind not in "biuf":
            raise TypeError(f"{where}: {name} must be an array of real numbers, got dtype "
                            f"{np.asarray(value).dtype}")
    if np.shape(expected) != np.shape(got):
        raise ValueError(f"{where}: expected and got must have the same shape, got "
                         f"{np.shape(expected)} and {np.shape(got)}")
    if np.size(got) == 0:
        raise ValueError(f"{where}: the arrays are empty (shape {np.shape(got)})")
    if not isinstance(title, str):
        raise TypeError(f"{where}: title must be a str, got {type(title).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where}: path must be a str or path-like, got {type(path).__name__}")
    folder = os.path.dirname(os.fspath(path)) or "."
    if not os.path.isdir(folder):
        raise ValueError(f"{where}: the folder of path {os.fspath(path)!r} does not exist")

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    maps = error_maps(expected, got)
    shown = maps[:MAX_PANELS]
    not_finite = int((~np.isfinite(maps)).sum())
    finite = maps[np.isfinite(maps)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    shown = np.where(np.isfinite(shown), shown, top)
    columns = min(4, len(shown))
    rows = -(-len(shown) // columns)
    figure = Figure(figsize=(3.2 * columns + 1.2, 2.9 * rows + 0.9))
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False,
                           gridspec_kw={"hspace": 0.55, "wspace": 0.4}).ravel()
    for channel, (ax, panel) in enumerate(zip(axes, shown)):
        image = ax.imshow(panel, cmap="magma", vmin=0.0, vmax=top, interpolation="nearest",
                          aspect="auto" if panel.shape[0] == 1 else "equal")
        if panel.shape[0] == 1:    # a 1-D map: one row
            ax.set_yticks([0])
        ax.set_title(f"channel {channel}", fontsize=9)
        ax.set_xlabel("column")
        ax.set_ylabel("row")
    for ax in axes[len(shown):]:
        ax.set_axis_off()
    figure.colorbar(image, ax=list(axes[:len(shown)]), label="|got - expected|, summed over axis 0")
    notes = []
    if len(maps) > MAX_PANELS:
        notes.append(f"first {MAX_PANELS} of {len(maps)} channels")
    if not_finite:
        notes.append(f"{not_finite} pixel(s) with NaN or inf errors drawn at the top of the scale")
    figure.suptitle(title + (f"\n({'; '.join(notes)})" if notes else ""))
    figure.savefig(path, format="png", dpi=80)
    return path
