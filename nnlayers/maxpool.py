"""The course's max-pooling layer, on strided offset views of the input.

Shapes:
    x   (N, C, H, W)   ->   y (N, C, OH, OW)     OH = (H - ph) // sh + 1 (likewise OW)
    x   (N, C, W)      ->   y (N, C, OW)         OW = (W - pool_size) // stride + 1

Trailing rows and columns that do not fill a window are dropped, as torch does; windows
overlap when the stride is smaller than the pool.  In backprop each window's gradient goes
to its maximum; on a tie, to the first maximum in row-major order inside the window
(torch's rule); overlapping windows add up.  A NaN counts as the maximum of its window,
and a window's gradient reaches only its maximum: a NaN or inf in dL/dy never spreads to
the other pixels of the window (as in torch).
"""

import numpy as np

from ._pool import PoolLayer, offset_views, pool_chunks
from ._typing import Array, ArrayLike, Config, IntPair

__all__ = ["nn_maxpool_layer", "nn_max_pooling_layer", "maxpool_forward", "maxpool_backward"]


def _window_max(views, out):
    """out = the elementwise max of the offset views (NaN propagates, as in np.maximum)."""
    np.copyto(out, views[0])
    for view in views[1:]:
        np.maximum(out, view, out=out)
    return out


def maxpool_forward(x, pool, stride):
    """Unchecked: the max of each window. x (N, C, H, W) float, pairs -> y (N, C, OH, OW)."""
    n, c, h, w = x.shape
    out_hw = ((h - pool[0]) // stride[0] + 1, (w - pool[1]) // stride[1] + 1)
    y = np.empty((n, c) + out_hw, dtype=x.dtype)
    for start, stop in pool_chunks(x):
        _window_max(offset_views(x[start:stop], pool, stride, out_hw), y[start:stop])
    return y


def maxpool_backward(x, dy, pool, stride):
    """Unchecked: route dy (N, C, OH, OW) to each window's first maximum; returns dx like x.

    Per chunk of images: the window maxima again (no state is kept from the forward), then
    the offsets in row-major order: an offset's pixel receives its window's gradient if it
    equals the maximum and no earlier offset did (``taken``): the first maximum wins ties,
    as in torch.  A loop over the pool's offsets, not over windows; each step is a few
    passes over arrays of the output's size.  Gradients are selected where ``hit``, never
    multiplied by it, in a chunk where dy holds an inf or NaN, so it stays at its maximum
    (0 * inf would be NaN).
    """
    n, c, h, w = x.shape
    (ph, pw), (sh, sw) = pool, stride
    out_hw = dy.shape[2:]
    tiled = (sh, sw) == (ph, pw) and (h, w) == (out_hw[0] * ph, out_hw[1] * pw)
    # An exact tiling writes every pixel of dx once; otherwise start from zeros.
    dx = np.empty(x.shape, dtype=dy.dtype) if tiled else np.zeros(x.shape, dtype=dy.dtype)
    overlap = sh < ph or sw < pw
    for start, stop in pool_chunks(x):
        views = offset_views(x[start:stop], pool, stride, out_hw)
        targets = offset_views(dx[start:stop], pool, stride, out_hw)
        top = _window_max(views, np.empty((stop - start, c) + tuple(out_hw), dtype=x.dtype))
        nan_top = np.isnan(top) if np.isnan(top).any() else None  # NaN wins, like the max
        grad = dy[start:stop]
        # hit * grad is the fast way to route gradients, but 0 * inf is NaN: a chunk whose
        # dy is not all finite selects with where= instead (slower, same result otherwise).
        finite = bool(np.isfinite(grad).all())
        hit = np.empty(top.shape, dtype=bool)
        taken = np.zeros(top.shape, dtype=bool)
        for view, target in zip(views, targets):
            np.equal(view, top, out=hit)
            if nan_top is not None:
                hit |= np.isnan(view) & nan_top
            np.greater(hit, taken, out=hit)   # equal to the max, and no earlier offset was
            taken |= hit
            if overlap and finite:
                target += hit * grad          # windows share pixels: gradients add up
            elif overlap:
                np.add(target, grad, out=target, where=hit)
            elif finite:
                np.multiply(hit, grad, out=target)
            else:
                target[...] = np.where(hit, grad, 0)
    return dx


class nn_maxpool_layer(PoolLayer):
    """Max pooling over ``pool_size`` windows stepped by ``stride``.

    Parameters
    ----------
    pool_size : int, or pair (ph, pw) for (N, C, H, W) inputs
    stride : int or pair, default ``pool_size``

    ``forward(x)``: x (N, C, H, W) -> y (N, C, OH, OW), OH = (H - ph) // sh + 1;
    x (N, C, W) -> y (N, C, OW).  ``backprop(x, dLdy)`` -> dLdx shaped like x.
    No parameters, no per-call state.
    """

    def forward(self, x: ArrayLike) -> Array:
        """x (N, C, H, W) or (N, C, W) -> the maximum of each window."""
        where, x, y_shape = self._checked("forward", x)
        x4, pool, stride = self._as_4d(where, x)
        return maxpool_forward(x4, pool, stride).reshape(y_shape)

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Array:
        """dLdy shaped like forward(x) -> dLdx shaped like x: each window's gradient to its
        first maximum."""
        where, x, dLdy = self._checked_backprop(x, dLdy)
        x4, dy4, pool, stride = self._as_4d(where, x, dLdy)
        return maxpool_backward(x4, dy4, pool, stride).reshape(x.shape)


class nn_max_pooling_layer(nn_maxpool_layer):
    """``nn_maxpool_layer`` under the name and argument order of some course versions:
    ``nn_max_pooling_layer(stride, pool_size)``.  Keywords work the same for both classes."""

    def __init__(self, stride: IntPair, pool_size: IntPair) -> None:
        super().__init__(pool_size, stride)

    def config(self) -> Config:
        return {"stride": self.stride, "pool_size": self.pool_size}
