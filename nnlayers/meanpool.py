"""Mean (average) pooling, on strided offset views of the input.

Shapes:
    x   (N, C, H, W)   ->   y (N, C, OH, OW)     OH = (H - ph) // sh + 1 (likewise OW)
    x   (N, C, W)      ->   y (N, C, OW)         OW = (W - pool_size) // stride + 1

y is the mean of each window (torch's avg_pool without padding); in backprop each window
spreads ``dL/dy / (ph*pw)`` evenly over its pixels, and overlapping windows add up.
"""

import numpy as np

from ._pool import offset_views, pool_args, pool_chunks, pool_input
from ._validate import layer_upstream

__all__ = ["nn_meanpool_layer"]


class nn_meanpool_layer:
    """Mean pooling over ``pool_size`` windows stepped by ``stride`` (default ``pool_size``)."""

    def __init__(self, pool_size, stride=None):
        self.pool_size, self.stride = pool_args("nn_meanpool_layer", pool_size, stride)

    def __repr__(self):
        return f"nn_meanpool_layer(pool_size={self.pool_size}, stride={self.stride})"

    def forward(self, x):
        """x (N, C, H, W) or (N, C, W) -> the mean of each window."""
        x4, pool, stride, y_shape = pool_input("nn_meanpool_layer.forward", x,
                                               self.pool_size, self.stride)
        n, c = x4.shape[:2]
        out_hw = ((x4.shape[2] - pool[0]) // stride[0] + 1, (x4.shape[3] - pool[1]) // stride[1] + 1)
        y = np.zeros((n, c) + out_hw, dtype=x4.dtype)
        for start, stop in pool_chunks(x4):
            total = y[start:stop]
            for view in offset_views(x4[start:stop], pool, stride, out_hw):
                total += view
        y /= pool[0] * pool[1]
        return y.reshape(y_shape)

    def backprop(self, x, dLdy):
        """dLdy shaped like forward(x) -> dLdx shaped like x."""
        where = "nn_meanpool_layer.backprop"
        x4, pool, stride, y_shape = pool_input(where, x, self.pool_size, self.stride)
        dLdy = layer_upstream(where, dLdy, y_shape, x4.dtype)
        share = dLdy.reshape(x4.shape[:2] + (-1, dLdy.shape[-1])) / (pool[0] * pool[1])
        dx = np.zeros(x4.shape, dtype=share.dtype)
        for target in offset_views(dx, pool, stride, share.shape[2:]):
            target += share
        return dx.reshape(np.shape(x))
