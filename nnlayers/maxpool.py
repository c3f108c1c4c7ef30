"""The course's max-pooling layer, on windowed views of the input.

Shapes:
    x   (N, C, H, W)
    y   (N, C, OH, OW)     OH = (H - pool_h) // stride_h + 1 (likewise OW)

Trailing rows and columns that do not fill a window are dropped, as torch does;
windows overlap when the stride is smaller than the pool.  Each window is seen
through ``pool_size**2`` strided views of the input, one per pixel offset inside
the window (a generic window view with an argmax over a copied window axis was
measured 25x slower on the benchmark shapes).  In backprop each
window's gradient goes to its maximum; on a tie, to the first maximum in
row-major order inside the window (torch's rule); overlapping windows add up.
"""

import numpy as np

from ._memory import batch_chunks
from ._validate import as_int_pair, as_real_array, check_shape, float_dtype
from .conv4d import check_conv_geometry

__all__ = ["nn_maxpool_layer", "maxpool_forward", "maxpool_backward"]


# Pooling works through the batch in chunks of about this much input: its dozen
# passes then stay in cache (benchmarks/bench_layers.py: 2.5x faster on 16 MiB inputs).
POOL_CHUNK_BYTES = 1 << 20


def _offset_views(a, pool, stride, out_hw):
    """One strided view (N, C, OH, OW) per window offset (i, j), in row-major order.

    View (i, j) holds pixel (i, j) of every window; it aliases ``a``.
    """
    (ph, pw), (sh, sw), (oh, ow) = pool, stride, out_hw
    return [a[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
            for i in range(ph) for j in range(pw)]


def _window_max(views, out):
    """out = the elementwise max of the offset views (NaN propagates, as in np.maximum)."""
    np.copyto(out, views[0])
    for view in views[1:]:
        np.maximum(out, view, out=out)
    return out


def _chunks(x, pool):
    return batch_chunks(x.shape[0], x[:1].nbytes, x[:1].nbytes, target=POOL_CHUNK_BYTES)


def maxpool_forward(x, pool, stride):
    """Unchecked: the max of each window. x (N, C, H, W) float -> (N, C, OH, OW)."""
    n, c, h, w = x.shape
    out_hw = ((h - pool[0]) // stride[0] + 1, (w - pool[1]) // stride[1] + 1)
    y = np.empty((n, c) + out_hw, dtype=x.dtype)
    for start, stop in _chunks(x, pool):
        _window_max(_offset_views(x[start:stop], pool, stride, out_hw), y[start:stop])
    return y


def maxpool_backward(x, dy, pool, stride):
    """Unchecked: route dy (N, C, OH, OW) to each window's first maximum; returns dx like x.

    Per chunk of images: the window maxima again (no state is kept from the
    forward), then the offsets in row-major order: an offset's pixel receives
    its window's gradient if it equals the maximum and no earlier offset did
    (``taken``): the first maximum wins ties, as in torch.  A loop over the
    pool's offsets, not over windows; each step is a few passes over arrays of
    the output's size.
    """
    n, c, h, w = x.shape
    (ph, pw), (sh, sw) = pool, stride
    out_hw = dy.shape[2:]
    tiled = (sh, sw) == (ph, pw) and (h, w) == (out_hw[0] * ph, out_hw[1] * pw)
    # An exact tiling writes every pixel of dx once; otherwise start from zeros.
    dx = np.empty(x.shape, dtype=dy.dtype) if tiled else np.zeros(x.shape, dtype=dy.dtype)
    overlap = sh < ph or sw < pw
    for start, stop in _chunks(x, pool):
        views = _offset_views(x[start:stop], pool, stride, out_hw)
        targets = _offset_views(dx[start:stop], pool, stride, out_hw)
        top = _window_max(views, np.empty((stop - start, c) + tuple(out_hw), dtype=x.dtype))
        nan_top = np.isnan(top) if np.isnan(top).any() else None  # NaN wins, like the max
        grad = dy[start:stop]
        hit = np.empty(top.shape, dtype=bool)
        taken = np.zeros(top.shape, dtype=bool)
        for view, target in zip(views, targets):
            np.equal(view, top, out=hit)
            if nan_top is not None:
                hit |= np.isnan(view) & nan_top
            np.greater(hit, taken, out=hit)   # equal to the max, and no earlier offset was
            taken |= hit
            if overlap:
                target += hit * grad          # windows share pixels: gradients add up
            else:
                np.multiply(hit, grad, out=target)
    return dx


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
