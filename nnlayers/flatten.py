"""Flatten: (N, d1, d2, ...) -> (N, d1*d2*...), the bridge from convolutions to linear layers."""

import math

from ._layer import Layer
from ._typing import Array, ArrayLike

__all__ = ["nn_flatten_layer"]


class nn_flatten_layer(Layer):
    """``forward`` keeps the batch axis and joins the rest; ``backprop`` restores x's shape."""

    def _output_shape(self, where, x_shape):
        if len(x_shape) < 2:
            raise ValueError(f"{where}: x must have a batch axis and at least one more, "
                             f"got shape {tuple(x_shape)}")
        return (x_shape[0], math.prod(x_shape[1:]))

    def forward(self, x: ArrayLike) -> Array:
        """x (N, ...) -> y (N, prod(...)), a copy."""
        _, x, y_shape = self._checked("forward", x)
        return x.reshape(y_shape).copy()

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Array:
        """dLdy (N, prod(...)) -> dLdx shaped like x, a copy."""
        _, x, dLdy = self._checked_backprop(x, dLdy)
        return dLdy.reshape(x.shape).copy()
