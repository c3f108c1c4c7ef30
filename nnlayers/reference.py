"""The plain statement of each computation: the definitions the fast paths are tested against.

Short and unoptimised on purpose, so a student can read them in one sitting:

    im2col_reference(x, kernel, stride, padding, dilation) -> cols (N, C*KH*KW, OH*OW)
    conv_reference(x, w, ...)             y = w (F, C*KH*KW) @ cols          (N, F, OH, OW)
    conv_grads_reference(x, w, dy, ...)   dw = dy @ cols.T, dx = col2im(w.T @ dy)
    pool_reference(x, pool, stride, "max" | "mean")               y (N, C, OH, OW)
    pool_grad_reference(x, dy, pool, stride, "max" | "mean")      dx (N, C, H, W)

with ``OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1`` (likewise OW; pooling has no padding).
They take arrays of one float dtype and pairs for the rest, and check nothing: the checked,
fast versions are ``conv4d``, ``conv4d_grad_input``, ``conv4d_grad_weight``,
``nn_maxpool_layer`` and ``nn_meanpool_layer``.
"""

import numpy as np

from ._geometry import output_size

__all__ = ["im2col_reference", "col2im_reference", "conv_reference", "conv_grads_reference",
           "pool_reference", "pool_grad_reference"]


def _out_hw(x_shape, kernel, stride, padding, dilation):
    return tuple(output_size(*args) for args in zip(x_shape[2:], kernel, stride, padding, dilation))


def _offset(a, b, out_hw, stride, dilation):
    """The slices of the padded input that filter tap (a, b) reads, one pixel per window."""
    (oh, ow), (sh, sw), (dh, dw) = out_hw, stride, dilation
    return (slice(a * dh, a * dh + sh * (oh - 1) + 1, sh),
            slice(b * dw, b * dw + sw * (ow - 1) + 1, sw))


def im2col_reference(x, kernel, stride, padding, dilation):
    """x (N, C, H, W) -> cols (N, C*KH*KW, OH*OW): row (c, a, b) is tap (a, b) of channel c."""
    (kh, kw), (ph, pw) = kernel, padding
    n, c = x.shape[:2]
    out_hw = _out_hw(x.shape, kernel, stride, padding, dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((n, c, kh, kw) + out_hw, dtype=x.dtype)
    for a in range(kh):
        for b in range(kw):
            cols[:, :, a, b] = xp[(Ellipsis,) + _offset(a, b, out_hw, stride, dilation)]
    return cols.reshape(n, c * kh * kw, -1)


def col2im_reference(cols, x_shape, kernel, stride, padding, dilation):
    """The adjoint of ``im2col_reference``: every entry added back onto its input pixel."""
    (kh, kw), (ph, pw) = kernel, padding
    n, c, h, w = x_shape
    out_hw = _out_hw(x_shape, kernel, stride, padding, dilation)
    cols = cols.reshape((n, c, kh, kw) + out_hw)
    dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for a in range(kh):
        for b in range(kw):
            dxp[(Ellipsis,) + _offset(a, b, out_hw, stride, dilation)] += cols[:, :, a, b]
    return dxp[:, :, ph:ph + h, pw:pw + w]


def conv_reference(x, w, stride, padding, dilation):
    """y (N, F, OH, OW) = w reshaped (F, C*KH*KW) times the window matrix of x."""
    f = w.shape[0]
    cols = im2col_reference(x, w.shape[2:], stride, padding, dilation)
    out_hw = _out_hw(x.shape, w.shape[2:], stride, padding, dilation)
    return (w.reshape(f, -1) @ cols).reshape((x.shape[0], f) + out_hw)


def conv_grads_reference(x, w, dy, stride, padding, dilation):
    """``(dx, dw)`` for upstream dy (N, F, OH, OW): dw = dy @ cols.T, dx = col2im(w.T @ dy)."""
    f = w.shape[0]
    n = x.shape[0]
    cols = im2col_reference(x, w.shape[2:], stride, padding, dilation)
    dy2 = dy.reshape(n, f, -1)
    dw = (dy2 @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    dcols = w.reshape(f, -1).T @ dy2
    return col2im_reference(dcols, x.shape, w.shape[2:], stride, padding, dilation), dw


def _pool_windows(x, pool, stride):
    """(N, C, OH, OW, ph*pw): the pixels of each window, in row-major order inside it."""
    out_hw = _out_hw(x.shape, pool, stride, (0, 0), (1, 1))
    taps = [x[(Ellipsis,) + _offset(a, b, out_hw, stride, (1, 1))]
            for a in range(pool[0]) for b in range(pool[1])]
    return np.stack(taps, axis=-1)


def pool_reference(x, pool, stride, mode):
    """The max (a NaN counts as the maximum) or the mean of each window: (N, C, OH, OW)."""
    windows = _pool_windows(x, pool, stride)
    if mode == "max":
        first = windows.argmax(axis=-1)        # argmax returns the first maximum, or NaN
        return np.take_along_axis(windows, first[..., None], axis=-1)[..., 0]
    return windows.mean(axis=-1)


def pool_grad_reference(x, dy, pool, stride, mode):
    """dx (N, C, H, W): each window's dy to its first maximum ("max", torch's rule; a NaN is
    the maximum) or spread evenly over it ("mean"); overlapping windows add up."""
    windows = _pool_windows(x, pool, stride)
    out_hw = windows.shape[2:4]
    if mode == "max":
        first = windows.argmax(axis=-1)
        share = [np.where(first == k, dy, 0) for k in range(windows.shape[-1])]
    else:
        share = [dy / windows.shape[-1]] * windows.shape[-1]
    dx = np.zeros(x.shape, dtype=dy.dtype)
    taps = [(a, b) for a in range(pool[0]) for b in range(pool[1])]
    for (a, b), part in zip(taps, share):
        dx[(Ellipsis,) + _offset(a, b, out_hw, stride, (1, 1))] += part
    return dx
