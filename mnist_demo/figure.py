"""``InlineFigure``: a matplotlib Figure that displays inline in Jupyter and opens a window on request.

The plotting functions build their figures without pyplot: nothing is registered in a
global list, nothing closes them, and importing ``mnist_demo`` never selects a backend
(no switch to Agg in a notebook).  Saving to PNG works everywhere.  In a notebook, a figure
that is a cell's value displays inline (``_repr_png_``), and ``figure.show()`` displays it
inline too; in a terminal, ``figure.show()`` opens a window when there is a display.
"""

import io
import os
import sys

import numpy as np
from matplotlib.figure import Figure

from .notebook import in_notebook

__all__ = ["InlineFigure", "has_display"]


def has_display() -> bool:
    """False on Linux without $DISPLAY or $WAYLAND_DISPLAY (no window can open); else True."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class InlineFigure(Figure):
    """A Figure that Jupyter shows inline as a PNG, and ``show()`` shows wherever it runs."""

    indices: np.ndarray  # set by plot_digits: which digits it drew

    def _repr_png_(self) -> bytes:
        """The PNG that Jupyter displays when the figure is a cell's value."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    def show(self, warn: bool = True) -> None:
        """Display the figure: inline in a notebook, else in a window (blocking until closed).

        Without a display to open a window on, it says so and does nothing.
        """
        if in_notebook():
            from IPython.display import display

            display(self)
            return
        if not has_display():
            print("no display found: the picture is in the PNG file only")
            return
        import matplotlib.pyplot as plt

        manager = plt.figure().canvas.manager  # a window to host this figure
        if manager is None:
            print("no window could be opened: the picture is in the PNG file only")
            return
        manager.canvas.figure = self
        self.set_canvas(manager.canvas)
        plt.show()
