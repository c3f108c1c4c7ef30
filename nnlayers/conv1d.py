"""A 1-D convolutional layer: the 2-D helper on maps of height 1.

Shapes:
    x   (N, C, W)
    W   (F, C, K)          the layout of torch.nn.Conv1d.weight
    b   (1, F, 1)
    y   (N, F, OW)         OW = (W + 2*padding - dilation*(K-1) - 1) // stride + 1
"""

import numpy as np

from ._init import check_std, he_normal, make_rng
from ._params import add_in_place, replaced
from ._validate import as_positive_int, layer_input, layer_upstream
from .conv4d import _backward, _correlate

__all__ = ["nn_conv1d_layer"]


class nn_conv1d_layer:
    """``y = correlate(x, W, stride, padding, dilation) + b`` along one axis.

    Parameters
    ----------
    filter_size : int          K
    in_ch_size, num_filters : int   C and F
    std : float                W ~ N(0, std / sqrt(in_ch_size * filter_size / 2)); b = 0.01
    stride, padding, dilation : int, keyword-only
    rng : None, int or numpy.random.Generator, keyword-only
    """

    def __init__(self, filter_size, in_ch_size, num_filters, std=1e0, *, stride=1, padding=0,
                 dilation=1, rng=None):
        where = "nn_conv1d_layer"
        filter_size = as_positive_int(where, "filter_size", filter_size)
        in_ch_size = as_positive_int(where, "in_ch_size", in_ch_size)
        num_filters = as_positive_int(where, "num_filters", num_filters)
        std = check_std(where, std)
        self.stride = as_positive_int(where, "stride", stride)
        self.padding = as_positive_int(where, "padding", padding, minimum=0)
        self.dilation = as_positive_int(where, "dilation", dilation)
        self.W = he_normal(make_rng(where, rng), (num_filters, in_ch_size, filter_size),
                           in_ch_size * filter_size, std)
        self.b = np.full((1, num_filters, 1), 0.01)

    def get_weights(self):
        """``(W, b)``: W (F, C, K), b (1, F, 1)."""
        return self.W, self.b

    def set_weights(self, W, b):
        """Replace the parameters with copies of ``W`` (F, C, K) and ``b`` (1, F, 1)."""
        self.W, self.b = replaced("nn_conv1d_layer.set_weights", (self.W, self.b), (W, b),
                                  (("W", "the layer's filter bank"), ("b", "one bias per filter")))

    def update_weights(self, dW, db):
        """``W += dW``, ``b += db``."""
        add_in_place("nn_conv1d_layer.update_weights", (self.W, self.b), (dW, db),
                     (("dW", "the shape of W"), ("db", "the shape of b")))

    def _geometry(self, where, x):
        x = layer_input(where, x, 3)
        f, c, k = self.W.shape
        if x.shape[1] != c:
            raise ValueError(f"{where}: x has {x.shape[1]} input channels, W expects {c} "
                             f"(x.shape = {x.shape}, W.shape = {self.W.shape})")
        span = self.dilation * (k - 1) + 1
        if span > x.shape[2] + 2 * self.padding or 0 in x.shape:
            raise ValueError(f"{where}: the filter of size {k} with dilation {self.dilation} "
                             f"spans {span}, more than the padded input length "
                             f"{x.shape[2]} + 2*{self.padding} (x.shape = {x.shape})")
        out = (x.shape[2] + 2 * self.padding - span) // self.stride + 1
        return x, (x.shape[0], f, out)

    def _as_2d(self):
        return (1, self.stride), (0, self.padding), (1, self.dilation)

    def forward(self, x):
        """x (N, C, W) -> y (N, F, OW)."""
        x, _ = self._geometry("nn_conv1d_layer.forward", x)
        dtype = x.dtype
        y = _correlate(x[:, :, None, :], self.W.astype(dtype, copy=False)[:, :, None, :],
                       *self._as_2d(), bias=self.b.astype(dtype, copy=False)[..., None])
        return y[:, :, 0, :]

    def backprop(self, x, dLdy):
        """dLdy (N, F, OW) -> (dLdx (N, C, W), dLdW (F, C, K), dLdb (1, F, 1))."""
        where = "nn_conv1d_layer.backprop"
        x, y_shape = self._geometry(where, x)
        dLdy = layer_upstream(where, dLdy, y_shape, x.dtype)
        x, W = x.astype(dLdy.dtype, copy=False), self.W.astype(dLdy.dtype, copy=False)
        dx, dW = _backward(dLdy[:, :, None, :], x.shape[:2] + (1,) + x.shape[2:],
                           W.shape[:2] + (1,) + W.shape[2:], *self._as_2d(),
                           x=x[:, :, None, :], w=W[:, :, None, :])
        return dx[:, :, 0, :], dW[:, :, 0, :], dLdy.sum(axis=(0, 2)).reshape(self.b.shape)
