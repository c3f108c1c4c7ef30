"""A residual block: the sum of two branches of layers applied to the same input.

    y = body(x) + shortcut(x)        body, shortcut: lists of layers applied in order;
                                     shortcut=None (or []) is the identity

Shapes: x is whatever the first layer of each branch takes; both branches must give the
same shape, which is y's.  For HW2P1's ResBlock (see ``examples/resblock_hw2p1.py``):
    body     = [conv k s p, batch norm, ReLU, conv 1x1, batch norm]
    shortcut = [conv k s p, batch norm]     (None when the shapes already agree)
followed by a ReLU after the block.

The block has the layer protocol, so it goes into ``nn_sequential_model`` like any layer:
- ``get_weights()`` is every parameter of the inner layers in a stable order: the body's
  layers first, then the shortcut's, each layer's parameters in its own ``get_weights()``
  order; ``param_names`` says which is which (``"body.0.W"``, ``"shortcut.1.gamma"``, ...).
  ``set_weights`` / ``update_weights`` take them in that order; ``backprop(x, dLdy)`` returns
  ``(dLdx, *gradients)`` in that order, or dLdx alone when no inner layer has parameters.
- ``buffer_names`` names the inner layers' buffers the same way (``"body.1.running_mean"``),
  so a saved model keeps batch-norm statistics inside blocks too.
- ``train()`` / ``eval()`` reach every inner layer.

backprop recomputes the inner activations from x (the block keeps nothing between calls),
with each inner layer's ``replay`` where it has one: batch norm then does not update its
running statistics a second time, and dropout reuses the mask of its forward.  The cost is
one more forward pass of both branches.  A layer object should appear once in a block.
"""

from typing import Any, Optional, Sequence, Tuple, Union

from ._layer import Layer
from ._typing import Array, ArrayLike, Config
from ._validate import inner_errors, layer_input, layer_upstream, member_label

__all__ = ["nn_residual_block"]


def _layer_list(where, name, layers):
    """``layers`` (a list or tuple of layer objects) as a new list, each checked."""
    if not isinstance(layers, (list, tuple)):
        raise TypeError(f"{where}: {name} must be a list of layers, got "
                        f"{type(layers).__name__}")
    for i, layer in enumerate(layers):
        if isinstance(layer, type):
            raise TypeError(f"{where}: {name}[{i}] is the class {layer.__name__}, not a layer; "
                            f"create one, e.g. {layer.__name__}(...)")
        if not (callable(getattr(layer, "forward", None))
                and callable(getattr(layer, "backprop", None))):
            raise TypeError(f"{where}: {name}[{i}] ({type(layer).__name__}) has no "
                            f"forward/backprop methods")
    return list(layers)


def _params(layer):
    return tuple(layer.get_weights()) if hasattr(layer, "get_weights") else ()


def _param_names(layer):
    """The layer's ``param_names``, else W, b, param2, ... as gradcheck names them."""
    names = tuple(getattr(layer, "param_names", ()))
    count = len(_params(layer))
    if len(names) == count:
        return names
    return (("W", "b") + tuple(f"param{i}" for i in range(2, count)))[:count]


def _run(where, branch, layers, x, method):
    """The input of every layer, then the last output: [x, h1, ..., y].  An inner layer's
    error names the block's method and the layer (``body[0] (nn_convolutional_layer)``)."""
    values = [x]
    for i, layer in enumerate(layers):
        with inner_errors(where, member_label(branch, i, layer)):
            values.append(getattr(layer, method, layer.forward)(values[-1]))
    return values


def _backprop_through(where, branch, layers, inputs, upstream):
    """dL/d(branch input) and the branch's parameter gradients, in get_weights order."""
    grads = []
    for i in reversed(range(len(layers))):
        layer = layers[i]
        with inner_errors(where, member_label(branch, i, layer)):
            result = layer.backprop(inputs[i], upstream)
        if isinstance(result, (tuple, list)):
            upstream, grads = result[0], list(result[1:]) + grads
        else:
            upstream = result
    return upstream, grads


def _describe(layer):
    """One inner layer as data: its class name and configuration (None if it declares none)."""
    config = layer.config() if callable(getattr(layer, "config", None)) else None
    return {"layer": type(layer).__name__, "config": config}


