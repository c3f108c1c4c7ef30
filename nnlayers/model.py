"""A sequential model of kit layers: one call computes the loss and every parameter gradient.

    model = nn_sequential_model([conv, relu, pool, ..., flatten, linear], nn_cross_entropy_loss())
    step = model.train_step(x, labels)      # step.loss, step.logits, step.grads
    optimizer.step(model, step.grads)
    labels = model.predict(x_test)

``train_step`` keeps the activations of the forward pass in a local list and walks it
backwards, so nothing about a batch stays on the model afterwards.

``save`` writes every parameter and buffer (by the names the layers declare) to one ``.npz``
together with the architecture: each layer's class and configuration (``layer.config()``,
so validation-only arguments such as ``input_size`` do not count) and its array shapes.  It
writes a temporary file next to the target and moves it into place, so an interrupted save
never leaves a half-written file under the name.  ``load`` reads and checks the whole file
before it changes anything; a missing, truncated, damaged or foreign file, or one written
for another architecture, is a ValueError naming the file and what is wrong.
"""

import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, cast

import numpy as np
from numpy.typing import DTypeLike

from ._saving import read_model_file, write_atomically
from ._train_fast import fused_plan
from ._typing import Array, ArrayLike, PathLike
from ._validate import as_int, as_real_array, as_sequence, inner_errors, member_label

__all__ = ["nn_sequential_model", "TrainStep"]


@dataclass
class TrainStep:
    """What one training step computed: the mean loss, the logits (N, K), and one tuple of
    gradients per parameter layer, in the order of ``model.parameter_layers()``."""

    loss: float
    logits: Array
    grads: List[Tuple[Array, ...]]


def _params(layer):
    return tuple(layer.get_weights()) if hasattr(layer, "get_weights") else ()


def _buffer_holder(layer, name):
    """The object holding buffer ``name`` and the attribute's name: ``running_var``, or a
    dotted path into a container layer, ``body.1.running_var`` (``layer.body[1]``)."""
    *path, attribute = name.split(".")
    for part in path:
        layer = layer[int(part)] if part.isdigit() else getattr(layer, part)
    return layer, attribute


def _param_names(layer):
    names = tuple(getattr(layer, "param_names", ()))
    count = len(_params(layer))
    return names if len(names) == count else tuple(f"param{j}" for j in range(count))


