"""Softmax over the classes of each row, computed stably.

    x (N, K) -> y (N, K),   y[n] = exp(x[n] - max(x[n])) / sum(exp(x[n] - max(x[n])))

Subtracting the row maximum changes nothing mathematically and keeps exp from overflowing
(logits of 1e4 are fine).  Backprop: ``dL/dx = y * (dL/dy - sum(dL/dy * y, axis=1))``.
"""

import numpy as np

from ._validate import layer_input, layer_upstream

__all__ = ["nn_softmax_layer", "softmax", "log_softmax"]


def log_softmax(x):
    """``log(softmax(x))`` along axis 1, stably: ``x - max - log(sum(exp(x - max)))``."""
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(x):
    """Softmax along axis 1 of (N, K), with the row maximum subtracted first."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class nn_softmax_layer:
    """Softmax over the K classes of each of N rows."""

    def __repr__(self):
        return "nn_softmax_layer()"

    def forward(self, x):
        """x (N, K) -> probabilities (N, K), each row summing to 1."""
        return softmax(layer_input("nn_softmax_layer.forward", x, 2))

    def backprop(self, x, dLdy):
        """dLdy (N, K) -> dLdx (N, K)."""
        where = "nn_softmax_layer.backprop"
        x = layer_input(where, x, 2)
        dLdy = layer_upstream(where, dLdy, x.shape, x.dtype)
        y = softmax(x)
        return y * (dLdy - (dLdy * y).sum(axis=1, keepdims=True))
