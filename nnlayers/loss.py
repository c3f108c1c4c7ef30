"""The softmax cross-entropy loss for integer class labels.

    forward(logits (N, K), labels (N,)) -> L = -mean_n log softmax(logits)[n, labels[n]]
    backprop(logits, labels)            -> dL/dlogits = (softmax(logits) - onehot(labels)) / N

Computed through a stable log-softmax, so logits of 1e4 give finite losses and gradients.
A loss ends the network: its backprop takes no upstream gradient (it is dL/dL = 1).
"""

import numpy as np

from ._layer import Layer
from ._validate import as_real_array, layer_input
from .softmax import log_softmax, softmax

__all__ = ["nn_cross_entropy_loss"]


class nn_cross_entropy_loss(Layer):
    """Mean softmax cross-entropy of (N, K) logits against integer labels in 0..K-1."""

    def _output_shape(self, where, x_shape):
        return ()   # the mean loss is a scalar

    def _inputs(self, method, logits, labels):
        where = self._where(method)
        logits = layer_input(where, logits, 2, name="logits")
        labels = as_real_array(where, "labels", labels, ndim=1)
        if labels.dtype.kind not in "iu":
            raise TypeError(f"{where}: labels must be integers (class indices), got dtype "
                            f"{labels.dtype}")
        n, k = logits.shape
        if labels.shape != (n,):
            raise ValueError(f"{where}: labels must have shape ({n},), one per row of logits, "
                             f"got {labels.shape}")
        if n == 0:
            raise ValueError(f"{where}: logits has no rows (shape {logits.shape})")
        bad = (labels < 0) | (labels >= k)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{where}: labels[{i}] = {labels[i]} is out of range; logits has "
                             f"{k} classes, so labels must be in 0..{k - 1}")
        return logits, labels.astype(np.intp)

    def forward(self, logits, labels):
        """The mean loss over the batch, a scalar of the logits' float dtype."""
        logits, labels = self._inputs("forward", logits, labels)
        picked = log_softmax(logits)[np.arange(len(labels)), labels]
        return -picked.mean()

    def backprop(self, logits, labels):
        """dL/dlogits (N, K) = (softmax(logits) - onehot(labels)) / N."""
        logits, labels = self._inputs("backprop", logits, labels)
        grad = softmax(logits)
        grad[np.arange(len(labels)), labels] -= 1
        return grad / len(labels)
