"""Elementwise activations, for inputs of any shape: ReLU, tanh, sigmoid.

Each ``backprop(x, dLdy)`` returns ``dLdy * f'(x)``, recomputing what it needs from x.
"""

import numpy as np

from ._validate import as_real_array, float_dtype, layer_upstream

__all__ = ["nn_relu_layer", "nn_tanh_layer", "nn_sigmoid_layer", "sigmoid"]


def _input(where, x):
    x = as_real_array(where, "x", x)
    return x.astype(float_dtype(x.dtype), copy=False)


def sigmoid(x):
    """``1 / (1 + exp(-x))`` without overflow: exp is only ever taken of ``-|x|``."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class nn_relu_layer:
    """``y = max(x, 0)``; the gradient at exactly 0 is taken as 0 (torch's choice)."""

    def __repr__(self):
        return "nn_relu_layer()"

    def forward(self, x):
        return np.maximum(_input("nn_relu_layer.forward", x), 0)

    def backprop(self, x, dLdy):
        where = "nn_relu_layer.backprop"
        x = _input(where, x)
        dLdy = layer_upstream(where, dLdy, x.shape, x.dtype)
        return dLdy * (x > 0)


class nn_tanh_layer:
    """``y = tanh(x)``, ``dy/dx = 1 - tanh(x)**2``."""

    def __repr__(self):
        return "nn_tanh_layer()"

    def forward(self, x):
        return np.tanh(_input("nn_tanh_layer.forward", x))

    def backprop(self, x, dLdy):
        where = "nn_tanh_layer.backprop"
        x = _input(where, x)
        dLdy = layer_upstream(where, dLdy, x.shape, x.dtype)
        return dLdy * (1 - np.tanh(x) ** 2)


class nn_sigmoid_layer:
    """``y = 1 / (1 + exp(-x))``, stable for large |x|; ``dy/dx = y * (1 - y)``."""

    def __repr__(self):
        return "nn_sigmoid_layer()"

    def forward(self, x):
        return sigmoid(_input("nn_sigmoid_layer.forward", x))

    def backprop(self, x, dLdy):
        where = "nn_sigmoid_layer.backprop"
        x = _input(where, x)
        dLdy = layer_upstream(where, dLdy, x.shape, x.dtype)
        y = sigmoid(x)
        return dLdy * y * (1 - y)
