"""A sequential model of kit layers: one call computes the loss and every parameter gradient.

    model = nn_sequential_model([conv, relu, pool, ..., flatten, linear], nn_cross_entropy_loss())
    step = model.train_step(x, labels)      # step.loss, step.logits, step.grads
    optimizer.step(model, step.grads)
    labels = model.predict(x_test)

``train_step`` keeps the activations of the forward pass in a local list and walks it
backwards, so nothing about a batch stays on the model afterwards.  ``save`` writes every
parameter (and batch-norm running statistics) to one ``.npz`` together with a description of
the architecture; ``load`` refuses a file written for another architecture.
"""

import json
from dataclasses import dataclass

import numpy as np

from ._train_fast import fused_plan
from ._validate import as_positive_int

__all__ = ["nn_sequential_model", "TrainStep"]


@dataclass
class TrainStep:
    """What one training step computed: the mean loss, the logits (N, K), and one tuple of
    gradients per parameter layer, in the order of ``model.parameter_layers()``."""

    loss: float
    logits: np.ndarray
    grads: list


def _params(layer):
    return tuple(layer.get_weights()) if hasattr(layer, "get_weights") else ()


class nn_sequential_model:
    """Layers applied in order, then a loss (``forward(logits, labels)``/``backprop``)."""

    def __init__(self, layers, loss):
        layers = list(layers)
        if not layers:
            raise ValueError("nn_sequential_model: layers must not be empty")
        for i, layer in enumerate(layers):
            if not (callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backprop", None))):
                raise TypeError(f"nn_sequential_model: layers[{i}] ({type(layer).__name__}) has no "
                                f"forward/backprop methods")
        if not (callable(getattr(loss, "forward", None)) and callable(getattr(loss, "backprop", None))):
            raise TypeError(f"nn_sequential_model: loss ({type(loss).__name__}) has no forward/backprop")
        self.layers, self.loss = layers, loss

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"nn_sequential_model([\n  {inner}\n], {self.loss!r})"

    # -- parameters -----------------------------------------------------------------------
    def parameter_layers(self):
        """The layers that have parameters (``get_weights``), in order."""
        return [layer for layer in self.layers if _params(layer)]

    def parameters(self):
        """Every parameter array, in order: [W1, b1, W2, b2, ...] (the arrays themselves)."""
        return [p for layer in self.parameter_layers() for p in _params(layer)]

    def astype(self, dtype):
        """Store every parameter in ``dtype`` (e.g. float32 for training speed); returns the model."""
        for layer in self.parameter_layers():
            layer.set_weights(*(np.asarray(p).astype(dtype) for p in _params(layer)))
        return self

    def train(self):
        """Put layers with a training mode (batch norm) in it; returns the model."""
        for layer in self.layers:
            if hasattr(layer, "train"):
                layer.train()
        return self

    def eval(self):
        """Put layers with an evaluation mode (batch norm) in it; returns the model."""
        for layer in self.layers:
            if hasattr(layer, "eval"):
                layer.eval()
        return self

    # -- computation ----------------------------------------------------------------------
    def forward(self, x):
        """x -> the last layer's output (the logits)."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def train_step(self, x, labels):
        """Forward, loss, and backprop through every layer: returns a ``TrainStep``.

        Networks of the layers ``nnlayers._train_fast`` knows (convolution, ReLU, max
        pooling, flatten, linear, cross-entropy) run its fused step, which computes the same
        numbers faster; any other network runs ``train_step_layerwise``.
        """
        fused = fused_plan(self, x, labels)
        if fused is not None:
            return TrainStep(*fused.train_step(labels))
        return self.train_step_layerwise(x, labels)

    def train_step_layerwise(self, x, labels):
        """``train_step`` through each layer's own ``forward`` and ``backprop``, one by one."""
        activations = [x]                       # the input of every layer, local to this call
        for layer in self.layers:
            activations.append(layer.forward(activations[-1]))
        logits = activations[-1]
        loss = float(self.loss.forward(logits, labels))
        upstream = self.loss.backprop(logits, labels)
        grads = []
        for layer, layer_input in zip(reversed(self.layers), reversed(activations[:-1])):
            result = layer.backprop(layer_input, upstream)
            if isinstance(result, tuple):
                upstream, layer_grads = result[0], tuple(result[1:])
                grads.append(layer_grads)
            else:
                upstream = result
        grads.reverse()
        return TrainStep(loss, logits, grads)

    def predict_logits(self, x, batch_size=256):
        """Logits for x in batches of ``batch_size`` (bounded memory for any N)."""
        batch_size = as_positive_int("nn_sequential_model.predict", "batch_size", batch_size)
        parts = [self._logits(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0,))

    def _logits(self, x):
        """``forward(x)``, by the fused path of ``train_step`` where it applies."""
        fused = fused_plan(self, x)
        return self.forward(x) if fused is None else fused.logits()

    def predict(self, x, batch_size=256):
        """The predicted class of each input: argmax of the logits, computed in batches."""
        return self.predict_logits(x, batch_size).argmax(axis=1)

    # -- saving ---------------------------------------------------------------------------
    def architecture(self):
        """A JSON-able description: each layer's repr and its parameter shapes."""
        return [{"layer": repr(layer), "params": [list(p.shape) for p in _params(layer)]}
                for layer in self.layers]

    def save(self, path):
        """Write all parameters and buffers, plus the architecture, to one ``.npz`` file."""
        arrays = {"architecture": np.array(json.dumps(self.architecture()))}
        for i, layer in enumerate(self.layers):
            for j, p in enumerate(_params(layer)):
                arrays[f"layer{i}/param{j}"] = p
            for name in getattr(layer, "buffer_names", ()):
                arrays[f"layer{i}/{name}"] = getattr(layer, name)
        with open(path, "wb") as f:
            np.savez(f, **arrays)

    def load(self, path):
        """Read parameters saved by ``save``; a file of another architecture is a ValueError."""
        with np.load(path, allow_pickle=False) as data:
            if "architecture" not in data:
                raise ValueError(f"nn_sequential_model.load: {path} was not written by "
                                 f"nn_sequential_model.save (no architecture record)")
            saved = json.loads(str(data["architecture"]))
            mine = self.architecture()
            if saved != mine:
                diff = next((i for i, (a, b) in enumerate(zip(saved, mine)) if a != b), min(len(saved), len(mine)))
                got = saved[diff]["layer"] if diff < len(saved) else "(no layer)"
                want = mine[diff]["layer"] if diff < len(mine) else "(no layer)"
                raise ValueError(f"nn_sequential_model.load: {path} holds another architecture: "
                                 f"layer {diff} is {got} in the file, {want} in this model "
                                 f"({len(saved)} vs {len(mine)} layers)")
            for i, layer in enumerate(self.layers):
                params = _params(layer)
                if params:
                    layer.set_weights(*(data[f"layer{i}/param{j}"] for j in range(len(params))))
                for name in getattr(layer, "buffer_names", ()):
                    setattr(layer, name, np.array(data[f"layer{i}/{name}"]))
