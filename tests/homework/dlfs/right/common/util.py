# coding: utf-8
import numpy as np


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """Unfold images into one row per window.

    Parameters
    ----------
    input_data : (N, C, H, W)
    filter_h, filter_w : window size
    stride, pad : step between windows, zero padding on every side

    Returns
    -------
    col : (N * out_h * out_w, C * filter_h * filter_w) with
          out_h = (H + 2*pad - filter_h) // stride + 1 (likewise out_w)
    """
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    col = np.empty((N, out_h, out_w, C * filter_h * filter_w))
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * stride, j * stride
            col[:, i, j, :] = img[:, :, top:top + filter_h, left:left + filter_w].reshape(N, -1)
    return col.reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """Fold rows back onto their windows, adding where windows overlap (im2col's adjoint).

    Returns
    -------
    img : input_shape (N, C, H, W)
    """
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * stride, j * stride
            img[:, :, top:top + filter_h, left:left + filter_w] += col[:, i, j]
    return img[:, :, pad:pad + H, pad:pad + W]
