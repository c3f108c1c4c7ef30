"""The transposed convolution: the adjoint of the convolution, used as a layer.

Shapes (torch.nn.ConvTranspose2d semantics and weight layout):
    x   (N, C, H, W)              C = in_ch_size
    W   (C, F, KH, KW)            F = num_filters
    b   (1, F, 1, 1)
    y   (N, F, OH, OW)            OH = (H - 1)*sh - 2*ph + (KH - 1) + 1   (likewise OW)

``forward(x)`` is the input gradient of ``conv4d(·, W, stride, padding)``: it spreads each
input pixel over a KH x KW patch of the output, stepping by the stride.  Its backprop is
therefore the convolution itself: dL/dx = conv4d(dL/dy, W), and dL/dW correlates dL/dy
with x.  Nothing is written twice: both directions reuse conv4d's code.
"""

import numpy as np

from ._init import check_std, he_normal, make_rng
from ._params import add_in_place, replaced
from ._validate import as_int_pair, as_positive_int, layer_input, layer_upstream
from .conv4d import _backward, _correlate

__all__ = ["nn_transposed_conv_layer"]


class nn_transposed_conv_layer:
    """A transposed ("fractionally strided") convolution, torch's ConvTranspose2d.

    Parameters
    ----------
    filter_width, filter_height : int     KH (axis 2) and KW (axis 3)
    in_ch_size, num_filters : int         C (input channels) and F (output channels)
    std : float       W ~ N(0, std / sqrt(in_ch_size * filter_width * filter_height / 2))
    stride, padding : int or pair, keyword-only
    rng : None, int or numpy.random.Generator, keyword-only
    """

    def __init__(self, filter_width, filter_height, in_ch_size, num_filters, std=1e0, *,
                 stride=1, padding=0, rng=None):
        where = "nn_transposed_conv_layer"
        kh = as_positive_int(where, "filter_width", filter_width)
        kw = as_positive_int(where, "filter_height", filter_height)
        c = as_positive_int(where, "in_ch_size", in_ch_size)
        f = as_positive_int(where, "num_filters", num_filters)
        std = check_std(where, std)
        self.stride = as_int_pair(where, "stride", stride)
        self.padding = as_int_pair(where, "padding", padding, minimum=0)
        self.W = he_normal(make_rng(where, rng), (c, f, kh, kw), c * kh * kw, std)
        self.b = np.full((1, f, 1, 1), 0.01)

    def get_weights(self):
        """``(W, b)``: W (C, F, KH, KW), b (1, F, 1, 1)."""
        return self.W, self.b

    def set_weights(self, W, b):
        self.W, self.b = replaced("nn_transposed_conv_layer.set_weights", (self.W, self.b),
                                  (W, b), (("W", "the layer's filter bank"),
                                           ("b", "one bias per output channel")))

    def update_weights(self, dW, db):
        """``W += dW``, ``b += db``."""
        add_in_place("nn_transposed_conv_layer.update_weights", (self.W, self.b), (dW, db),
                     (("dW", "the shape of W"), ("db", "the shape of b")))

    def _geometry(self, where, x):
        x = layer_input(where, x, 4)
        c, f, kh, kw = self.W.shape
        if x.shape[1] != c:
            raise ValueError(f"{where}: x has {x.shape[1]} input channels, W expects {c} "
                             f"(x.shape = {x.shape}, W.shape = {self.W.shape})")
        out = tuple((size - 1) * s - 2 * p + k for size, s, p, k in
                    zip(x.shape[2:], self.stride, self.padding, (kh, kw)))
        if min(out) < 1 or 0 in x.shape:
            raise ValueError(f"{where}: x of shape {x.shape} gives an output of spatial size "
                             f"{out} with stride {self.stride} and padding {self.padding}; "
                             f"it must be at least 1x1")
        return x, (x.shape[0], f) + out

    def forward(self, x):
        """x (N, C, H, W) -> y (N, F, OH, OW), OH = (H-1)*sh - 2*ph + KH."""
        where = "nn_transposed_conv_layer.forward"
        x, y_shape = self._geometry(where, x)
        W = self.W.astype(x.dtype, copy=False)
        y, _ = _backward(x, y_shape, W.shape, self.stride, self.padding, (1, 1), w=W)
        y += self.b.astype(x.dtype, copy=False)
        return y

    def backprop(self, x, dLdy):
        """dLdy (N, F, OH, OW) -> (dLdx (N, C, H, W), dLdW (C, F, KH, KW), dLdb (1, F, 1, 1))."""
        where = "nn_transposed_conv_layer.backprop"
        x, y_shape = self._geometry(where, x)
        dLdy = layer_upstream(where, dLdy, y_shape, x.dtype)
        x, W = x.astype(dLdy.dtype, copy=False), self.W.astype(dLdy.dtype, copy=False)
        dx = _correlate(dLdy, W, self.stride, self.padding, (1, 1))
        # forward(x) = A(x) with A the adjoint of conv4d(., W): L = <g, A x> = <conv4d(g, W), x>,
        # so dL/dW is the weight gradient of conv4d at input g with upstream x.
        _, dW = _backward(x, dLdy.shape, W.shape, self.stride, self.padding, (1, 1), x=dLdy)
        return dx, dW, dLdy.sum(axis=(0, 2, 3)).reshape(self.b.shape)
