"""A fully connected (linear) layer.

Shapes (torch.nn.Linear's weight layout):
    x   (N, input_size)
    W   (output_size, input_size)
    b   (1, output_size)
    y   (N, output_size)       y = x @ W.T + b
"""

import numpy as np

from ._init import he_normal, init_args
from ._layer import Layer
from ._typing import Array, ArrayLike, Config, Grads, Seed
from ._validate import as_int

__all__ = ["nn_linear_layer"]


class nn_linear_layer(Layer):
    """``y = x @ W.T + b``; W ~ N(0, std / sqrt(input_size / 2)), b = 0.01."""

    param_names = ("W", "b")
    input_ndim = 2

    def __init__(self, input_size: int, output_size: int, std: float = 1e0, *,
                 rng: Seed = None) -> None:
        where = type(self).__name__
        input_size = as_int(where, "input_size", input_size)
        output_size = as_int(where, "output_size", output_size)
        std, generator = init_args(where, std, rng)
        self.W = he_normal(where, generator, (output_size, input_size), input_size, std)
        self.b = np.full((1, output_size), 0.01)

    def config(self) -> Config:
        return {"input_size": self.W.shape[1], "output_size": self.W.shape[0]}

    def _output_shape(self, where, x_shape):
        if x_shape[1] != self.W.shape[1]:
            raise ValueError(f"{where}: x has {x_shape[1]} features, W expects "
                             f"{self.W.shape[1]} (x.shape = {tuple(x_shape)}, "
                             f"W.shape = {self.W.shape})")
        return (x_shape[0], self.W.shape[0])

    def forward(self, x: ArrayLike) -> Array:
        """x (N, input_size) -> y (N, output_size)."""
        _, x, _ = self._checked("forward", x)
        return x @ self.W.T.astype(x.dtype, copy=False) + self.b.astype(x.dtype, copy=False)

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Grads:
        """dLdy (N, output_size) -> (dLdx (N, input_size), dLdW like W, dLdb (1, output_size))."""
        _, x, dLdy = self._checked_backprop(x, dLdy)
        return (dLdy @ self.W.astype(dLdy.dtype, copy=False), dLdy.T @ x,
                dLdy.sum(axis=0, keepdims=True))
