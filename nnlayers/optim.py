"""Optimizers that update any layer through ``get_weights`` / ``update_weights``.

    nn_sgd_optimizer(lr, momentum=0, weight_decay=0)
        g = grad + weight_decay * p;  buf = g (first step), else momentum * buf + g
        p -= lr * buf                                  (torch.optim.SGD, dampening 0)
    nn_adam_optimizer(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
        g = grad + weight_decay * p;  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g**2
        p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)   (torch.optim.Adam)

``step(model_or_layers, grads)`` takes the parameter layers (a model's
``parameter_layers()``) and one tuple of gradients per layer (``TrainStep.grads``), and calls
``layer.update_weights(*deltas)``.  State (momentum buffers, moments) lives on the optimizer,
keyed by the layer's position.
"""

import math
import numbers

import numpy as np

__all__ = ["nn_sgd_optimizer", "nn_adam_optimizer"]


def _real(where, name, value, low, high=math.inf, low_inclusive=True):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be a real number, got {value!r}")
    ok = (low <= value if low_inclusive else low < value) and value < high
    if not ok:
        left = "[" if low_inclusive else "("
        raise ValueError(f"{where}: {name} must be in {left}{low}, {high}), got {value}")
    return float(value)


def _layers_and_grads(where, model_or_layers, grads):
    layers = (model_or_layers.parameter_layers() if hasattr(model_or_layers, "parameter_layers")
              else list(model_or_layers))
    if len(layers) != len(grads):
        raise ValueError(f"{where}: {len(grads)} gradient tuples for {len(layers)} parameter layers")
    return layers


class _Optimizer:
    name = "optimizer"

    def __init__(self, lr, weight_decay):
        self.lr = _real(self.name, "lr", lr, 0, low_inclusive=False)
        self.weight_decay = _real(self.name, "weight_decay", weight_decay, 0)
        self.state = {}

    def step(self, model_or_layers, grads):
        """Update every parameter layer once from its gradients."""
        where = f"{self.name}.step"
        layers = _layers_and_grads(where, model_or_layers, grads)
        for index, (layer, layer_grads) in enumerate(zip(layers, grads)):
            params = layer.get_weights()
            if len(params) != len(layer_grads):
                raise ValueError(f"{where}: layer {index} has {len(params)} parameters but "
                                 f"{len(layer_grads)} gradients")
            deltas = [self._delta((index, j), p, g) for j, (p, g) in enumerate(zip(params, layer_grads))]
            layer.update_weights(*deltas)


class nn_sgd_optimizer(_Optimizer):
    """Stochastic gradient descent with momentum and (L2) weight decay, as torch.optim.SGD."""

    name = "nn_sgd_optimizer"

    def __init__(self, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum = _real(self.name, "momentum", momentum, 0, 1)

    def _delta(self, key, p, g):
        g = g + self.weight_decay * p if self.weight_decay else g
        if self.momentum:
            buf = self.state.get(key)
            buf = np.array(g, copy=True) if buf is None else self.momentum * buf + g
            self.state[key] = buf
            g = buf
        return -self.lr * g


class nn_adam_optimizer(_Optimizer):
    """Adam with bias correction and (L2) weight decay, as torch.optim.Adam."""

    name = "nn_adam_optimizer"

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise TypeError(f"{self.name}: betas must be a pair, got {betas!r}")
        self.betas = tuple(_real(self.name, "betas", b, 0, 1) for b in betas)
        self.eps = _real(self.name, "eps", eps, 0, low_inclusive=False)

    def _delta(self, key, p, g):
        b1, b2 = self.betas
        g = g + self.weight_decay * p if self.weight_decay else g
        t, m, v = self.state.get(key, (0, np.zeros_like(g), np.zeros_like(g)))
        t += 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        self.state[key] = (t, m, v)
        # The same order of operations as torch.optim.Adam, so results agree to rounding.
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + self.eps
        return -(self.lr / (1 - b1 ** t)) * m / denom
