"""Elementwise activations, for inputs of any shape: ReLU, tanh, sigmoid.

Each ``backprop(x, dLdy)`` returns ``dLdy * f'(x)``, recomputing what it needs from x.
"""

import numpy as np

from ._layer import Layer
from ._typing import Array, ArrayLike

__all__ = ["nn_relu_layer", "nn_tanh_layer", "nn_sigmoid_layer", "sigmoid"]


def sigmoid(x):
    """``1 / (1 + exp(-x))`` without overflow: exp is only ever taken of ``-|x|``."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class nn_relu_layer(Layer):
    """``y = max(x, 0)``, as torch: a NaN input gives NaN.

    backprop passes ``dLdy`` where x > 0 or x is NaN and gives exactly 0 where x <= 0 (the
    gradient at 0 is taken as 0, torch's choice); a NaN or inf in dLdy stays where it is
    (it is selected, never multiplied by 0)."""

    def forward(self, x: ArrayLike) -> Array:
        _, x, _ = self._checked("forward", x)
        return np.maximum(x, 0)

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Array:
        _, x, dLdy = self._checked_backprop(x, dLdy)
        return np.where(x <= 0, np.zeros((), dtype=dLdy.dtype), dLdy)


class nn_tanh_layer(Layer):
    """``y = tanh(x)``, ``dy/dx = 1 - tanh(x)**2``."""

    def forward(self, x: ArrayLike) -> Array:
        _, x, _ = self._checked("forward", x)
        return np.tanh(x)

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Array:
        _, x, dLdy = self._checked_backprop(x, dLdy)
        return dLdy * (1 - np.tanh(x) ** 2)


class nn_sigmoid_layer(Layer):
    """``y = 1 / (1 + exp(-x))``, stable for large |x|; ``dy/dx = y * (1 - y)``."""

    def forward(self, x: ArrayLike) -> Array:
        _, x, _ = self._checked("forward", x)
        return sigmoid(x)

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Array:
        _, x, dLdy = self._checked_backprop(x, dLdy)
        y = sigmoid(x)
        return dLdy * y * (1 - y)
