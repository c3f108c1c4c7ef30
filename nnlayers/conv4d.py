"""The shared 4-D convolution helper, its two adjoints and the output-size formula.

Shapes (named dimensions used throughout the kit):

    x   (N, C, H, W)      a batch of N maps with C channels, H x W pixels
    w   (F, C, KH, KW)    F filters, the layout of ``torch.nn.Conv2d.weight``
    y   (N, F, OH, OW)    ``OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1`` (likewise OW)

``conv4d`` is a cross-correlation (no filter flip), exactly
``torch.nn.functional.conv2d(x, w, stride=s, padding=p, dilation=d)`` without
bias.  It takes a zero-copy window view of the padded input with
``skimage.util.view_as_windows``, lays the windows out as the columns of one
matrix ``cols (C*KH*KW, OH*OW*N)`` (im2col, batch last) and contracts it with the filters in
one matrix product: ``y = w.reshape(F, C*KH*KW) @ cols``.  Backprop is two more
matrix products with the same operands:

    dL/dw    = dy (F, OH*OW*N) @ cols.T                       the correlation of x with dL/dy
    dL/dcols = w.reshape(F, C*KH*KW).T @ dy (F, OH*OW*N)      then col2im: each column's
               entries are added back onto the KH*KW input pixels they came from.

col2im is a loop over the KH*KW filter offsets, each adding one strided slab;
``benchmarks/bench_layers.py`` measured it 3-13x faster than the course's
alternative (correlating the zero-inserted, padded dL/dy with the flipped filters).
Under ``nnlayers.memory_limit`` the batch is processed in chunks of images.

dtype: float32 in gives float32 out, float64 gives float64, mixed inputs follow
``np.result_type``; integer and bool inputs are promoted to float64.
"""

import numpy as np
from skimage.util import view_as_windows

from ._memory import batch_chunks
from ._validate import (
    as_int_pair,
    as_positive_int,
    as_real_array,
    check_shape,
    float_dtype,
)

