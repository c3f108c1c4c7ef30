"""Kit references in each course's layouts: what a homework layer must compute.

Each builder takes a case's ``config`` and the homework's parameters (as the homework holds
them) and returns an object with ``forward(x)`` and ``backprop(x, dLdy)`` whose gradients come
back in the homework's own layout (CS231n's affine ``w (D, M)`` is the kit's ``W.T``; a bias
``(F,)`` is the kit's ``(1, F, 1, 1)``).  Everything is computed by nnlayers, in float64.
"""

import numpy as np

import nnlayers as nl

from .reference import ReferenceError_, _param

__all__ = ["BUILDERS"]


class _InLayout:
    """A kit layer whose input is reshaped (``flatten``) and whose gradients are mapped back
    into the homework's layout (``to_homework``: one function per parameter gradient)."""

    def __init__(self, layer, to_homework=(), flatten=False, input_view=None):
        self.layer, self.to_homework, self.flatten = layer, list(to_homework), flatten
        self.input_view = input_view      # (to kit shape, back) for (N, C, W) as (N, C, 1, W)

    def _in(self, x):
        x = np.asarray(x, dtype=np.float64)
        if self.flatten:
            return x.reshape(x.shape[0], -1)
        return self.input_view[0](x) if self.input_view else x

    def forward(self, x):
        y = self.layer.forward(self._in(x))
        return self.input_view[1](y) if self.input_view else y

    def backprop(self, x, dLdy):
        x = np.asarray(x, dtype=np.float64)
        dy = self.input_view[0](dLdy) if self.input_view else dLdy
        result = self.layer.backprop(self._in(x), dy)
        grads = result if isinstance(result, tuple) else (result,)
        dx = grads[0].reshape(x.shape) if self.flatten else (
            self.input_view[1](grads[0]) if self.input_view else grads[0])
        return (dx,) + tuple(f(g) for f, g in zip(self.to_homework, grads[1:]))


class _Chain:
    """``second(first(x))`` where only ``second`` has parameters (MyTorch's ConvTranspose:
    upsample, then a stride-1 convolution)."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def forward(self, x):
        return self.second.forward(self.first.forward(x))

    def backprop(self, x, dLdy):
        inner = self.first.forward(x)
        grads = self.second.backprop(inner, dLdy)
        return (self.first.backprop(x, grads[0]),) + tuple(grads[1:])


_AS_4D = (lambda a: np.asarray(a)[:, :, None, :], lambda a: np.asarray(a)[:, :, 0, :])


def _keep(shape):
    return lambda g: np.asarray(g).reshape(shape)


def conv2d(config, params):
    kh, kw = config["kernel"]
    f, c = config["filters"], config["channels"]
    W = _param(params, 0, "W", (f, c, kh, kw), "(out_channels, in_channels, KH, KW)")
    b = _param(params, 1, "b", (1, f, 1, 1), "one bias per output channel")
    layer = nl.nn_convolutional_layer(kh, kw, 1, c, f, stride=config.get("stride", 1),
                                      padding=config.get("padding", 0))
    layer.set_weights(W, b)
    return _InLayout(layer, [_keep(np.shape(params[0])), _keep(np.shape(params[1]))])


def conv1d(config, params):
    k, f, c = config["kernel"], config["filters"], config["channels"]
    W = _param(params, 0, "W", (f, c, k), "(out_channels, in_channels, kernel_size)")
    b = _param(params, 1, "b", (1, f, 1), "one bias per output channel")
    layer = nl.nn_conv1d_layer(k, c, f, stride=config.get("stride", 1),
                               padding=config.get("padding", 0))
    layer.set_weights(W, b)
    return _InLayout(layer, [_keep(np.shape(params[0])), _keep(np.shape(params[1]))])


def transposed1d(config, params):
    """MyTorch's ConvTranspose1d: upsample by the factor, then a stride-1 convolution."""
    up = _InLayout(nl.nn_upsample_layer(config["factor"]), input_view=_AS_4D)
    return _Chain(up, conv1d(dict(config, stride=1), params))


def transposed2d(config, params):
    return _Chain(nl.nn_upsample_layer(config["factor"]), conv2d(dict(config, stride=1), params))


def maxpool2d(config, params=()):
    pool = config["pool"]
    return nl.nn_maxpool_layer(pool, config.get("stride", pool))


