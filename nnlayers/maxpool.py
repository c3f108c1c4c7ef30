"""The course's max-pooling layer, on windowed views of the input.

Shapes:
    x   (N, C, H, W)
    y   (N, C, OH, OW)     OH = (H - pool_h) // stride_h + 1 (likewise OW)

Trailing rows and columns that do not fill a window are dropped, as torch does;
windows overlap when the stride is smaller than the pool.  In backprop each
window's gradient goes to its maximum; on a tie, to the first maximum in
row-major order inside the window (torch's rule); overlapping windows add up.
"""

import numpy as np
from skimage.util import view_as_windows

from ._validate import as_int_pair, as_real_array, check_shape, float_dtype
from .conv4d import check_conv_geometry

__all__ = ["nn_maxpool_layer", "maxpool_forward", "maxpool_backward"]


def _pool_windows(x, pool, stride):
    """Read-only windows (N, C, OH, OW, ph, pw) of x (N, C, H, W); aliases x."""
    windows = view_as_windows(x, (1, 1) + pool, step=(1, 1) + stride)[:, :, :, :, 0, 0]
    windows.flags.writeable = False
    return windows


def maxpool_forward(x, pool, stride):
    """Unchecked: the max of each window. x (N, C, H, W) float -> (N, C, OH, OW)."""
    return _pool_windows(x, pool, stride).max(axis=(4, 5))


def maxpool_backward(x, dy, pool, stride):
    """Unchecked: route dy (N, C, OH, OW) to each window's first maximum; returns dx like x."""
    n, c, h, w = x.shape
    (ph, pw), (sh, sw) = pool, stride
    oh, ow = dy.shape[2:]
    # The (N, C, OH, OW, ph*pw) copy lets argmax see each window as one row;
    # argmax returns the first maximum in row-major order: torch's tie rule.
    winner = _pool_windows(x, pool, stride).reshape(n, c, oh, ow, ph * pw).argmax(axis=-1)
    row = np.arange(oh).reshape(oh, 1) * sh + winner // pw
    col = np.arange(ow) * sw + winner % pw
    plane = np.arange(n * c).reshape(n, c, 1, 1)
    target = ((plane * h + row) * w + col).ravel()  # flat index into x
    if sh >= ph and sw >= pw:
        # Windows do not overlap: each input pixel wins at most one window.
        dx = np.zeros(x.size, dtype=dy.dtype)
        dx[target] = dy.ravel()
    else:
        # Overlapping windows: one pixel can win several, and its gradients add.
        # bincount sums them in one vectorized pass (np.add.at is far slower).
        dx = np.bincount(target, weights=dy.ravel(), minlength=x.size).astype(dy.dtype)
    return dx.reshape(x.shape)


class nn_maxpool_layer:
    """Max pooling over ``pool_size`` windows stepped by ``stride``.

    Parameters
    ----------
    pool_size : int or pair (ph, pw)
    stride : int or pair (sh, sw), default ``pool_size``

    ``forward(x)``: x (N, C, H, W) -> y (N, C, OH, OW), OH = (H - ph) // sh + 1.
    ``backprop(x, dLdy)`` -> dLdx (N, C, H, W).  No parameters, no per-call state.
    """

    def __init__(self, pool_size, stride=None):
        where = "nn_maxpool_layer"
        self.pool_size = as_int_pair(where, "pool_size", pool_size)
        self.stride = self.pool_size if stride is None else as_int_pair(where, "stride", stride)

    def __repr__(self):
        return f"nn_maxpool_layer(pool_size={self.pool_size}, stride={self.stride})"

    def _check_input(self, where, x):
        x = as_real_array(where, "x", x, ndim=4)
        n, c = x.shape[:2]
        *_, y_shape = check_conv_geometry(where, x.shape, (c, c) + self.pool_size,
                                          self.stride, 0, 1, "x", "pool_size",
                                          window="pool window")
        return x.astype(float_dtype(x.dtype), copy=False), y_shape

    def forward(self, x):
        """x (N, C, H, W) -> y (N, C, OH, OW), the maximum of each window."""
        x, _ = self._check_input("nn_maxpool_layer.forward", x)
        return maxpool_forward(x, self.pool_size, self.stride)

    def backprop(self, x, dLdy):
        """dLdy (N, C, OH, OW) -> dLdx (N, C, H, W): each window's gradient to its first maximum."""
        where = "nn_maxpool_layer.backprop"
        x, y_shape = self._check_input(where, x)
        dLdy = as_real_array(where, "dLdy", dLdy, ndim=4)
        check_shape(where, "dLdy", dLdy, y_shape, "the shape of forward(x)")
        dtype = float_dtype(x.dtype, dLdy.dtype)
        return maxpool_backward(x, dLdy.astype(dtype, copy=False), self.pool_size, self.stride)