def _check_protocol(where, name, obj):
    if isinstance(obj, type):
        raise TypeError(f"{where}: {name} is the class {obj.__name__}, not a layer; "
                        f"pass an instance such as {obj.__name__}(...)")
    if not (callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backprop", None))):
        raise TypeError(f"{where}: {name} ({type(obj).__name__}) has no forward/backprop "
                        f"methods")


def _check_path(where, path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where}: path must be a str or os.PathLike, got {type(path).__name__}")
    return os.fspath(path)


class nn_sequential_model:
    """Layers applied in order, then a loss (``forward(logits, labels)``/``backprop``)."""

    def __init__(self, layers: Sequence[Any], loss: Any) -> None:
        where = type(self).__name__
        layers = list(as_sequence(where, "layers", layers))
        if not layers:
            raise ValueError(f"{where}: layers must not be empty")
        for i, layer in enumerate(layers):
            _check_protocol(where, f"layers[{i}]", layer)
        _check_protocol(where, "loss", loss)
        self.layers, self.loss = layers, loss

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"{type(self).__name__}([\n  {inner}\n], {self.loss!r})"

    # -- parameters -----------------------------------------------------------------------
    def parameter_layers(self) -> List[Any]:
        """The layers that have parameters (``get_weights``), in order."""
        return [layer for layer in self.layers if _params(layer)]

    def parameters(self) -> List[Array]:
        """Every parameter array, in order: [W1, b1, W2, b2, ...] (the arrays themselves)."""
        return [p for layer in self.parameter_layers() for p in _params(layer)]

    def astype(self, dtype: DTypeLike) -> "nn_sequential_model":
        """Store every parameter in the floating ``dtype`` (e.g. float32 for training speed);
        returns the model."""
        where = f"{type(self).__name__}.astype"
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{where}: dtype must be a NumPy floating dtype, got "
                            f"{dtype!r}") from None
        if dtype.kind != "f":
            raise TypeError(f"{where}: dtype must be a floating dtype (float32, float64), "
                            f"got {dtype}")
        for layer in self.parameter_layers():
            layer.set_weights(*(np.asarray(p).astype(dtype) for p in _params(layer)))
        return self

    def train(self) -> "nn_sequential_model":
        """Put layers with a training mode (batch norm) in it; returns the model."""
        for layer in self.layers:
            if hasattr(layer, "train"):
                layer.train()
        return self

    def eval(self) -> "nn_sequential_model":
        """Put layers with an evaluation mode (batch norm) in it; returns the model."""
        for layer in self.layers:
            if hasattr(layer, "eval"):
                layer.eval()
        return self

    # -- computation ----------------------------------------------------------------------
    def forward(self, x: ArrayLike) -> Array:
        """x -> the last layer's output (the logits)."""
        return self._forward(f"{type(self).__name__}.forward", x)

    def _forward(self, where, x):
        """``forward``, with a layer's error naming ``where`` and the layer."""
        for i, layer in enumerate(self.layers):
            with inner_errors(where, member_label("layers", i, layer)):
                x = layer.forward(x)
        return cast(Array, x)   # the last layer's output: the logits (N, K)

    def train_step(self, x: ArrayLike, labels: ArrayLike) -> TrainStep:
        """Forward, loss, and backprop through every layer: returns a ``TrainStep``.

        Networks of the layers ``nnlayers._train_fast`` knows (convolution, ReLU, max
        pooling, flatten, linear, cross-entropy) run its fused step, which computes the same
        numbers faster; any other network runs ``train_step_layerwise``.
        """
        fused = fused_plan(self, x, labels)
        if fused is not None:
            return TrainStep(*fused.train_step(labels))
        return self.train_step_layerwise(x, labels)

    def train_step_layerwise(self, x: ArrayLike, labels: ArrayLike) -> TrainStep:
        """``train_step`` through each layer's own ``forward`` and ``backprop``, one by one.

        A layer with parameters must return ``(dLdx, dLd<p1>, ...)`` from backprop, as a
        tuple or a list; one without returns dLdx."""
        where = f"{type(self).__name__}.train_step"
        activations: List[Any] = [x]            # the input of every layer, local to this call
        for i, layer in enumerate(self.layers):
            with inner_errors(where, member_label("layers", i, layer)):
                activations.append(layer.forward(activations[-1]))
        logits = activations[-1]
        with inner_errors(where, f"loss ({type(self.loss).__name__})"):
            loss = float(self.loss.forward(logits, labels))
            upstream = self.loss.backprop(logits, labels)
        grads = []
        for i in reversed(range(len(self.layers))):
            layer = self.layers[i]
            with inner_errors(where, member_label("layers", i, layer)):
                result = layer.backprop(activations[i], upstream)
            count = len(_params(layer))
            if count:
                if not isinstance(result, (tuple, list)) or len(result) != 1 + count:
                    raise TypeError(f"{where}: layers[{i}] ({type(layer).__name__}) has {count} "
                                    f"parameters, so its backprop must return a tuple "
                                    f"(dLdx, then one gradient per parameter) of {1 + count}, "
                                    f"got {type(result).__name__}")
                upstream = result[0]
                grads.append(tuple(result[1:]))
            else:
                upstream = result
        grads.reverse()
        return TrainStep(loss, logits, grads)

    def predict_logits(self, x: ArrayLike, batch_size: int = 256) -> Array:
        """Logits (N, K) for x (N, ...) in batches of ``batch_size`` (bounded memory for any N);
        an empty batch gives (0, K)."""
        where = f"{type(self).__name__}.predict_logits"
        x = as_real_array(where, "x", x)
        if x.ndim == 0:
            raise ValueError(f"{where}: x must have a batch axis, got a 0-D array")
        batch_size = as_int(where, "batch_size", batch_size)
        if len(x) == 0:
            return self._forward(where, x)
        return np.concatenate([self._logits(where, x[i:i + batch_size])
                               for i in range(0, len(x), batch_size)])

    def _logits(self, where, x):
        """``forward(x)``, by the fused path of ``train_step`` where it applies."""
        fused = fused_plan(self, x)
        return self._forward(where, x) if fused is None else fused.logits()

    def predict(self, x: ArrayLike, batch_size: int = 256) -> Array:
        """The predicted class (N,) of each input: argmax of the logits, computed in batches."""
        return self.predict_logits(x, batch_size).argmax(axis=1)

    # -- torch ----------------------------------------------------------------------------
    def to_torch(self, input_ndim: Optional[int] = None) -> Any:
        """An equivalent ``torch.nn.Sequential`` with copies of the weights (see
        ``nnlayers.torch_bridge.to_torch``)."""
        from .torch_bridge import to_torch
        return to_torch(self, input_ndim)

    @staticmethod
    def from_torch(module: Any, loss: Any = None) -> "nn_sequential_model":
        """A kit model computing what the torch ``module`` computes (see
        ``nnlayers.torch_bridge.from_torch``); ``loss`` defaults to nn_cross_entropy_loss()."""
        from .torch_bridge import from_torch
        return from_torch(module, loss)

    # -- saving ---------------------------------------------------------------------------
    def architecture(self) -> Dict[str, Any]:
        """A JSON-able description: per layer its class, configuration (``config()``; None for
        a layer that declares none), and the shapes of its parameters and buffers by name."""
        record = []
        for layer in self.layers:
            config = layer.config() if callable(getattr(layer, "config", None)) else None
            record.append({
                "layer": type(layer).__name__,
                "config": config,
                "params": {name: list(np.shape(p)) for name, p in
                           zip(_param_names(layer), _params(layer))},
                "buffers": {name: list(np.shape(getattr(*_buffer_holder(layer, name))))
                            for name in getattr(layer, "buffer_names", ())},
            })
        return json.loads(json.dumps(record))   # tuples as lists, as the file holds them

    def _arrays(self):
        """``{key: array}`` of every parameter and buffer, keyed ``layer<i>/<name>``."""
        arrays = {}
        for i, layer in enumerate(self.layers):
            for name, p in zip(_param_names(layer), _params(layer)):
                arrays[f"layer{i}/{name}"] = np.asarray(p)
            for name in getattr(layer, "buffer_names", ()):
                arrays[f"layer{i}/{name}"] = np.asarray(getattr(*_buffer_holder(layer, name)))
        return arrays

    def save(self, path: PathLike) -> None:
        """Write all parameters and buffers, plus the architecture, to one ``.npz`` file at
        ``path`` (exactly that name), atomically: a temporary file, then ``os.replace``."""
        where = f"{type(self).__name__}.save"
        path = _check_path(where, path)
        arrays = self._arrays()
        arrays["architecture"] = np.array(json.dumps(self.architecture()))
        write_atomically(where, path, arrays)

    def load(self, path: PathLike) -> None:
        """Read what ``save`` wrote into this model's layers; nothing changes unless the whole
        file is sound and of this model's architecture (else a ValueError)."""
        where = f"{type(self).__name__}.load"
        path = _check_path(where, path)
        arrays = read_model_file(where, path, self.architecture(),
                                 {key: current.shape for key, current in self._arrays().items()})
        for i, layer in enumerate(self.layers):
            names = _param_names(layer)
            if names:
                layer.set_weights(*(arrays[f"layer{i}/{name}"] for name in names))
            for name in getattr(layer, "buffer_names", ()):
                holder, attribute = _buffer_holder(layer, name)
                setattr(holder, attribute, np.array(arrays[f"layer{i}/{name}"],
                                                    dtype=np.asarray(getattr(holder, attribute)).dtype))
