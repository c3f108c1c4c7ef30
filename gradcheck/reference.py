"""What the references share: the parameter-layout check, and the max-pool tie rule.

Everything here runs in the grader's process on plain arrays; the references themselves (the
kit's layers in each course's layout) are in ``references.py``.
"""

import numpy as np

from .mistakes import every_max_gradient, pair
from .numeric import GradientResult, _as_tuple, describe_error, relative_error

__all__ = ["ReferenceError_", "tie_rule_row"]


class ReferenceError_(Exception):
    """The homework's parameters cannot be those of the layer the course asks for."""


def _param(params, index, name, shape, layout):
    if len(params) <= index:
        raise ReferenceError_(f"the layer has {len(params)} parameter(s); expected {name} too")
    value = np.asarray(params[index], dtype=np.float64)
    if value.size != int(np.prod(shape)) or (value.ndim == len(shape) and value.shape != shape):
        raise ReferenceError_(f"{name} has shape {value.shape}; the course's layout is "
                              f"{layout} = {shape}")
    return value.reshape(shape)


_TIE_RULE_WHY = ("torch, the kit and the course's reference give a tied window's gradient to "
                 "its first maximum in row-major order, so that the gradient sums to what "
                 "reaches the window. It matters in practice: a max-pool after ReLU meets "
                 "windows of zeros, and there a layer that copies the gradient to every tied "
                 "element multiplies it")


def tie_rule_row(layer, reference, x, pool, stride, rng, counts):
    """One "dLdx (ties)" row: what ``layer.backprop`` does on an input full of ties.

    The row passes when the gradient equals the reference's (the first maximum); otherwise it
    says which rule the layer follows (every tied element, an even split, the last maximum,
    or something else) and why it matters.  ``counts`` decides whether it is a failure or a
    warning under the policy in force.
    """
    row = GradientResult("dLdx (ties)", float("nan"), case="ties", kind="ties", counts=counts)
    x = np.asarray(x, dtype=np.float64)
    try:
        V = rng.standard_normal(np.asarray(reference.forward(x)).shape)
        single = np.asarray(layer.forward(x.copy())).dtype == np.float32
    except Exception as error:  # noqa: BLE001 - the homework's layer may raise anything
        row.error = f"forward raised {describe_error(error)}"
        return row
    try:
        got = np.asarray(_as_tuple(layer.backprop(x.copy(), V.copy()))[0], dtype=np.float64)
    except Exception as error:  # noqa: BLE001
        row.error = f"backprop raised {describe_error(error)}"
        return row
    # a layer computing in float32 (torch's default) rounds V: 2.5e-8 from the first maximum's
    # gradient failed an honest torch max-pool as "no rule the grader knows"
    tolerance = 1e-4 if single else 1e-9
    if got.shape != x.shape:
        row.error = f"backprop's dLdx has shape {got.shape}, expected {x.shape}"
        return row
    first = np.asarray(reference.backprop(x, V), dtype=np.float64)
    pool, stride = pair(pool), pair(stride)
    every = every_max_gradient(x, V, pool, stride)
    tied = _ties_per_window(x, np.asarray(reference.forward(x)), pool, stride)
    row.rel_error = relative_error(first, got)
    row.tolerance = tolerance
    row.expected, row.got = first, got
    if row.rel_error <= row.tolerance:
        row.failed_check = False
        row.note = "at a tie the first maximum takes the gradient (torch's rule)"
        return row
    row.failed_check = True
    rules = {
        "gives a tied window's gradient to every tied maximum": every,
        "splits a tied window's gradient evenly over its tied maxima":
            every_max_gradient(x, V / tied, pool, stride),
        "gives a tied window's gradient to its last maximum":
            _last_max(reference, x, V),
    }
    rule = next((text for text, candidate in rules.items()
                 if candidate is not None and relative_error(candidate, got) <= tolerance),
                "follows no rule the grader knows at ties (its gradient differs from the first "
                "maximum's, every maximum's and the last maximum's)")
    row.diagnosis = [f"this layer {rule}; {_TIE_RULE_WHY}"]
    return row


def _ties_per_window(x, top, pool, stride):
    """How many elements of each window equal its maximum ``top`` (N, C, OH, OW)."""
    (ph, pw), (sh, sw), (oh, ow) = pool, stride, top.shape[2:]
    count = np.zeros(top.shape)
    for i in range(ph):
        for j in range(pw):
            count += x[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] == top
    return count


def _last_max(reference, x, V):
    """The last-maximum rule, when the windows tile the input exactly (else None)."""
    try:
        flipped = reference.backprop(x[:, :, ::-1, ::-1].copy(), V[:, :, ::-1, ::-1].copy())
    except ValueError:
        return None
    candidate = np.asarray(flipped, dtype=np.float64)[:, :, ::-1, ::-1]
    return candidate if candidate.shape == x.shape else None
