"""The softmax cross-entropy loss, for integer class labels or for target distributions.

    labels (N,)   integer class indices in 0..K-1:
        forward  -> L = -mean_n log softmax(logits)[n, labels[n]]
        backprop -> dL/dlogits = (softmax(logits) - onehot(labels)) / N
    labels (N, K) targets, one-hot or soft (each row >= 0 and summing to 1):
        forward  -> L = -mean_n sum_k targets[n, k] * log softmax(logits)[n, k]
        backprop -> dL/dlogits = (softmax(logits) - targets) / N

The two agree when the targets are one-hot; the second is torch's ``cross_entropy`` with
class probabilities.  Computed through a stable log-softmax, so logits of 1e4 give finite
losses and gradients.  A loss ends the network: its backprop takes no upstream gradient
(it is dL/dL = 1).
"""

from typing import Any, Tuple

import numpy as np

from ._layer import Layer
from ._typing import Array, ArrayLike
from ._validate import as_real_array, float_dtype, layer_input
from .softmax import log_softmax, softmax

__all__ = ["nn_cross_entropy_loss"]


def _class_indices(where, labels, k):
    """(N,) labels as intp indices, each in 0..k-1."""
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{where}: labels must be integers (class indices), got dtype "
                        f"{labels.dtype}")
    bad = (labels < 0) | (labels >= k)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{where}: labels[{i}] = {labels[i]} is out of range; logits has "
                         f"{k} classes, so labels must be in 0..{k - 1}")
    return labels.astype(np.intp)


def _target_rows(where, targets, dtype):
    """(N, K) targets checked to be distributions (>= 0, rows summing to 1), in ``dtype``."""
    targets = targets.astype(float_dtype(targets.dtype), copy=False)
    bad = ~(targets >= 0)                                       # also NaN
    if bad.any():
        i, j = np.unravel_index(np.argmax(bad), targets.shape)
        raise ValueError(f"{where}: labels[{i}, {j}] = {targets[i, j]} is not a probability; "
                         f"targets (N, K) must be >= 0 with rows summing to 1")
    sums = targets.sum(axis=1)
    off = ~(np.abs(sums - 1) <= np.sqrt(np.finfo(targets.dtype).eps))   # also inf
    if off.any():
        i = int(np.argmax(off))
        raise ValueError(f"{where}: row {i} of labels sums to {sums[i]}; targets (N, K) must "
                         f"be one-hot or soft, each row summing to 1")
    return targets.astype(dtype, copy=False)


class nn_cross_entropy_loss(Layer):
    """Mean softmax cross-entropy of (N, K) logits against labels (N,) or targets (N, K)."""

    def _output_shape(self, where, x_shape):
        return ()   # the mean loss is a scalar

    def _inputs(self, method: str, logits: ArrayLike, labels: ArrayLike) -> Tuple[Array, Array]:
        where = self._where(method)
        logits = layer_input(where, logits, 2, name="logits")
        labels = as_real_array(where, "labels", labels, ndim=(1, 2))
        n, k = logits.shape
        wanted = (n,) if labels.ndim == 1 else (n, k)
        if labels.shape != wanted:
            what = "one per row of logits" if labels.ndim == 1 else "the shape of logits"
            raise ValueError(f"{where}: labels must have shape {wanted}, {what}, "
                             f"got {labels.shape}")
        if n == 0:
            raise ValueError(f"{where}: logits has no rows (shape {logits.shape})")
        if labels.ndim == 1:
            return logits, _class_indices(where, labels, k)
        return logits, _target_rows(where, labels, logits.dtype)

    def forward(self, logits: ArrayLike, labels: ArrayLike) -> "np.floating[Any]":
        """logits (N, K), labels (N,) or (N, K) -> the mean loss, a scalar of the logits' float dtype."""
        logits, labels = self._inputs("forward", logits, labels)
        if labels.ndim == 1:
            return -log_softmax(logits)[np.arange(len(labels)), labels].mean()
        return -(labels * log_softmax(logits)).sum(axis=1).mean()

    def backprop(self, logits: ArrayLike, labels: ArrayLike) -> Array:
        """dL/dlogits (N, K) = (softmax(logits) - onehot(labels) or targets) / N."""
        logits, labels = self._inputs("backprop", logits, labels)
        grad = softmax(logits)
        if labels.ndim == 1:
            grad[np.arange(len(labels)), labels] -= 1
        else:
            grad -= labels
        return grad / len(labels)