__all__ = [
    "conv_output_size",
    "conv4d",
    "conv4d_grad_input",
    "conv4d_grad_weight",
]


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Number of window positions along one axis: the kit's output-size formula.

        out = (size + 2*padding - dilation*(kernel_size - 1) - 1) // stride + 1

    A window spans ``dilation*(kernel_size-1) + 1`` input positions.  Windows
    start at 0, stride, 2*stride, ... and must lie inside the padded input, so
    the remainder ``(size + 2*padding - span) % stride`` trailing positions that
    cannot fill another window are dropped (torch does the same).

    Raises ValueError when the window is larger than the padded input.
    """
    where = "conv_output_size"
    size = as_positive_int(where, "size", size)
    kernel_size = as_positive_int(where, "kernel_size", kernel_size)
    stride = as_positive_int(where, "stride", stride)
    padding = as_positive_int(where, "padding", padding, minimum=0)
    dilation = as_positive_int(where, "dilation", dilation)
    span = dilation * (kernel_size - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(
            f"{where}: a window of kernel_size {kernel_size} and dilation "
            f"{dilation} spans {span} positions, more than the padded input "
            f"size {size} + 2*{padding} = {size + 2 * padding}"
        )
    return (size + 2 * padding - span) // stride + 1


def check_conv_geometry(where, x_shape, w_shape, stride, padding, dilation,
                        x_name="x", w_name="w", window="filter"):
    """Validate a convolution's shapes and hyper-parameters.

    ``x_shape`` is (N, C, H, W) and ``w_shape`` (F, C, KH, KW); ``window`` names
    the sliding window in messages ("filter", "pool window").  Returns
    ``(stride, padding, dilation, y_shape)`` with each hyper-parameter as a pair
    and ``y_shape = (N, F, OH, OW)``.
    """
    stride = as_int_pair(where, "stride", stride)
    padding = as_int_pair(where, "padding", padding, minimum=0)
    dilation = as_int_pair(where, "dilation", dilation)
    if 0 in x_shape:
        raise ValueError(f"{where}: {x_name} has an empty axis, shape {tuple(x_shape)}")
    if 0 in w_shape:
        raise ValueError(f"{where}: {w_name} has an empty axis, shape {tuple(w_shape)}")
    n, c, h, w = x_shape
    f, wc, kh, kw = w_shape
    if c != wc:
        raise ValueError(
            f"{where}: {x_name} has {c} input channels, {w_name} expects {wc} "
            f"({x_name}.shape = {tuple(x_shape)}, {w_name}.shape = {tuple(w_shape)})"
        )
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, (kh, kw))]
    padded = [size + 2 * p for size, p in zip((h, w), padding)]
    if spans[0] > padded[0] or spans[1] > padded[1]:
        dilated = f" with dilation {dilation}" if dilation != (1, 1) else ""
        raise ValueError(
            f"{where}: the {kh}x{kw} {window}{dilated} spans {tuple(spans)} pixels, "
            f"larger than the padded input {tuple(padded)} "
            f"({x_name}.shape = {tuple(x_shape)}, padding = {padding})"
        )
    oh, ow = ((size - span) // s + 1 for size, span, s in zip(padded, spans, stride))
    return stride, padding, dilation, (n, f, oh, ow)


def _check_shape_arg(where, name, value):
    """A 4-tuple of positive ints, such as ``x_shape`` or ``w_shape``."""
    try:
        shape = tuple(value)
    except TypeError:
        raise TypeError(f"{where}: {name} must be a tuple of 4 integers, got {value!r}") from None
    if len(shape) != 4:
        raise ValueError(f"{where}: {name} must have 4 entries, got {shape!r}")
    return tuple(as_positive_int(where, name, size) for size in shape)


def _padded_batch_last(x, padding):
    """(N, C, H, W) -> a zero-padded copy in batch-last layout (C, H + 2*ph, W + 2*pw, N).

    With the batch last, a window row of every image is one contiguous run of
    OW*N numbers, so the window copy below and the adds of ``_col2im`` run over
    long stretches of memory instead of OW-long rows (benchmarks/bench_layers.py:
    up to 2x faster on small images such as LeNet's 8x8 maps).
    """
    n, c, h, w = x.shape
    ph, pw = padding
    xp = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    xp[:, ph:ph + h, pw:pw + w, :] = x.transpose(1, 2, 3, 0)
    return xp


def _windows(xp, kernel_size, stride, dilation):
    """Read-only window view of a padded batch-last input: (C, Hp, Wp, N) -> (OH, OW, C, KH, KW, N).

    One window covers all channels and images, so ``view_as_windows`` only
    slides over the two spatial axes; dilation then keeps every d-th pixel of
    each window.  The view aliases ``xp``: it is marked read-only so nothing can
    write into it.
    """
    c, _, _, n = xp.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    windows = view_as_windows(xp, (c, span_h, span_w, n), step=(1, sh, sw, 1))
    # (1, OH, OW, 1, C, span_h, span_w, N) -> (OH, OW, C, KH, KW, N)
    windows = windows[0, :, :, 0, :, ::dh, ::dw, :]
    windows.flags.writeable = False
    return windows


def _im2col(x, kernel_size, stride, padding, dilation):
    """The window matrix: x (N, C, H, W) -> cols (C*KH*KW, OH*OW*N).

    Row (c, a, b) holds pixel (a, b) of channel c of every window; column
    (i, j, n) is window (i, j) of image n.  Both ``w2 @ cols`` and
    ``dy2 @ cols.T`` are then plain matrix products.
    """
    windows = _windows(_padded_batch_last(x, padding), kernel_size, stride, dilation)
    cols = np.ascontiguousarray(windows.transpose(2, 3, 4, 0, 1, 5))  # (C, KH, KW, OH, OW, N)
    c, kh, kw = cols.shape[:3]
    return cols.reshape(c * kh * kw, -1)


def _col2im(dcols, x_shape, padding, stride, dilation):
    """The adjoint of ``_im2col``: dcols (C, KH, KW, OH, OW, N) -> dx (N, C, H, W), a view.

    Every column entry is added back onto the input pixel it was copied from,
    one filter offset (a, b) at a time; overlapping windows add up, pixels that
    no window covered (padding, a dropped remainder) stay zero.
    """
    c, kh, kw, oh, ow, n = dcols.shape
    h, w = x_shape[2:]
    (ph, pw), (sh, sw), (dh, dw) = padding, stride, dilation
    dxp = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=dcols.dtype)
    for a in range(kh):
        for b in range(kw):
            dxp[:, a * dh:a * dh + sh * (oh - 1) + 1:sh,
                   b * dw:b * dw + sw * (ow - 1) + 1:sw, :] += dcols[:, a, b]
    return dxp[:, ph:ph + h, pw:pw + w, :].transpose(3, 0, 1, 2)


def _chunks(x_shape, w_shape, y_hw, padding, itemsize):
    """The batch chunks for one call (see ``nnlayers._memory.batch_chunks``)."""
    n, c, h, w = x_shape
    f, _, kh, kw = w_shape
    pixels_out = y_hw[0] * y_hw[1]
    cols = itemsize * c * kh * kw * pixels_out
    padded = itemsize * c * (h + 2 * padding[0]) * (w + 2 * padding[1])
    # per image: padded copy and padded dx, cols and dcols, y or dy as a matrix
    scratch = 2 * padded + 2 * cols + 2 * itemsize * f * pixels_out
    return batch_chunks(n, scratch, cols)


def _correlate(x, w, stride, padding, dilation, bias=None):
    """The unchecked core of ``conv4d``: arrays of one float dtype, pairs for the rest.

    ``bias`` (1, F, 1, 1), if given, is added while the result is laid out.
    """
    n = x.shape[0]
    f, c, kh, kw = w.shape
    oh, ow = ((size + 2 * p - d * (k - 1) - 1) // s + 1 for size, p, d, k, s in
              zip(x.shape[2:], padding, dilation, (kh, kw), stride))
    y = np.empty((n, f, oh, ow), dtype=x.dtype)
    w2 = w.reshape(f, c * kh * kw)
    for start, stop in _chunks(x.shape, w.shape, (oh, ow), padding, x.itemsize):
        cols = _im2col(x[start:stop], (kh, kw), stride, padding, dilation)
        y_cols = (w2 @ cols).reshape(f, oh, ow, stop - start).transpose(3, 0, 1, 2)
        if bias is None:
            y[start:stop] = y_cols
        else:
            np.add(y_cols, bias, out=y[start:stop])
    return y


def _backward(dy, x_shape, w_shape, stride, padding, dilation, x=None, w=None):
    """Unchecked core of both adjoints: ``(dx, dw)``, dx computed if ``w`` is given, dw if ``x`` is.

    dy is laid out once per chunk as (F, OH*OW*N) and serves both products.
    """
    want_dx, want_dw = w is not None, x is not None
    n, c = x_shape[:2]
    f, _, kh, kw = w_shape
    oh, ow = dy.shape[2:]
    dx = np.empty(x_shape, dtype=dy.dtype) if want_dx else None
    dw = np.zeros((f, c * kh * kw), dtype=dy.dtype) if want_dw else None
    w2 = w.reshape(f, c * kh * kw) if want_dx else None
    for start, stop in _chunks(x_shape, w_shape, (oh, ow), padding, dy.itemsize):
        dy2 = np.ascontiguousarray(dy[start:stop].transpose(1, 2, 3, 0)).reshape(f, -1)
        if want_dw:
            cols = _im2col(x[start:stop], (kh, kw), stride, padding, dilation)
            dw += dy2 @ cols.T
            del cols  # free it before dcols, which has the same size
        if want_dx:
            dcols = (w2.T @ dy2).reshape(c, kh, kw, oh, ow, stop - start)
            dx[start:stop] = _col2im(dcols, (stop - start,) + tuple(x_shape[1:]),
                                     padding, stride, dilation)
    return dx, (dw.reshape(w_shape) if want_dw else None)


def conv4d(x, w, stride=1, padding=0, dilation=1):
    """2-D cross-correlation of a batch of multi-channel maps with a bank of filters.

    Parameters
    ----------
    x : array (N, C, H, W)
    w : array (F, C, KH, KW)
    stride, padding, dilation : int or pair (vertical, horizontal)
        ``stride`` and ``dilation`` >= 1, ``padding`` >= 0 (zeros on both sides).

    Returns
    -------
    y : ndarray (N, F, OH, OW)
        ``y[n, f, i, j] = sum_{c, a, b} xp[n, c, i*sh + a*dh, j*sw + b*dw] * w[f, c, a, b]``
        where ``xp`` is ``x`` zero-padded, and
        ``OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1`` (likewise OW).

    Example: ``conv4d(np.arange(1, 10).reshape(1, 1, 3, 3), np.ones((1, 1, 2, 2)))``
    is ``[[[[12., 16.], [24., 28.]]]]``.
    """
    where = "conv4d"
    x = as_real_array(where, "x", x, ndim=4)
    w = as_real_array(where, "w", w, ndim=4)
    stride, padding, dilation, _ = check_conv_geometry(
        where, x.shape, w.shape, stride, padding, dilation)
    dtype = float_dtype(x.dtype, w.dtype)
    return _correlate(x.astype(dtype, copy=False), w.astype(dtype, copy=False),
                      stride, padding, dilation)


def _check_adjoint_args(where, dy, x_shape, w_shape, stride, padding, dilation,
                        x_name, w_name):
    """Check an adjoint's geometry and that ``dy`` has the forward output's shape."""
    stride, padding, dilation, y_shape = check_conv_geometry(
        where, x_shape, w_shape, stride, padding, dilation, x_name, w_name)
    check_shape(where, "dy", dy, y_shape,
                why=f"the output of conv4d for x shape {tuple(x_shape)} and "
                    f"w shape {tuple(w_shape)}")
    return stride, padding, dilation


def conv4d_grad_input(dy, w, x_shape, stride=1, padding=0, dilation=1):
    """Gradient of ``conv4d`` with respect to its input (the adjoint in ``x``).

    Parameters
    ----------
    dy : array (N, F, OH, OW)   the upstream gradient dL/dy
    w : array (F, C, KH, KW)    the filters of the forward pass
    x_shape : (N, C, H, W)      the forward input's shape
    stride, padding, dilation : as given to ``conv4d``

    Returns
    -------
    dx : ndarray (N, C, H, W)
        ``sum(dy * conv4d(x, w)) == sum(dx * x)`` for every ``x``.  Rows and
        columns that no window covered (the dropped remainder) get 0.
    """
    where = "conv4d_grad_input"
    dy = as_real_array(where, "dy", dy, ndim=4)
    w = as_real_array(where, "w", w, ndim=4)
    x_shape = _check_shape_arg(where, "x_shape", x_shape)
    stride, padding, dilation = _check_adjoint_args(
        where, dy, x_shape, w.shape, stride, padding, dilation, "x_shape", "w")
    dtype = float_dtype(dy.dtype, w.dtype)
    dx, _ = _backward(dy.astype(dtype, copy=False), x_shape, w.shape, stride, padding, dilation,
                      w=w.astype(dtype, copy=False))
    return dx


def conv4d_grad_weight(x, dy, w_shape, stride=1, padding=0, dilation=1):
    """Gradient of ``conv4d`` with respect to its filters (the adjoint in ``w``).

    Parameters
    ----------
    x : array (N, C, H, W)      the forward input
    dy : array (N, F, OH, OW)   the upstream gradient dL/dy
    w_shape : (F, C, KH, KW)    the filters' shape
    stride, padding, dilation : as given to ``conv4d``

    Returns
    -------
    dw : ndarray (F, C, KH, KW)
        ``dw[f, c, a, b] = sum_{n, i, j} dy[n, f, i, j] * xp[n, c, i*sh + a*dh, j*sw + b*dw]``,
        the correlation of the padded input with ``dy``.
    """
    where = "conv4d_grad_weight"
    x = as_real_array(where, "x", x, ndim=4)
    dy = as_real_array(where, "dy", dy, ndim=4)
    w_shape = _check_shape_arg(where, "w_shape", w_shape)
    stride, padding, dilation = _check_adjoint_args(
        where, dy, x.shape, w_shape, stride, padding, dilation, "x", "w_shape")
    dtype = float_dtype(x.dtype, dy.dtype)
    _, dw = _backward(dy.astype(dtype, copy=False), x.shape, w_shape, stride, padding, dilation,
                      x=x.astype(dtype, copy=False))
    return dw