class nn_residual_block(Layer):
    """``y = body(x) + shortcut(x)``; the shortcut is the identity by default.

    Parameters
    ----------
    body : list of layers          applied in order, at least one
    shortcut : list of layers or None    None or [] for the identity
    """

    def __init__(self, body: Sequence[Any], shortcut: Optional[Sequence[Any]] = None) -> None:
        where = type(self).__name__
        self.body = _layer_list(where, "body", body)
        if not self.body:
            raise ValueError(f"{where}: body must hold at least one layer")
        self.shortcut = [] if shortcut is None else _layer_list(where, "shortcut", shortcut)

    def config(self) -> Config:
        """The inner layers as data: ``{"body": [{"layer": name, "config": {...}}, ...],
        "shortcut": [...]}``, so a saved model records the block's architecture."""
        return {"body": [_describe(layer) for layer in self.body],
                "shortcut": [_describe(layer) for layer in self.shortcut]}

    def _output_shape(self, where, x_shape):
        """Both branches' output shapes, from the inner layers' ``output_shape``."""
        shapes = []
        for branch, layers in (("body", self.body), ("shortcut", self.shortcut)):
            shape = tuple(x_shape)
            for i, layer in enumerate(layers):
                if not callable(getattr(layer, "output_shape", None)):
                    raise TypeError(f"{where}: {type(layer).__name__} does not declare "
                                    f"output_shape, so the block's cannot be computed")
                with inner_errors(where, member_label(branch, i, layer)):
                    shape = tuple(layer.output_shape(shape))
            shapes.append(shape)
        if shapes[0] != shapes[1]:
            raise ValueError(f"{where}: the body gives shape {shapes[0]} and the shortcut "
                             f"{shapes[1]}; they must match to be added "
                             f"(x.shape = {tuple(x_shape)})")
        return shapes[0]

    def __repr__(self):
        body = ", ".join(repr(layer) for layer in self.body)
        shortcut = (f"[{', '.join(repr(layer) for layer in self.shortcut)}]" if self.shortcut
                    else "None")
        return f"{type(self).__name__}(body=[{body}], shortcut={shortcut})"

    # -- inner layers ---------------------------------------------------------------------
    def _inner(self):
        """(label, layer) for every inner layer, body first: ("body.0", conv), ..."""
        return ([(f"body.{i}", layer) for i, layer in enumerate(self.body)]
                + [(f"shortcut.{i}", layer) for i, layer in enumerate(self.shortcut)])

    @property
    def param_names(self) -> Tuple[str, ...]:  # type: ignore[override]  # Layer: a class attribute
        """The names of get_weights()'s arrays: ("body.0.W", "body.0.b", ...)."""
        return tuple(f"{label}.{name}" for label, layer in self._inner()
                     for name in _param_names(layer))

    @property
    def buffer_names(self) -> Tuple[str, ...]:  # type: ignore[override]  # as param_names
        """The inner layers' buffers: ("body.1.running_mean", ...)."""
        return tuple(f"{label}.{name}" for label, layer in self._inner()
                     for name in getattr(layer, "buffer_names", ()))

    def train(self) -> "nn_residual_block":
        """Training mode for every inner layer that has one; returns the block."""
        for _, layer in self._inner():
            if hasattr(layer, "train"):
                layer.train()
        return self

    def eval(self) -> "nn_residual_block":
        """Evaluation mode for every inner layer that has one; returns the block."""
        for _, layer in self._inner():
            if hasattr(layer, "eval"):
                layer.eval()
        return self

    # -- parameters -----------------------------------------------------------------------
    def get_weights(self) -> Tuple[Array, ...]:
        """Every inner parameter, body first, each layer in its get_weights() order."""
        return tuple(p for _, layer in self._inner() for p in _params(layer))

    def _split(self, where, arrays, what):
        """``arrays`` cut into one tuple per inner layer with parameters."""
        names = self.param_names
        if len(arrays) != len(names):
            raise ValueError(f"{where}: got {len(arrays)} {what}, the block has {len(names)} "
                             f"parameters ({', '.join(names) or 'none'})")
        chunks, start = [], 0
        for label, layer in self._inner():
            count = len(_params(layer))
            if count:
                chunks.append((f"{label} ({type(layer).__name__})", layer,
                               arrays[start:start + count]))
                start += count
        return chunks

    def set_weights(self, *params: ArrayLike) -> None:
        """Replace every inner parameter, in get_weights() order; all or none change."""
        where = self._where("set_weights")
        chunks = self._split(where, params, "arrays")
        before = [(layer, _params(layer)) for _, layer, _ in chunks]
        try:
            for label, layer, values in chunks:
                with inner_errors(where, label):
                    layer.set_weights(*values)
        except (TypeError, ValueError):
            for layer, values in before:   # the inner layers keep copies: put the old ones back
                layer.set_weights(*values)
            raise

    def update_weights(self, *deltas: ArrayLike) -> None:
        """``param += delta`` for every inner parameter, in get_weights() order; all or none
        change (a delta an inner layer refuses undoes the layers updated before it)."""
        where = self._where("update_weights")
        chunks = self._split(where, deltas, "deltas")
        before = [(layer, [p.copy() for p in _params(layer)]) for _, layer, _ in chunks]
        try:
            for label, layer, values in chunks:
                with inner_errors(where, label):
                    layer.update_weights(*values)
        except (TypeError, ValueError):
            for layer, saved in before:   # in place, as update_weights changes them
                for param, value in zip(_params(layer), saved):
                    param[...] = value
            raise

    # -- computation ----------------------------------------------------------------------
    def _branches(self, where, x, method):
        """x checked, the activations of both branches, and the output shape."""
        x = layer_input(where, x, None)
        body = _run(where, "body", self.body, x, method)
        shortcut = _run(where, "shortcut", self.shortcut, x, method)
        if body[-1].shape != shortcut[-1].shape:
            raise ValueError(f"{where}: the body gives shape {body[-1].shape} and the shortcut "
                             f"{shortcut[-1].shape}; they must match to be added "
                             f"(x.shape = {x.shape})")
        return x, body, shortcut

    def forward(self, x: ArrayLike) -> Array:
        """x -> body(x) + shortcut(x)."""
        _, body, shortcut = self._branches(self._where("forward"), x, "forward")
        return body[-1] + shortcut[-1]

    def replay(self, x: ArrayLike) -> Array:
        """forward(x) again without side effects (inner replays): x -> y."""
        _, body, shortcut = self._branches(self._where("replay"), x, "replay")
        return body[-1] + shortcut[-1]

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Union[Array, Tuple[Array, ...]]:
        """dLdy like y -> (dLdx like x, *inner gradients), or dLdx when there are no parameters."""
        where = self._where("backprop")
        _, body, shortcut = self._branches(where, x, "replay")
        dLdy = layer_upstream(where, dLdy, body[-1].shape, body[-1].dtype)
        dx_body, grads = _backprop_through(where, "body", self.body, body, dLdy)
        dx_shortcut, shortcut_grads = _backprop_through(where, "shortcut", self.shortcut,
                                                        shortcut, dLdy)
        dx = dx_body + dx_shortcut
        return (dx, *grads, *shortcut_grads) if self.param_names else dx
