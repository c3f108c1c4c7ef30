"""Batch normalisation per channel, with torch's training and evaluation modes.

Shapes:
    x   (N, C, H, W)   statistics per channel over (N, H, W)
    x   (N, C)         statistics per channel over N
    gamma, beta (C,)   the scale and shift, as torch.nn.BatchNorm's weight and bias

Training mode (the default, ``train()``):
    xhat = (x - mean) / sqrt(var + eps)   with the batch's mean and biased variance
    y    = gamma * xhat + beta
    and each forward updates the running estimates:
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var  = (1 - momentum) * running_var  + momentum * var'
    backprop recomputes the batch statistics from x, so it does not depend on what forward
    was called with before.
Evaluation mode (``eval()``): the running estimates replace the batch statistics.

The running-variance convention (``convention=``) says what ``var'`` is and where the
running variance starts; the outputs and gradients in training mode are the same in all:

    convention   var'                               running_var starts at   used by
    "torch"      var * m / (m - 1)   (unbiased)     1                       torch.nn.BatchNorm*d (default)
    "mytorch"    var                 (biased)       1                       CMU 11-785 MyTorch BatchNorm1d/2d
    "cs231n"     var                 (biased)       0                       CS231n batchnorm_forward

(m values per channel; running_mean starts at 0 in all three.)  The courses write the update
as ``running = alpha * running + (1 - alpha) * batch``: their ``alpha`` (MyTorch's, 0.9) or
``momentum`` (CS231n's, 0.9) is ``1 - momentum`` here.  MyTorch also uses ``eps = 1e-8``.

backprop returns ``(dLdx, dLdgamma, dLdbeta)`` in both modes.  ``replay(x)`` is forward
without updating the running estimates (what a residual block's backprop recomputes).
"""

import math

from typing import Tuple

import numpy as np

from ._layer import Layer
from ._modes import TrainingModes
from ._typing import Array, ArrayLike, Config, Grads
from ._validate import as_int, as_real, check_nbytes

__all__ = ["nn_batchnorm_layer", "CONVENTIONS"]

# convention -> (running_var uses the unbiased batch variance, running_var's starting value)
CONVENTIONS = {"torch": (True, 1.0), "mytorch": (False, 1.0), "cs231n": (False, 0.0)}


class nn_batchnorm_layer(TrainingModes, Layer):
    """Per-channel batch normalisation with learnable ``gamma`` (ones) and ``beta`` (zeros)."""

    param_names = ("gamma", "beta")
    buffer_names = ("running_mean", "running_var")   # changed by forward in training mode
    input_ndim = (2, 4)

    def __init__(self, num_channels: int, eps: float = 1e-5, momentum: float = 0.1, *,
                 convention: str = "torch") -> None:
        where = type(self).__name__
        c = as_int(where, "num_channels", num_channels)
        check_nbytes(where, "each of gamma, beta and the running statistics", (c,), np.float64)
        self.eps = as_real(where, "eps", eps, 0, low_open=True, high=np.inf, high_open=True)
        self.momentum = as_real(where, "momentum", momentum, 0, 1)
        if not isinstance(convention, str):
            raise TypeError(f"{where}: convention must be a string, got {convention!r}")
        if convention not in CONVENTIONS:
            raise ValueError(f"{where}: convention must be one of {sorted(CONVENTIONS)}, "
                             f"got {convention!r}")
        self.convention = convention
        self.gamma, self.beta = np.ones(c), np.zeros(c)
        self.running_mean = np.zeros(c)
        self.running_var = np.full(c, CONVENTIONS[convention][1])
        self.training = True

    def config(self) -> Config:
        return {"num_channels": self.gamma.size, "eps": self.eps, "momentum": self.momentum,
                "convention": self.convention}

    def _output_shape(self, where, x_shape):
        c = self.gamma.size
        if x_shape[1] != c:
            raise ValueError(f"{where}: x has {x_shape[1]} channels, the layer normalises {c} "
                             f"(x.shape = {tuple(x_shape)})")
        if self.training and math.prod(x_shape) // c < 2:
            raise ValueError(f"{where}: training needs more than one value per channel to "
                             f"estimate a variance, got x.shape = {tuple(x_shape)}")
        return tuple(x_shape)

    def _axes(self, x):
        """The reduction axes, the per-channel broadcast shape, and values per channel."""
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        return axes, (1, x.shape[1]) + (1,) * (x.ndim - 2), x.size // x.shape[1]

    def _statistics(self, x: Array, axes: Tuple[int, ...]) -> Tuple[Array, Array]:
        if self.training:
            return x.mean(axis=axes), x.var(axis=axes)
        return self.running_mean.astype(x.dtype), self.running_var.astype(x.dtype)

    def forward(self, x: ArrayLike) -> Array:
        """x (N, C[, H, W]) -> y of the same shape; in training mode, updates the running estimates."""
        _, x, _ = self._checked("forward", x)
        axes, shape, m = self._axes(x)
        mean, var = self._statistics(x, axes)
        if self.training:
            k = self.momentum
            unbiased = CONVENTIONS[self.convention][0]
            self.running_mean = (1 - k) * self.running_mean + k * mean
            self.running_var = (1 - k) * self.running_var + k * var * (m / (m - 1) if unbiased else 1)
        return self._normalise(x, mean, var, shape)

    def replay(self, x: ArrayLike) -> Array:
        """forward(x) without updating the running estimates: x (N, C[, H, W]) -> y like x."""
        _, x, _ = self._checked("replay", x)
        axes, shape, _ = self._axes(x)
        return self._normalise(x, *self._statistics(x, axes), shape)

    def _normalise(self, x, mean, var, shape):
        xhat = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + self.eps)
        return self.gamma.astype(x.dtype).reshape(shape) * xhat + self.beta.astype(x.dtype).reshape(shape)

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Grads:
        """dLdy like x -> (dLdx like x, dLdgamma (C,), dLdbeta (C,))."""
        _, x, dLdy = self._checked_backprop(x, dLdy)
        axes, shape, _ = self._axes(x)
        mean, var = self._statistics(x, axes)
        inv_std = 1 / np.sqrt(var.reshape(shape) + self.eps)
        xhat = (x - mean.reshape(shape)) * inv_std
        dgamma, dbeta = (dLdy * xhat).sum(axis=axes), dLdy.sum(axis=axes)
        scale = self.gamma.astype(x.dtype).reshape(shape) * inv_std
        if not self.training:
            return dLdy * scale, dgamma, dbeta
        # The batch mean and variance depend on every x too; their share of the gradient:
        dx = scale * (dLdy - dLdy.mean(axis=axes, keepdims=True)
                      - xhat * (dLdy * xhat).mean(axis=axes, keepdims=True))
        return dx, dgamma, dbeta
