"""Global pooling: one number per channel, for inputs of any resolution.

    x (N, C, H, W) -> y (N, C)       (also (N, C, W) or more spatial axes -> (N, C))

mode "max": the largest value of each channel; its gradient goes to the first maximum in
row-major order (torch's rule; a NaN counts as the maximum).  mode "mean": the average; its
gradient is spread evenly, ``dL/dy / (H*W)`` per pixel.  A network ending in global pooling
classifies images of any size with the same weights.
"""

import math

import numpy as np

from ._layer import Layer
from ._typing import Array, ArrayLike, Config

__all__ = ["nn_global_pool_layer"]

MODES = ("max", "mean")


def _flat(x):
    """(N, C, ...) -> (N, C, P): the pixels of each channel in one axis (also for N = 0)."""
    return x.reshape(x.shape[:2] + (math.prod(x.shape[2:]),))


class nn_global_pool_layer(Layer):
    """Pool each channel of each image to one number: ``mode`` is "max" or "mean"."""

    input_ndim = (3, 4, 5)

    def __init__(self, mode: str = "max") -> None:
        if not isinstance(mode, str):
            raise TypeError(f"{type(self).__name__}: mode must be 'max' or 'mean', got "
                            f"{mode!r}")
        if mode not in MODES:
            raise ValueError(f"{type(self).__name__}: mode must be 'max' or 'mean', got "
                             f"{mode!r}")
        self.mode = mode

    def config(self) -> Config:
        return {"mode": self.mode}

    def _output_shape(self, where, x_shape):
        return tuple(x_shape[:2])

    def forward(self, x: ArrayLike) -> Array:
        """x (N, C, ...) -> y (N, C)."""
        _, x, _ = self._checked("forward", x)
        flat = _flat(x)
        return flat.max(axis=2) if self.mode == "max" else flat.mean(axis=2)

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Array:
        """dLdy (N, C) -> dLdx shaped like x."""
        _, x, dLdy = self._checked_backprop(x, dLdy)
        flat = _flat(x)
        if self.mode == "mean":
            dx = np.broadcast_to((dLdy / flat.shape[2])[:, :, None], flat.shape).copy()
        else:
            dx = np.zeros(flat.shape, dtype=dLdy.dtype)
            first = flat.argmax(axis=2)[:, :, None]   # argmax returns the first maximum
            np.put_along_axis(dx, first, dLdy[:, :, None], axis=2)
        return dx.reshape(x.shape)
