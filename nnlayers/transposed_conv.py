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

from ._geometry import transposed_output_size
from ._init import he_normal, init_args
from ._layer import Layer
from ._typing import Array, ArrayLike, Config, Grads, IntPair, Seed
from ._validate import as_int, as_int_pair, check_nbytes
from .conv4d import (check_channels, check_conv_memory, conv_forward, conv_grad_input,
                     conv_grad_weight)

__all__ = ["nn_transposed_conv_layer"]


class nn_transposed_conv_layer(Layer):
    """A transposed ("fractionally strided") convolution, torch's ConvTranspose2d.

    Parameters
    ----------
    filter_width, filter_height : int     KH (axis 2) and KW (axis 3)
    in_ch_size, num_filters : int         C (input channels) and F (output channels)
    std : float       W ~ N(0, std / sqrt(in_ch_size * filter_width * filter_height / 2))
    stride, padding : int or pair, keyword-only
    rng : None, int or numpy.random.Generator, keyword-only
    """

    param_names = ("W", "b")
    input_ndim = 4

    def __init__(self, filter_width: int, filter_height: int, in_ch_size: int, num_filters: int,
                 std: float = 1e0, *, stride: IntPair = 1, padding: IntPair = 0,
                 rng: Seed = None) -> None:
        where = type(self).__name__
        kh = as_int(where, "filter_width", filter_width)
        kw = as_int(where, "filter_height", filter_height)
        c = as_int(where, "in_ch_size", in_ch_size)
        f = as_int(where, "num_filters", num_filters)
        std, generator = init_args(where, std, rng)
        self.stride = as_int_pair(where, "stride", stride)
        self.padding = as_int_pair(where, "padding", padding, minimum=0)
        self.W = he_normal(where, generator, (c, f, kh, kw), c * kh * kw, std)
        self.b = np.full((1, f, 1, 1), 0.01)

    def config(self) -> Config:
        c, f, kh, kw = self.W.shape
        return {"filter_width": kh, "filter_height": kw, "in_ch_size": c, "num_filters": f,
                "stride": self.stride, "padding": self.padding}

    def _output_shape(self, where, x_shape):
        c, f, kh, kw = self.W.shape
        check_channels(where, x_shape, self.W.shape, c)
        out = tuple(transposed_output_size(size, k, s, p) for size, k, s, p in
                    zip(x_shape[2:], (kh, kw), self.stride, self.padding))
        if min(out) < 1:
            raise ValueError(f"{where}: x of shape {tuple(x_shape)} gives an output of spatial "
                             f"size {out} with stride {self.stride} and padding "
                             f"{self.padding}; it must be at least 1x1")
        check_nbytes(where, "the output", (x_shape[0], f) + out, np.float64)
        # forward is conv4d's input gradient: the output, padded, is that convolution's input
        check_conv_memory(where, (x_shape[0], f) + out, self.W.shape, self.padding,
                          tuple(x_shape[2:]), padded="padded output")
        return (x_shape[0], f) + out

    def forward(self, x: ArrayLike) -> Array:
        """x (N, C, H, W) -> y (N, F, OH, OW), OH = (H-1)*sh - 2*ph + KH."""
        _, x, y_shape = self._checked("forward", x)
        y = conv_grad_input(x, self.W.astype(x.dtype, copy=False), y_shape, self.stride,
                            self.padding, (1, 1))
        y += self.b.astype(x.dtype, copy=False)
        return y

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Grads:
        """dLdy (N, F, OH, OW) -> (dLdx (N, C, H, W), dLdW (C, F, KH, KW), dLdb (1, F, 1, 1))."""
        _, x, dLdy = self._checked_backprop(x, dLdy)
        W = self.W.astype(dLdy.dtype, copy=False)
        dx = conv_forward(dLdy, W, self.stride, self.padding, (1, 1))
        # forward(x) = A(x) with A the adjoint of conv4d(., W): L = <g, A x> = <conv4d(g, W), x>,
        # so dL/dW is the weight gradient of conv4d at input g with upstream x.
        dW = conv_grad_weight(dLdy, x, W.shape, self.stride, self.padding, (1, 1))
        return dx, dW, dLdy.sum(axis=(0, 2, 3)).reshape(self.b.shape)
