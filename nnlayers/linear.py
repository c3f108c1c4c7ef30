"""A fully connected (linear) layer.

Shapes (torch.nn.Linear's weight layout):
    x   (N, input_size)
    W   (output_size, input_size)
    b   (1, output_size)
    y   (N, output_size)       y = x @ W.T + b
"""

import numpy as np

from ._init import check_std, he_normal, make_rng
from ._params import add_in_place, replaced
from ._validate import as_positive_int, layer_input, layer_upstream

__all__ = ["nn_linear_layer"]


class nn_linear_layer:
    """``y = x @ W.T + b``; W ~ N(0, std / sqrt(input_size / 2)), b = 0.01."""

    def __init__(self, input_size, output_size, std=1e0, *, rng=None):
        where = "nn_linear_layer"
        input_size = as_positive_int(where, "input_size", input_size)
        output_size = as_positive_int(where, "output_size", output_size)
        std = check_std(where, std)
        self.W = he_normal(make_rng(where, rng), (output_size, input_size), input_size, std)
        self.b = np.full((1, output_size), 0.01)

    def __repr__(self):
        return f"nn_linear_layer(input_size={self.W.shape[1]}, output_size={self.W.shape[0]})"

    def get_weights(self):
        """``(W, b)``: W (output_size, input_size), b (1, output_size)."""
        return self.W, self.b

    def set_weights(self, W, b):
        self.W, self.b = replaced("nn_linear_layer.set_weights", (self.W, self.b), (W, b),
                                  (("W", "(output_size, input_size)"), ("b", "(1, output_size)")))

    def update_weights(self, dW, db):
        """``W += dW``, ``b += db``."""
        add_in_place("nn_linear_layer.update_weights", (self.W, self.b), (dW, db),
                     (("dW", "the shape of W"), ("db", "the shape of b")))

    def _input(self, where, x):
        x = layer_input(where, x, 2)
        if x.shape[1] != self.W.shape[1]:
            raise ValueError(f"{where}: x has {x.shape[1]} features, W expects {self.W.shape[1]} "
                             f"(x.shape = {x.shape}, W.shape = {self.W.shape})")
        return x

    def forward(self, x):
        """x (N, input_size) -> y (N, output_size)."""
        x = self._input("nn_linear_layer.forward", x)
        return x @ self.W.T.astype(x.dtype, copy=False) + self.b.astype(x.dtype, copy=False)

    def backprop(self, x, dLdy):
        """dLdy (N, output_size) -> (dLdx (N, input_size), dLdW like W, dLdb (1, output_size))."""
        where = "nn_linear_layer.backprop"
        x = self._input(where, x)
        dLdy = layer_upstream(where, dLdy, (x.shape[0], self.W.shape[0]), x.dtype)
        x = x.astype(dLdy.dtype, copy=False)
        return dLdy @ self.W.astype(dLdy.dtype, copy=False), dLdy.T @ x, dLdy.sum(axis=0, keepdims=True)
