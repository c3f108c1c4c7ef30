"""Mean (average) pooling, on strided offset views of the input.

Shapes:
    x   (N, C, H, W)   ->   y (N, C, OH, OW)     OH = (H - ph) // sh + 1 (likewise OW)
    x   (N, C, W)      ->   y (N, C, OW)         OW = (W - pool_size) // stride + 1

y is the mean of each window (torch's avg_pool without padding); in backprop each window
spreads ``dL/dy / (ph*pw)`` evenly over its pixels, and overlapping windows add up.  Both
directions work through the batch in chunks (``pool_chunks``), within the memory bound.
"""

import numpy as np

from ._pool import PoolLayer, offset_views, pool_chunks
from ._typing import Array, ArrayLike

__all__ = ["nn_meanpool_layer", "meanpool_forward", "meanpool_backward"]


def meanpool_forward(x, pool, stride):
    """Unchecked: the mean of each window. x (N, C, H, W) float, pairs -> y (N, C, OH, OW)."""
    n, c, h, w = x.shape
    out_hw = ((h - pool[0]) // stride[0] + 1, (w - pool[1]) // stride[1] + 1)
    y = np.zeros((n, c) + out_hw, dtype=x.dtype)
    for start, stop in pool_chunks(x):
        total = y[start:stop]
        for view in offset_views(x[start:stop], pool, stride, out_hw):
            total += view
    y /= pool[0] * pool[1]
    return y


def meanpool_backward(x_shape, dy, pool, stride):
    """Unchecked: dy (N, C, OH, OW) spread evenly over each window -> dx (N, C, H, W)."""
    dx = np.zeros(x_shape, dtype=dy.dtype)
    for start, stop in pool_chunks(dx):
        share = dy[start:stop] / (pool[0] * pool[1])
        for target in offset_views(dx[start:stop], pool, stride, dy.shape[2:]):
            target += share
    return dx


class nn_meanpool_layer(PoolLayer):
    """Mean pooling over ``pool_size`` windows stepped by ``stride`` (default ``pool_size``)."""

    def forward(self, x: ArrayLike) -> Array:
        """x (N, C, H, W) or (N, C, W) -> the mean of each window."""
        where, x, y_shape = self._checked("forward", x)
        x4, pool, stride = self._as_4d(where, x)
        return meanpool_forward(x4, pool, stride).reshape(y_shape)

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Array:
        """dLdy shaped like forward(x) -> dLdx shaped like x."""
        where, x, dLdy = self._checked_backprop(x, dLdy)
        x4, dy4, pool, stride = self._as_4d(where, x, dLdy)
        return meanpool_backward(x4.shape, dy4, pool, stride).reshape(x.shape)
