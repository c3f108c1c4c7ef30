"""Softmax over the classes of each row, computed stably.

    x (N, K) -> y (N, K),   y[n] = exp(x[n] - max(x[n])) / sum(exp(x[n] - max(x[n])))

Subtracting the row maximum changes nothing mathematically and keeps exp from overflowing
(logits of 1e4 are fine).  Backprop: ``dL/dx = y * (dL/dy - sum(dL/dy * y, axis=1))``.
"""

import numpy as np

from ._layer import Layer
from ._typing import Array, ArrayLike

__all__ = ["nn_softmax_layer", "softmax", "log_softmax"]


def log_softmax(x):
    """``log(softmax(x))`` along axis 1, stably: ``x - max - log(sum(exp(x - max)))``."""
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(x):
    """Softmax along axis 1 of (N, K), with the row maximum subtracted first."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class nn_softmax_layer(Layer):
    """Softmax over the K classes of each of N rows (K >= 1; N may be 0)."""

    input_ndim = 2

    def forward(self, x: ArrayLike) -> Array:
        """x (N, K) -> probabilities (N, K), each row summing to 1."""
        _, x, _ = self._checked("forward", x)
        return softmax(x)

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Array:
        """dLdy (N, K) -> dLdx (N, K)."""
        _, x, dLdy = self._checked_backprop(x, dLdy)
        y = softmax(x)
        return y * (dLdy - (dLdy * y).sum(axis=1, keepdims=True))
