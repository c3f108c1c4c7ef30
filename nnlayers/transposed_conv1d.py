"""The 1-D transposed convolution: the adjoint of the 1-D convolution, used as a layer.

Shapes (torch.nn.ConvTranspose1d semantics and weight layout):
    x   (N, C, W)        C = in_ch_size
    W   (C, F, K)        F = num_filters
    b   (1, F, 1)
    y   (N, F, OW)       OW = (W - 1)*stride - 2*padding + K

``forward(x)`` spreads each input position over K output positions, stepping by the stride,
and crops ``padding`` positions from each end: it is the input gradient of the convolution
``conv1d(., W, stride, padding)`` that maps (N, F, OW) to (N, C, W).  So its backprop is that
convolution itself, dL/dx = conv1d(dL/dy, W), and dL/dW correlates dL/dy with x.  All three
run through the kit's public 2-D helpers (``conv4d`` and its adjoints) on maps of height 1.

HW2P1's ConvTranspose1d (upsample by k, then a stride-1 convolution with its own filters
``W_mt (F, C, K)``) is this layer with stride k, padding K - 1 and
``W = W_mt.transpose(1, 0, 2)[:, :, ::-1]``.
"""

import numpy as np

from ._geometry import transposed_output_size
from ._init import he_normal, init_args
from ._layer import Layer
from ._typing import Array, ArrayLike, Config, Grads, Seed
from ._validate import as_int
from .conv4d import (check_channels, check_conv_memory, conv_forward, conv_grad_input,
                     conv_grad_weight)

__all__ = ["nn_transposed_conv1d_layer", "transposed_output_size"]


class nn_transposed_conv1d_layer(Layer):
    """A 1-D transposed ("fractionally strided") convolution, torch's ConvTranspose1d.

    Parameters
    ----------
    filter_size : int                     K
    in_ch_size, num_filters : int         C (input channels) and F (output channels)
    std : float       W ~ N(0, std / sqrt(in_ch_size * filter_size / 2)); b = 0.01
    stride : int >= 1, padding : int >= 0, keyword-only
    rng : None, int or numpy.random.Generator, keyword-only
    """

    param_names = ("W", "b")
    input_ndim = 3

    def __init__(self, filter_size: int, in_ch_size: int, num_filters: int, std: float = 1e0, *,
                 stride: int = 1, padding: int = 0, rng: Seed = None) -> None:
        where = type(self).__name__
        k = as_int(where, "filter_size", filter_size)
        c = as_int(where, "in_ch_size", in_ch_size)
        f = as_int(where, "num_filters", num_filters)
        std, generator = init_args(where, std, rng)
        self.stride = as_int(where, "stride", stride)
        self.padding = as_int(where, "padding", padding, minimum=0)
        self.W = he_normal(where, generator, (c, f, k), c * k, std)
        self.b = np.full((1, f, 1), 0.01)

    def config(self) -> Config:
        c, f, k = self.W.shape
        return {"filter_size": k, "in_ch_size": c, "num_filters": f, "stride": self.stride,
                "padding": self.padding}

    def _output_shape(self, where, x_shape):
        """(N, F, OW) for x (N, C, W), OW = (W - 1)*stride - 2*padding + K."""
        c, f, k = self.W.shape
        check_channels(where, x_shape, self.W.shape, c)
        out = transposed_output_size(x_shape[2], k, self.stride, self.padding)
        if out < 1:
            raise ValueError(f"{where}: x of shape {tuple(x_shape)} gives an output of length "
                             f"{out} with filter_size {k}, stride {self.stride} and padding "
                             f"{self.padding}; it must be at least 1")
        # forward is the 2-D input gradient: the output, padded, is that convolution's input
        check_conv_memory(where, (x_shape[0], f, 1, out), (c, f, 1, k), self._as_2d()[1],
                          (1, x_shape[2]), padded="padded output")
        return (x_shape[0], f, out)

    def _as_2d(self):
        """The 2-D helpers' stride, padding and dilation for maps of height 1."""
        return (1, self.stride), (0, self.padding), (1, 1)

    def forward(self, x: ArrayLike) -> Array:
        """x (N, C, W) -> y (N, F, OW), OW = (W - 1)*stride - 2*padding + K."""
        _, x, (n, f, out) = self._checked("forward", x)
        W = self.W.astype(x.dtype, copy=False)[:, :, None, :]
        y = conv_grad_input(x[:, :, None, :], W, (n, f, 1, out), *self._as_2d())
        return y[:, :, 0, :] + self.b.astype(x.dtype, copy=False)

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Grads:
        """dLdy (N, F, OW) -> (dLdx (N, C, W), dLdW (C, F, K), dLdb (1, F, 1))."""
        _, x, dLdy = self._checked_backprop(x, dLdy)
        x4, dy4 = x[:, :, None, :], dLdy[:, :, None, :]
        W4 = self.W.astype(dLdy.dtype, copy=False)[:, :, None, :]
        dx = conv_forward(dy4, W4, *self._as_2d())
        # forward(x) = A x with A the adjoint of conv(., W): L = <g, A x> = <conv(g, W), x>,
        # so dL/dW is the weight gradient of the convolution at input g with upstream x.
        dW = conv_grad_weight(dy4, x4, W4.shape, *self._as_2d())
        return dx[:, :, 0, :], dW[:, :, 0, :], dLdy.sum(axis=(0, 2)).reshape(self.b.shape)
