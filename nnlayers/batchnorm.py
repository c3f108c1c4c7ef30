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

import numbers

import numpy as np

from ._modes import TrainingModes
from ._params import add_in_place, replaced
from ._validate import as_positive_int, layer_input, layer_upstream

__all__ = ["nn_batchnorm_layer", "CONVENTIONS"]

# convention -> (running_var uses the unbiased batch variance, running_var's starting value)
CONVENTIONS = {"torch": (True, 1.0), "mytorch": (False, 1.0), "cs231n": (False, 0.0)}


class nn_batchnorm_layer(TrainingModes):
    """Per-channel batch normalisation with learnable ``gamma`` (ones) and ``beta`` (zeros)."""

    param_names = ("gamma", "beta")   # what get_weights returns, for reports such as gradcheck's
    buffer_names = ("running_mean", "running_var")   # state that a saved model keeps too

    def __init__(self, num_channels, eps=1e-5, momentum=0.1, *, convention="torch"):
        where = "nn_batchnorm_layer"
        c = as_positive_int(where, "num_channels", num_channels)
        for name, value, low, high in (("eps", eps, 0, np.inf), ("momentum", momentum, 0, 1)):
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                raise TypeError(f"{where}: {name} must be a real number, got {value!r}")
            if not (low < value <= high if name == "eps" else low <= value <= high):
                bounds = "> 0" if name == "eps" else "in [0, 1]"
                raise ValueError(f"{where}: {name} must be {bounds}, got {value}")
        if not isinstance(convention, str):
            raise TypeError(f"{where}: convention must be a string, got {convention!r}")
        if convention not in CONVENTIONS:
            raise ValueError(f"{where}: convention must be one of {sorted(CONVENTIONS)}, "
                             f"got {convention!r}")
        self.eps, self.momentum, self.convention = float(eps), float(momentum), convention
        self.gamma, self.beta = np.ones(c), np.zeros(c)
        self.running_mean = np.zeros(c)
        self.running_var = np.full(c, CONVENTIONS[convention][1])
        self.training = True

    def __repr__(self):
        return (f"nn_batchnorm_layer(num_channels={self.gamma.size}, eps={self.eps}, "
                f"momentum={self.momentum}, convention={self.convention!r})")

    def get_weights(self):
        """``(gamma, beta)``, each (C,)."""
        return self.gamma, self.beta

    def set_weights(self, gamma, beta):
        self.gamma, self.beta = replaced("nn_batchnorm_layer.set_weights", (self.gamma, self.beta),
                                         (gamma, beta), (("gamma", "one per channel"),
                                                         ("beta", "one per channel")))

    def update_weights(self, dgamma, dbeta):
        """``gamma += dgamma``, ``beta += dbeta``."""
        add_in_place("nn_batchnorm_layer.update_weights", (self.gamma, self.beta),
                     (dgamma, dbeta), (("dgamma", "the shape of gamma"), ("dbeta", "the shape of beta")))

    def _prepare(self, where, x):
        """x, the reduction axes, the per-channel broadcast shape, and values per channel."""
        x = layer_input(where, x, (2, 4))
        c = self.gamma.size
        if x.shape[1] != c:
            raise ValueError(f"{where}: x has {x.shape[1]} channels, the layer normalises {c} "
                             f"(x.shape = {x.shape})")
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        per_channel = x.size // c
        if self.training and per_channel < 2:
            raise ValueError(f"{where}: training needs more than one value per channel to "
                             f"estimate a variance, got x.shape = {x.shape}")
        shape = (1, c) + (1,) * (x.ndim - 2)
        return x, axes, shape, per_channel

    def _statistics(self, x, axes):
        if self.training:
            return x.mean(axis=axes), x.var(axis=axes)
        return self.running_mean.astype(x.dtype), self.running_var.astype(x.dtype)

    def forward(self, x):
        """x (N, C[, H, W]) -> y of the same shape; in training mode, updates the running estimates."""
        x, axes, shape, m = self._prepare("nn_batchnorm_layer.forward", x)
        mean, var = self._statistics(x, axes)
        if self.training:
            k = self.momentum
            unbiased = CONVENTIONS[self.convention][0]
            self.running_mean = (1 - k) * self.running_mean + k * mean
            self.running_var = (1 - k) * self.running_var + k * var * (m / (m - 1) if unbiased else 1)
        return self._normalise(x, mean, var, shape)

    def replay(self, x):
        """forward(x) without updating the running estimates: x (N, C[, H, W]) -> y like x."""
        x, axes, shape, _ = self._prepare("nn_batchnorm_layer.replay", x)
        return self._normalise(x, *self._statistics(x, axes), shape)

    def _normalise(self, x, mean, var, shape):
        xhat = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + self.eps)
        return self.gamma.astype(x.dtype).reshape(shape) * xhat + self.beta.astype(x.dtype).reshape(shape)

    def backprop(self, x, dLdy):
        """dLdy like x -> (dLdx like x, dLdgamma (C,), dLdbeta (C,))."""
        where = "nn_batchnorm_layer.backprop"
        x, axes, shape, _ = self._prepare(where, x)
        dLdy = layer_upstream(where, dLdy, x.shape, x.dtype)
        x = x.astype(dLdy.dtype, copy=False)
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
