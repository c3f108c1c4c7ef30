"""Global pooling: one number per channel, for inputs of any resolution.

    x (N, C, H, W) -> y (N, C)       (also (N, C, W) or more spatial axes -> (N, C))

mode "max": the largest value of each channel; its gradient goes to the first maximum in
row-major order (torch's rule; a NaN counts as the maximum).  mode "mean": the average; its
gradient is spread evenly, ``dL/dy / (H*W)`` per pixel.  A network ending in global pooling
classifies images of any size with the same weights.
"""

import numpy as np

from ._validate import layer_input, layer_upstream

__all__ = ["nn_global_pool_layer"]

MODES = ("max", "mean")


class nn_global_pool_layer:
    """Pool each channel of each image to one number: ``mode`` is "max" or "mean"."""

    def __init__(self, mode="max"):
        if mode not in MODES:
            raise ValueError(f"nn_global_pool_layer: mode must be 'max' or 'mean', got {mode!r}")
        self.mode = mode

    def __repr__(self):
        return f"nn_global_pool_layer(mode={self.mode!r})"

    def _input(self, where, x):
        x = layer_input(where, x, (3, 4, 5))
        if 0 in x.shape:
            raise ValueError(f"{where}: x has an empty axis, shape {x.shape}")
        return x, x.reshape(x.shape[0], x.shape[1], -1)

    def forward(self, x):
        """x (N, C, ...) -> y (N, C)."""
        _, flat = self._input("nn_global_pool_layer.forward", x)
        return flat.max(axis=2) if self.mode == "max" else flat.mean(axis=2)

    def backprop(self, x, dLdy):
        """dLdy (N, C) -> dLdx shaped like x."""
        where = "nn_global_pool_layer.backprop"
        x, flat = self._input(where, x)
        dLdy = layer_upstream(where, dLdy, x.shape[:2], x.dtype)
        if self.mode == "mean":
            dx = np.broadcast_to((dLdy / flat.shape[2])[:, :, None], flat.shape).copy()
        else:
            dx = np.zeros(flat.shape, dtype=dLdy.dtype)
            first = flat.argmax(axis=2)[:, :, None]   # argmax returns the first maximum
            np.put_along_axis(dx, first, dLdy[:, :, None], axis=2)
        return dx.reshape(x.shape)
