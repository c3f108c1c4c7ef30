"""Flatten: (N, d1, d2, ...) -> (N, d1*d2*...), the bridge from convolutions to linear layers."""

import numpy as np

from ._validate import as_real_array, float_dtype, layer_upstream

__all__ = ["nn_flatten_layer"]


class nn_flatten_layer:
    """``forward`` keeps the batch axis and joins the rest; ``backprop`` restores x's shape."""

    def __repr__(self):
        return "nn_flatten_layer()"

    @staticmethod
    def _input(where, x):
        x = as_real_array(where, "x", x)
        if x.ndim < 2:
            raise ValueError(f"{where}: x must have a batch axis and at least one more, "
                             f"got shape {x.shape}")
        return x.astype(float_dtype(x.dtype), copy=False)

    def forward(self, x):
        """x (N, ...) -> y (N, prod(...)), a copy."""
        x = self._input("nn_flatten_layer.forward", x)
        return x.reshape(x.shape[0], -1).copy()

    def backprop(self, x, dLdy):
        """dLdy (N, prod(...)) -> dLdx shaped like x."""
        where = "nn_flatten_layer.backprop"
        x = self._input(where, x)
        dLdy = layer_upstream(where, dLdy, (x.shape[0], int(np.prod(x.shape[1:]))), x.dtype)
        return dLdy.reshape(x.shape).copy()
