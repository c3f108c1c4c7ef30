"""Up- and downsampling along the spatial axes: the building blocks of strided convolutions.

    nn_upsample_layer(k):   inserts k-1 zeros between neighbouring elements
        (N, C, W) -> (N, C, W*k - (k-1));   (N, C, H, W) -> (N, C, H*k - (k-1), W*k - (k-1))
    nn_downsample_layer(k): keeps every k-th element, starting with the first
        (N, C, W) -> (N, C, (W-1)//k + 1);  likewise both axes of (N, C, H, W)

Downsampling is a window of 1 stepped by k, so its size is the kit's output-size formula
(``_geometry.output_size(s, 1, k)``); upsampling is its transposed direction
(``transposed_output_size(s, 1, k)``).  Each one's backprop is the other's forward:
upsampling's gradient keeps every k-th element of dL/dy; downsampling's gradient puts dL/dy
back at every k-th position, zeros elsewhere.  Odd sizes round-trip: backprop always
returns exactly x's shape.  Results are new arrays, never views of an input.
"""

import numpy as np

from ._geometry import output_size, transposed_output_size
from ._layer import Layer
from ._typing import Array, ArrayLike, Config
from ._validate import as_int, check_nbytes

__all__ = ["nn_upsample_layer", "nn_downsample_layer"]


def _every_kth(ndim, k):
    """Index of every k-th element along the spatial axes (the last ndim - 2 axes)."""
    return (slice(None), slice(None)) + (slice(None, None, k),) * (ndim - 2)


class _Resample(Layer):
    input_ndim = (3, 4)

    def __init__(self, factor: int) -> None:
        self.factor = as_int(type(self).__name__, "factor", factor)

    def config(self) -> Config:
        return {"factor": self.factor}


class nn_upsample_layer(_Resample):
    """Insert ``factor - 1`` zeros between neighbouring elements along each spatial axis."""

    def _output_shape(self, where, x_shape):
        y_shape = tuple(x_shape[:2]) + tuple(transposed_output_size(size, 1, self.factor)
                                             for size in x_shape[2:])
        check_nbytes(where, "the output", y_shape, np.float64)
        return y_shape

    def forward(self, x: ArrayLike) -> Array:
        """x (N, C, W) or (N, C, H, W) -> y with each spatial size s*k - (k-1)."""
        _, x, y_shape = self._checked("forward", x)
        y = np.zeros(y_shape, dtype=x.dtype)
        y[_every_kth(x.ndim, self.factor)] = x
        return y

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Array:
        """dLdy (upsampled shape) -> dLdx (x's shape): every k-th element of dLdy, a copy."""
        _, x, dLdy = self._checked_backprop(x, dLdy)
        return dLdy[_every_kth(x.ndim, self.factor)].copy()


class nn_downsample_layer(_Resample):
    """Keep every ``factor``-th element along each spatial axis, starting with the first."""

    def _output_shape(self, where, x_shape):
        return tuple(x_shape[:2]) + tuple(output_size(size, 1, self.factor)
                                          for size in x_shape[2:])

    def forward(self, x: ArrayLike) -> Array:
        """x (N, C, W) or (N, C, H, W) -> y with each spatial size (s-1)//k + 1, a copy."""
        _, x, _ = self._checked("forward", x)
        return x[_every_kth(x.ndim, self.factor)].copy()

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Array:
        """dLdy (downsampled shape) -> dLdx (x's shape): dLdy at every k-th position, else 0."""
        _, x, dLdy = self._checked_backprop(x, dLdy)
        dx = np.zeros(x.shape, dtype=dLdy.dtype)
        dx[_every_kth(x.ndim, self.factor)] = dLdy
        return dx
