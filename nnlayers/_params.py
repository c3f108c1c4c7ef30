"""``set_weights`` / ``update_weights`` for every parameter layer: validated, shape-exact.

One allowance: ``set_weights`` takes a bias ``b`` of the courses' shape ``(F,)`` (MyTorch,
CS231n, torch) as well as the kit's ``(1, F, 1, 1)`` / ``(1, F, 1)`` / ``(1, F)``.
"""

import numpy as np

from ._validate import as_real_array, check_shape, float_dtype

__all__ = ["replaced", "add_in_place"]


def replaced(where, current, new, labels):
    """Float copies of the arrays ``new``, each checked against the shape of ``current``.

    ``labels`` gives, per parameter, ``(name, what its shape is)`` for the messages.  A bias
    (a parameter named ``b``) may also be given flat, ``(F,)``: it is reshaped to the kit's.
    """
    copies = []
    for (name, why), old, value in zip(labels, current, new):
        value = as_real_array(where, name, value)
        if name == "b" and value.shape == (old.size,):
            value = value.reshape(old.shape)
        check_shape(where, name, value, old.shape, why)
        copies.append(np.array(value, dtype=float_dtype(value.dtype)))
    return copies


def add_in_place(where, current, deltas, labels):
    """``param += delta`` for each parameter, after checking each delta's shape."""
    checked = []
    for (name, why), old, delta in zip(labels, current, deltas):
        delta = as_real_array(where, name, delta)
        check_shape(where, name, delta, old.shape, why)
        checked.append(delta)
    for old, delta in zip(current, checked):  # all checked before any is changed
        old += delta
