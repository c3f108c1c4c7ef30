"""A 1-D convolutional layer: the 2-D helper on maps of height 1.

Shapes:
    x   (N, C, W)
    W   (F, C, K)          the layout of torch.nn.Conv1d.weight
    b   (1, F, 1)
    y   (N, F, OW)         OW = (W + 2*padding - dilation*(K-1) - 1) // stride + 1
"""

from typing import Tuple

import numpy as np

from ._geometry import window_positions
from ._init import he_normal, init_args
from ._layer import Layer
from ._typing import Array, ArrayLike, Config, Grads, Seed
from ._validate import as_int
from .conv4d import check_channels, check_conv_memory, conv_forward, conv_grads

__all__ = ["nn_conv1d_layer"]


class nn_conv1d_layer(Layer):
    """``y = correlate(x, W, stride, padding, dilation) + b`` along one axis.

    Parameters
    ----------
    filter_size : int          K
    in_ch_size, num_filters : int   C and F
    std : float                W ~ N(0, std / sqrt(in_ch_size * filter_size / 2)); b = 0.01
    stride, padding, dilation : int, keyword-only
    rng : None, int or numpy.random.Generator, keyword-only
    """

    param_names = ("W", "b")
    input_ndim = 3

    def __init__(self, filter_size: int, in_ch_size: int, num_filters: int, std: float = 1e0, *,
                 stride: int = 1, padding: int = 0, dilation: int = 1, rng: Seed = None) -> None:
        where = type(self).__name__
        filter_size = as_int(where, "filter_size", filter_size)
        in_ch_size = as_int(where, "in_ch_size", in_ch_size)
        num_filters = as_int(where, "num_filters", num_filters)
        std, generator = init_args(where, std, rng)
        self.stride = as_int(where, "stride", stride)
        self.padding = as_int(where, "padding", padding, minimum=0)
        self.dilation = as_int(where, "dilation", dilation)
        self.W = he_normal(where, generator, (num_filters, in_ch_size, filter_size),
                           in_ch_size * filter_size, std)
        self.b = np.full((1, num_filters, 1), 0.01)

    def config(self) -> Config:
        f, c, k = self.W.shape
        return {"filter_size": k, "in_ch_size": c, "num_filters": f, "stride": self.stride,
                "padding": self.padding, "dilation": self.dilation}

    def _as_2d(self) -> Tuple[Tuple[int, int], Tuple[int, int], Tuple[int, int]]:
        """stride, padding, dilation as pairs for maps of height 1."""
        return (1, self.stride), (0, self.padding), (1, self.dilation)

    def _output_shape(self, where, x_shape):
        f, c, k = self.W.shape
        check_channels(where, x_shape, self.W.shape, c)
        out = window_positions(where, "x", x_shape, (k,), (self.stride,), (self.padding,),
                               (self.dilation,))
        n, _, w = x_shape
        check_conv_memory(where, (n, c, 1, w), (f, c, 1, k), self._as_2d()[1], (1,) + out)
        return (n, f) + out

    def forward(self, x: ArrayLike) -> Array:
        """x (N, C, W) -> y (N, F, OW)."""
        _, x, _ = self._checked("forward", x)
        W = self.W.astype(x.dtype, copy=False)
        y = conv_forward(x[:, :, None, :], W[:, :, None, :], *self._as_2d(),
                         bias=self.b.astype(x.dtype, copy=False)[..., None])
        return y[:, :, 0, :]

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Grads:
        """dLdy (N, F, OW) -> (dLdx (N, C, W), dLdW (F, C, K), dLdb (1, F, 1))."""
        _, x, dLdy = self._checked_backprop(x, dLdy)
        W = self.W.astype(dLdy.dtype, copy=False)
        dx, dW = conv_grads(x[:, :, None, :], W[:, :, None, :], dLdy[:, :, None, :],
                            *self._as_2d())
        return dx[:, :, 0, :], dW[:, :, 0, :], dLdy.sum(axis=(0, 2)).reshape(self.b.shape)