def meanpool2d(config, params=()):
    pool = config["pool"]
    return nl.nn_meanpool_layer(pool, config.get("stride", pool))


def upsample(config, params=()):
    layer = nl.nn_upsample_layer(config["factor"])
    return _InLayout(layer, input_view=_AS_4D) if config.get("dims") == 1 else layer


def downsample(config, params=()):
    layer = nl.nn_downsample_layer(config["factor"])
    return _InLayout(layer, input_view=_AS_4D) if config.get("dims") == 1 else layer


def flatten(config, params=()):
    return nl.nn_flatten_layer()


def linear(config, params):
    """``W (out, in)`` (the course's fc layer, torch's layout), bias of ``out`` values."""
    n_in, n_out = config["in"], config["out"]
    W = _param(params, 0, "W", (n_out, n_in), "(output_size, input_size)")
    b = _param(params, 1, "b", (1, n_out), "one bias per output")
    layer = nl.nn_linear_layer(n_in, n_out)
    layer.set_weights(W, b)
    return _InLayout(layer, [_keep(np.shape(params[0])), _keep(np.shape(params[1]))], flatten=True)


def affine(config, params):
    """CS231n's and the book's affine: ``out = x.reshape(N, D) @ w + b``, ``w (D, M)``."""
    d, m = config["in"], config["out"]
    w = _param(params, 0, "w", (d, m), "(D, M)")
    b = _param(params, 1, "b", (1, m), "(M,)")
    layer = nl.nn_linear_layer(d, m)
    layer.set_weights(w.T, b)
    return _InLayout(layer, [lambda g: np.asarray(g).T, _keep(np.shape(params[1]))], flatten=True)


def relu(config, params=()):
    return nl.nn_relu_layer()


def sigmoid(config, params=()):
    return nl.nn_sigmoid_layer()


def softmax(config, params=()):
    return nl.nn_softmax_layer()


def batchnorm(config, params):
    c = config["channels"]
    gamma = _param(params, 0, "gamma", (c,), "(C,)")
    beta = _param(params, 1, "beta", (c,), "(C,)")
    layer = nl.nn_batchnorm_layer(c, eps=config.get("eps", 1e-5))
    layer.set_weights(gamma, beta)
    return _InLayout(layer, [_keep(np.shape(params[0])), _keep(np.shape(params[1]))])


class _LossOfLogits:
    """Mean softmax cross-entropy of logits against the case's labels, as a layer of x."""

    def __init__(self, labels):
        self.loss, self.labels = nl.nn_cross_entropy_loss(), np.asarray(labels)

    def forward(self, x):
        return np.asarray(self.loss.forward(x, self.labels), dtype=np.float64)

    def backprop(self, x, dLdy):
        return float(np.asarray(dLdy)) * self.loss.backprop(x, self.labels)


class _LossOfProbabilities:
    """The course's cross-entropy layer after its softmax layer: ``x`` holds probabilities,
    ``L = -mean_n log x[n, y_n]``, ``dL/dx = -onehot / (N * x)``."""

    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.shape[0] != len(self.labels):
            raise ReferenceError_(f"x has {x.shape[0]} rows for {len(self.labels)} labels")
        return np.asarray(-np.mean(np.log(x[np.arange(len(self.labels)), self.labels])))

    def backprop(self, x, dLdy):
        x = np.asarray(x, dtype=np.float64)
        grad = np.zeros_like(x)
        rows = np.arange(len(self.labels))
        grad[rows, self.labels] = -1.0 / (len(self.labels) * x[rows, self.labels])
        return float(np.asarray(dLdy)) * grad


def loss_of_logits(config, params=()):
    return _LossOfLogits(config["labels"])


def loss_of_probabilities(config, params=()):
    return _LossOfProbabilities(config["labels"])


BUILDERS = {
    "conv2d": conv2d, "conv1d": conv1d, "transposed1d": transposed1d,
    "transposed2d": transposed2d, "maxpool2d": maxpool2d, "meanpool2d": meanpool2d,
    "upsample": upsample, "downsample": downsample, "flatten": flatten, "linear": linear,
    "affine": affine, "relu": relu, "sigmoid": sigmoid, "softmax": softmax,
    "batchnorm": batchnorm, "loss_of_logits": loss_of_logits,
    "loss_of_probabilities": loss_of_probabilities,
}
