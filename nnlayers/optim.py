"""Optimizers that update any layer through ``get_weights`` / ``update_weights``.

    nn_sgd_optimizer(lr, momentum=0, weight_decay=0)
        g = grad + weight_decay * p;  buf = g (first step), else momentum * buf + g
        p -= lr * buf                                  (torch.optim.SGD, dampening 0)
    nn_adam_optimizer(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
        g = grad + weight_decay * p;  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g**2
        p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)   (torch.optim.Adam)

``step(model_or_layers, grads)`` takes a model (its ``parameter_layers()``) or a list of
parameter layers, and one tuple or list of gradients per layer (``TrainStep.grads``), and
calls ``layer.update_weights(*deltas)``.  A step is atomic: every gradient is checked
(container, count, shape, real numbers) before any state or weight changes, so a rejected
step leaves the optimizer and the model exactly as they were.  State (momentum buffers,
moments) lives on the optimizer, keyed by the layer's position.
"""

import math
from typing import Any, Callable, Dict, Sequence, Tuple

import numpy as np

from ._typing import Array, ArrayLike
from ._validate import as_real, as_real_array, as_sequence, check_shape

__all__ = ["nn_sgd_optimizer", "nn_adam_optimizer"]


def _checked_step(where, model_or_layers, grads):
    """``[(layer, params, grads), ...]`` after checking everything a step will use."""
    if hasattr(model_or_layers, "parameter_layers"):
        layers = model_or_layers.parameter_layers()
    else:
        layers = as_sequence(where, "model_or_layers", model_or_layers)
    grads = as_sequence(where, "grads", grads)
    if len(grads) != len(layers):
        raise ValueError(f"{where}: {len(grads)} gradient tuples for {len(layers)} parameter "
                         f"layers")
    checked = []
    for i, (layer, layer_grads) in enumerate(zip(layers, grads)):
        if isinstance(layer, type) or not (callable(getattr(layer, "get_weights", None))
                                           and callable(getattr(layer, "update_weights", None))):
            raise TypeError(f"{where}: layer {i} ({type(layer).__name__}) has no "
                            f"get_weights/update_weights")
        params = tuple(layer.get_weights())
        layer_grads = as_sequence(where, f"grads[{i}]", layer_grads)
        if len(layer_grads) != len(params):
            raise ValueError(f"{where}: layer {i} has {len(params)} parameters but "
                             f"{len(layer_grads)} gradients")
        arrays = []
        for j, (p, g) in enumerate(zip(params, layer_grads)):
            g = as_real_array(where, f"grads[{i}][{j}]", g)
            check_shape(where, f"grads[{i}][{j}]", g, np.shape(p), f"the shape of layer {i}'s "
                        f"parameter {j}")
            arrays.append(g)
        checked.append((layer, params, arrays))
    return checked


class _Optimizer:
    # subclasses: the change of parameter p (gradient g) for the state entry at key
    _delta: Callable[[Tuple[int, int], Array, Array], Array]

    @property
    def name(self) -> str:
        """The optimizer's class name, as its messages give it."""
        return type(self).__name__

    def __init__(self, lr: float, weight_decay: float) -> None:
        where = type(self).__name__
        self.lr = as_real(where, "lr", lr, 0, math.inf, low_open=True, high_open=True)
        self.weight_decay = as_real(where, "weight_decay", weight_decay, 0, math.inf,
                                    high_open=True)
        self.state: Dict[Tuple[int, int], Any] = {}

    def step(self, model_or_layers: Any, grads: Sequence[Sequence[ArrayLike]]) -> None:
        """Update every parameter layer once from its gradients (all checked first)."""
        where = f"{type(self).__name__}.step"
        checked = _checked_step(where, model_or_layers, grads)
        self._check_state(where, checked)
        for index, (layer, params, layer_grads) in enumerate(checked):
            layer.update_weights(*(self._delta((index, j), p, g)
                                   for j, (p, g) in enumerate(zip(params, layer_grads))))

    def _check_state(self, where, checked):
        """A ValueError when a kept state entry (a momentum buffer, a moment) no longer has
        its parameter's shape: the optimizer was stepping another model's parameters."""
        for index, (_, params, _) in enumerate(checked):
            for j, p in enumerate(params):
                entry = self.state.get((index, j))
                if entry is None:
                    continue
                kept = np.shape(entry[1] if isinstance(entry, tuple) else entry)
                if kept != np.shape(p):
                    raise ValueError(f"{where}: layer {index}'s parameter {j} has shape "
                                     f"{np.shape(p)}, but this optimizer's state for it has "
                                     f"shape {kept}: it was stepping another model (use a new "
                                     f"optimizer for each model)")


class nn_sgd_optimizer(_Optimizer):
    """Stochastic gradient descent with momentum and (L2) weight decay, as torch.optim.SGD."""

    def __init__(self, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.momentum = as_real(type(self).__name__, "momentum", momentum, 0, 1, high_open=True)

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

    def __init__(self, lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        where = type(self).__name__
        betas = as_sequence(where, "betas", betas, 2)
        self.betas = tuple(as_real(where, "betas", b, 0, 1, high_open=True) for b in betas)
        self.eps = as_real(where, "eps", eps, 0, math.inf, low_open=True, high_open=True)

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
