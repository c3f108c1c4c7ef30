"""The layer contract: what every layer of the kit declares, in one place.

A layer is a ``Layer`` subclass.  What users call is the course's protocol:

    forward(x) -> y
    backprop(x, dLdy) -> dLdx                            (no parameters)
    backprop(x, dLdy) -> (dLdx, dLd<p1>, dLd<p2>, ...)   (parameters, in param_names order)
    get_weights() -> (p1, p2, ...);  set_weights(p1, p2, ...);  update_weights(dp1, dp2, ...)

Behind it each layer declares, as data:

``config()``
    its configuration: the constructor arguments that change the computation (never
    validation-only ones such as the course's ``input_size``, never the initialisation).
    ``repr``, the model's architecture record and save/load all come from it.
``output_shape(x_shape)``
    the shape ``forward`` returns for an input of ``x_shape``, computed with the one
    geometry module (``nnlayers._geometry``); it is also the layer's input check.
``param_names`` / ``buffer_names``
    its parameters (``("W", "b")``, ``("gamma", "beta")``) and its buffers, the state that
    forward may change (batch norm's ``("running_mean", "running_var")``), by attribute name.
``_checked(method, x)`` / ``_checked_backprop(x, dLdy)``
    the one validation hook: it checks ``x`` (and ``dLdy`` against ``output_shape``) with
    messages naming ``type(self).__name__``, so a subclass or an alias names itself.

A layer keeps no per-call state between forward and backprop; the only state is the
parameters and the declared buffers.
"""

from typing import Optional, Tuple, Union

from ._params import add_in_place, replaced
from ._typing import Array, ArrayLike, Config, Shape
from ._validate import as_shape, layer_input, layer_upstream

__all__ = ["Layer"]


class Layer:
    """Base of every kit layer; see the module docstring for the contract."""

    param_names: Tuple[str, ...] = ()    # attribute names of the parameters, in get_weights order
    buffer_names: Tuple[str, ...] = ()   # attribute names of non-parameter state that forward
                                         # may change
    # accepted ranks of x: an int, a tuple of ints, or None for any
    input_ndim: Optional[Union[int, Tuple[int, ...]]] = None

    # -- what the layer is --------------------------------------------------------------
    def config(self) -> Config:
        """The arguments that change the computation, as a dict (JSON-able values)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        return f"{type(self).__name__}({args})"

    def _where(self, method):
        return f"{type(self).__name__}.{method}"

    def output_shape(self, x_shape: Shape) -> Shape:
        """The shape of ``forward(x)`` for ``x.shape == x_shape`` (a ValueError if x does not fit)."""
        where = self._where("output_shape")
        if not isinstance(x_shape, (tuple, list)):
            raise TypeError(f"{where}: x_shape must be a tuple of integers, got {x_shape!r}")
        if len(x_shape) == 0:
            raise ValueError(f"{where}: x_shape must have a batch axis, got ()")
        accepted = (self.input_ndim,) if isinstance(self.input_ndim, int) else self.input_ndim
        if accepted is not None and len(x_shape) not in accepted:
            wanted = " or ".join(str(n) for n in accepted)
            raise ValueError(f"{where}: x_shape must have {wanted} entries, got {tuple(x_shape)}")
        return self._output_shape(where, as_shape(where, "x_shape", x_shape, len(x_shape)))

    def _output_shape(self, where, x_shape):
        """Subclasses: the output shape for a valid-rank ``x_shape``; raise ValueError naming
        ``where`` when x does not fit the layer."""
        return tuple(x_shape)

    # -- the validation hook ------------------------------------------------------------
    def _checked(self, method: str, x: ArrayLike) -> Tuple[str, Array, Shape]:
        """``(where, x, y_shape)``: ``x`` as a float array of an accepted rank that fits."""
        where = self._where(method)
        x = layer_input(where, x, self.input_ndim)
        return where, x, self._output_shape(where, x.shape)

    def _checked_backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Tuple[str, Array, Array]:
        """``(where, x, dLdy)``: ``dLdy`` as a float array of ``forward(x)``'s shape, and ``x``
        in the computation's dtype (the common float dtype of x and dLdy)."""
        where, x, y_shape = self._checked("backprop", x)
        dLdy = layer_upstream(where, dLdy, y_shape, x.dtype)
        return where, x.astype(dLdy.dtype, copy=False), dLdy

    # -- parameters (for layers whose param_names is not empty) --------------------------
    def get_weights(self) -> Tuple[Array, ...]:
        """The parameters, in ``param_names`` order (the arrays themselves)."""
        return tuple(getattr(self, name) for name in self.param_names)

    def set_weights(self, *params: ArrayLike) -> None:
        """Replace the parameters with float copies of ``params``, each of its old shape."""
        where = self._where("set_weights")
        self._check_count(where, "parameters", params)
        labels = [(name, f"the shape of {name}") for name in self.param_names]
        for name, value in zip(self.param_names, replaced(where, self.get_weights(), params,
                                                          labels)):
            setattr(self, name, value)

    def update_weights(self, *deltas: ArrayLike) -> None:
        """Add each delta to its parameter in place (``W += dW``, ``b += db``): all are
        checked before any parameter changes."""
        where = self._where("update_weights")
        self._check_count(where, "deltas", deltas)
        labels = [(f"d{name}", f"the shape of {name}") for name in self.param_names]
        add_in_place(where, self.get_weights(), deltas, labels)

    def _check_count(self, where, what, given):
        if len(given) != len(self.param_names):
            names = ", ".join(self.param_names) or "none"
            raise TypeError(f"{where}: takes {len(self.param_names)} {what} ({names}), "
                            f"got {len(given)}")
