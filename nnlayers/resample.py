"""Up- and downsampling along the spatial axes: the building blocks of strided convolutions.

    nn_upsample_layer(k):   inserts k-1 zeros between neighbouring elements
        (N, C, W) -> (N, C, W*k - (k-1));   (N, C, H, W) -> (N, C, H*k - (k-1), W*k - (k-1))
    nn_downsample_layer(k): keeps every k-th element, starting with the first
        (N, C, W) -> (N, C, (W-1)//k + 1);  likewise both axes of (N, C, H, W)

Each one's backprop is the other's forward: upsampling's gradient keeps every k-th element
of dL/dy; downsampling's gradient puts dL/dy back at every k-th position, zeros elsewhere.
Odd sizes round-trip: backprop always returns exactly x's shape.  A stride-k convolution
is a stride-1 convolution followed by downsample(k); upsample(k) followed by a stride-1
convolution of the flipped filters is the transposed convolution.
"""

import numpy as np

from ._validate import as_positive_int, layer_input, layer_upstream

__all__ = ["nn_upsample_layer", "nn_downsample_layer"]


def _every_kth(ndim, k):
    """Index of every k-th element along the spatial axes (the last ndim - 2 axes)."""
    return (slice(None), slice(None)) + (slice(None, None, k),) * (ndim - 2)


def _upsampled_shape(shape, k):
    return shape[:2] + tuple(size * k - (k - 1) for size in shape[2:])


def _downsampled_shape(shape, k):
    return shape[:2] + tuple((size - 1) // k + 1 for size in shape[2:])


class nn_upsample_layer:
    """Insert ``factor - 1`` zeros between neighbouring elements along each spatial axis."""

    def __init__(self, factor):
        self.factor = as_positive_int("nn_upsample_layer", "factor", factor)

    def __repr__(self):
        return f"nn_upsample_layer(factor={self.factor})"

    def forward(self, x):
        """x (N, C, W) or (N, C, H, W) -> y with each spatial size s*k - (k-1)."""
        x = layer_input("nn_upsample_layer.forward", x, (3, 4))
        y = np.zeros(_upsampled_shape(x.shape, self.factor), dtype=x.dtype)
        y[_every_kth(x.ndim, self.factor)] = x
        return y

    def backprop(self, x, dLdy):
        """dLdy (upsampled shape) -> dLdx (x's shape): every k-th element of dLdy."""
        where = "nn_upsample_layer.backprop"
        x = layer_input(where, x, (3, 4))
        dLdy = layer_upstream(where, dLdy, _upsampled_shape(x.shape, self.factor), x.dtype)
        return np.ascontiguousarray(dLdy[_every_kth(x.ndim, self.factor)])


class nn_downsample_layer:
    """Keep every ``factor``-th element along each spatial axis, starting with the first."""

    def __init__(self, factor):
        self.factor = as_positive_int("nn_downsample_layer", "factor", factor)

    def __repr__(self):
        return f"nn_downsample_layer(factor={self.factor})"

    def forward(self, x):
        """x (N, C, W) or (N, C, H, W) -> y with each spatial size (s-1)//k + 1."""
        x = layer_input("nn_downsample_layer.forward", x, (3, 4))
        return np.ascontiguousarray(x[_every_kth(x.ndim, self.factor)])

    def backprop(self, x, dLdy):
        """dLdy (downsampled shape) -> dLdx (x's shape): dLdy at every k-th position, else 0."""
        where = "nn_downsample_layer.backprop"
        x = layer_input(where, x, (3, 4))
        dLdy = layer_upstream(where, dLdy, _downsampled_shape(x.shape, self.factor), x.dtype)
        dx = np.zeros(x.shape, dtype=dLdy.dtype)
        dx[_every_kth(x.ndim, self.factor)] = dLdy
        return dx
