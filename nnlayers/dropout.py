"""Inverted dropout, element-wise or of whole channels, with training and evaluation modes.

Shapes:
    x       any shape (element form), or (N, C, W) / (N, C, H, W) (channel form)
    mask    x.shape (element form), or (N, C, 1) / (N, C, 1, 1): one draw per channel map
    y       like x

Training mode (the default, ``train()``):
    y = x * mask / (1 - p),   mask[i] = 1 with probability 1 - p, else 0
so E[y] = x.  ``channels=True`` zeroes whole feature maps (torch's Dropout1d/Dropout2d,
HW2P1's bonus Dropout2d); the default zeroes single elements (torch's Dropout, CS231n's
dropout with keep probability 1 - p).
Evaluation mode (``eval()``): y = x (a copy), and backprop passes dLdy through.

State: the one exception beside batch norm's running statistics.  The layer keeps
``self.mask``, the mask of its last training forward, and ``backprop(x, dLdy)`` uses it:
    dL/dx = dLdy * mask / (1 - p)
Why: the protocol's ``backprop(x, dLdy)`` (called by ``nn_sequential_model.train_step`` and
by residual blocks) carries no mask, and a mask drawn afresh at backprop would give the
gradient of another function than the forward that produced the loss.  So a forward and
its backprop must not be interleaved with another training forward of the same layer.
``fix_mask(mask)`` makes every training forward use a given mask instead of drawing one:
for gradient checks, and to reproduce another implementation's draw, e.g. HW2P1's Dropout2d
``fix_mask(np.random.binomial(1, 1 - p, size=(N, C, 1, 1)))`` or CS231n's dropout (whose ``p``
is the keep probability q) ``fix_mask(np.random.rand(*x.shape) < q)`` with p = 1 - q here.  ``replay(x)`` is
forward with the current mask and no new draw (what a residual block's backprop recomputes).
"""

from typing import Optional

import numpy as np

from ._init import as_generator
from ._layer import Layer
from ._modes import TrainingModes
from ._typing import Array, ArrayLike, Config, Seed
from ._validate import as_real, as_real_array, check_shape

__all__ = ["nn_dropout_layer"]


class nn_dropout_layer(TrainingModes, Layer):
    """Inverted dropout: drop with probability ``p``, scale the kept values by 1 / (1 - p).

    Parameters
    ----------
    p : float in [0, 1)        the probability of dropping an element (or a channel)
    channels : bool, keyword-only    one draw per (sample, channel) map instead of per element
    rng : None, int or numpy.random.Generator, keyword-only    the source of the masks
    """

    buffer_names = ()   # the mask belongs to one forward/backprop pair, not to a saved model

    def __init__(self, p: float = 0.5, *, channels: bool = False, rng: Seed = None) -> None:
        where = type(self).__name__
        self.p = as_real(where, "p", p, 0, 1, high_open=True)
        if not isinstance(channels, bool):
            raise TypeError(f"{where}: channels must be True or False, got {channels!r}")
        self.channels = channels
        self.input_ndim = (3, 4) if channels else None
        self.generator = as_generator(where, rng)
        self.mask: Optional[Array] = None       # the mask of the last training forward (bool)
        self.fixed = False     # True after fix_mask(mask): forward uses self.mask, draws nothing
        self.training = True

    def config(self) -> Config:
        return {"p": self.p, "channels": self.channels}

    def fix_mask(self, mask: Optional[ArrayLike]) -> "nn_dropout_layer":
        """Use ``mask`` (0/1 or bool, the mask shape) in every training forward; None draws again.

        Returns the layer.
        """
        where = self._where("fix_mask")
        if mask is None:
            self.fixed = False
            return self
        mask = as_real_array(where, "mask", mask)
        off = ~((mask == 0) | (mask == 1))
        if off.any():
            index = np.unravel_index(np.argmax(off), mask.shape)
            raise ValueError(f"{where}: mask must hold only 0 and 1 (or bools), got "
                             f"mask[{', '.join(map(str, index))}] = {mask[index]}")
        self.mask, self.fixed = mask.astype(bool), True
        return self

    def _mask_shape(self, x_shape):
        """(N, C, 1[, 1]) in the channel form, else x's shape."""
        return x_shape[:2] + (1,) * (len(x_shape) - 2) if self.channels else x_shape

    def _current_mask(self, where, mask_shape):
        if self.mask is None:
            raise ValueError(f"{where}: no mask yet; call forward in training mode first "
                             f"(or fix_mask)")
        why = "one per channel map of x" if self.channels else "the shape of x"
        check_shape(where, "the mask", self.mask, mask_shape, why)
        return self.mask

    def forward(self, x: ArrayLike) -> Array:
        """x -> y like x; in training mode draws (unless fixed) and keeps a new mask."""
        where, x, _ = self._checked("forward", x)
        mask_shape = self._mask_shape(x.shape)
        if self.training and not self.fixed:
            self.mask = self.generator.random(mask_shape) >= self.p
        return self._apply(where, x, mask_shape)

    def replay(self, x: ArrayLike) -> Array:
        """forward(x) again with the current mask, drawing nothing: x -> y like x."""
        where, x, _ = self._checked("replay", x)
        return self._apply(where, x, self._mask_shape(x.shape))

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Array:
        """dLdy like x -> dLdx like x: dLdy * mask / (1 - p) with the last forward's mask."""
        where, x, dLdy = self._checked_backprop(x, dLdy)
        return self._apply(where, dLdy, self._mask_shape(x.shape))

    def _apply(self, where, values, mask_shape):
        """values * mask / (1 - p) in training mode, a copy of values in evaluation mode."""
        if not self.training:
            return values.copy()
        return values * self._current_mask(where, mask_shape) / (1 - self.p)
