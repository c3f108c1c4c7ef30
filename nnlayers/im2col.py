"""``im2col`` / ``col2im``: the window matrix the convolution rests on, as torch's unfold / fold.

    im2col(x (N, C, H, W), kernel_size, stride, padding, dilation) -> cols (N, C*KH*KW, L)
    col2im(cols (N, C*KH*KW, L), output_size (H, W), kernel_size, ...) -> x (N, C, H, W)

``L = OH * OW`` window positions in row-major order, with
``OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1`` (likewise OW).  Row ``c*KH*KW + a*KW + b``
of ``cols[n]`` holds pixel (a, b) of channel c of every window.  ``col2im`` is the adjoint:
it adds every entry back onto the pixel it came from, so overlapping windows sum (it is
not an inverse).  These equal ``torch.nn.functional.unfold`` and ``fold``.
"""

import numpy as np

from ._typing import Array, ArrayLike, IntPair
from ._validate import as_int_pair, as_real_array, float_dtype
from .conv4d import add_windows_back, conv_geometry, window_matrix

__all__ = ["im2col", "col2im"]


def im2col(x: ArrayLike, kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0,
           dilation: IntPair = 1) -> Array:
    """The windows of ``x (N, C, H, W)`` as columns: ``(N, C*KH*KW, OH*OW)``."""
    where = "im2col"
    x = as_real_array(where, "x", x, ndim=4)
    kernel_size = as_int_pair(where, "kernel_size", kernel_size)
    n, c = x.shape[:2]
    stride, padding, dilation, (_, _, oh, ow) = conv_geometry(
        where, x.shape, (1, c) + kernel_size, stride, padding, dilation, "x", "kernel",
        window="window")
    x = x.astype(float_dtype(x.dtype), copy=False)
    if n == 0:
        return np.zeros((0, c * kernel_size[0] * kernel_size[1], oh * ow), dtype=x.dtype)
    cols = window_matrix(x, kernel_size, stride, padding, dilation)        # (C*KH*KW, OH*OW*N)
    return np.ascontiguousarray(cols.reshape(-1, oh * ow, n).transpose(2, 0, 1))


def col2im(cols: ArrayLike, output_size: IntPair, kernel_size: IntPair, stride: IntPair = 1,
           padding: IntPair = 0, dilation: IntPair = 1) -> Array:
    """Sum columns ``(N, C*KH*KW, L)`` back into images ``(N, C, H, W)``, H, W = output_size."""
    where = "col2im"
    cols = as_real_array(where, "cols", cols, ndim=3)
    kernel_size = as_int_pair(where, "kernel_size", kernel_size)
    output_size = as_int_pair(where, "output_size", output_size)
    n, rows, length = cols.shape
    kh, kw = kernel_size
    if rows % (kh * kw):
        raise ValueError(f"{where}: cols has {rows} rows, not a multiple of KH*KW = {kh * kw} "
                         f"(cols.shape = {cols.shape}, kernel_size = {kernel_size})")
    c = rows // (kh * kw)
    x_shape = (n, c) + output_size
    stride, padding, dilation, (_, _, oh, ow) = conv_geometry(
        where, x_shape, (1, c) + kernel_size, stride, padding, dilation, "output", "kernel",
        window="window")
    if length != oh * ow:
        raise ValueError(f"{where}: cols has {length} columns, but output_size {output_size} "
                         f"with this kernel, stride, padding and dilation has {oh}x{ow} = "
                         f"{oh * ow} window positions")
    cols = cols.astype(float_dtype(cols.dtype), copy=False)
    dcols = cols.reshape(n, c, kh, kw, oh, ow).transpose(1, 2, 3, 4, 5, 0)
    return np.ascontiguousarray(add_windows_back(dcols, x_shape, stride, padding, dilation))
