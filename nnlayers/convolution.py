"""The course's convolutional layer: parameters around the ``conv4d`` helper."""

from typing import Optional

import numpy as np

from ._init import he_normal, init_args
from ._layer import Layer
from ._typing import Array, ArrayLike, Config, Grads, IntPair, Seed
from ._validate import as_int, as_int_pair
from .conv4d import conv_forward, conv_geometry, conv_grads

__all__ = ["nn_convolutional_layer"]


class nn_convolutional_layer(Layer):
    """A 2-D convolutional layer: ``y = conv4d(x, W, stride, padding, dilation) + b``.

    Shapes:
        x     (N, C, H, W)            C = in_ch_size
        W     (F, C, filter_width, filter_height)      F = num_filters
        b     (1, F, 1, 1)
        y     (N, F, OH, OW)          OH = (H + 2*ph - dh*(filter_width-1) - 1) // sh + 1
                                      OW = (W + 2*pw - dw*(filter_height-1) - 1) // sw + 1

    The course names the spatial axes (width, height); they are simply axes 2 and 3, and
    ``filter_width`` runs along axis 2 as ``W``'s layout shows.

    Parameters
    ----------
    filter_width, filter_height : int
        The filter's extent along spatial axes 2 and 3.
    input_size : int or pair
        Accepted for compatibility with the course's code; only validated, so it is not
        part of the layer's configuration.  The layer takes inputs of any spatial size
        the filter fits.
    in_ch_size, num_filters : int
        Input channels C and output channels F.
    std : float
        Weights are drawn from ``N(0, std / sqrt(in_ch_size * filter_width *
        filter_height / 2))`` (the course's He-style init); ``b`` starts at 0.01.
    stride, padding, dilation : int or pair, keyword-only
    rng : None, int or numpy.random.Generator, keyword-only
        Source of the initial weights, for reproducibility.

    The layer keeps no state between calls: ``backprop`` receives ``x`` again.
    Computation runs in ``x``'s floating dtype (integers and bool as float64),
    so a float32 input gives float32 outputs and gradients.
    """

    param_names = ("W", "b")
    input_ndim = 4

    def __init__(self, filter_width: int, filter_height: int, input_size: IntPair,
                 in_ch_size: int, num_filters: int, std: float = 1e0, *, stride: IntPair = 1,
                 padding: IntPair = 0, dilation: IntPair = 1, rng: Seed = None) -> None:
        where = type(self).__name__
        filter_width = as_int(where, "filter_width", filter_width)
        filter_height = as_int(where, "filter_height", filter_height)
        self.input_size = as_int_pair(where, "input_size", input_size)
        in_ch_size = as_int(where, "in_ch_size", in_ch_size)
        num_filters = as_int(where, "num_filters", num_filters)
        std, generator = init_args(where, std, rng)
        self.stride = as_int_pair(where, "stride", stride)
        self.padding = as_int_pair(where, "padding", padding, minimum=0)
        self.dilation = as_int_pair(where, "dilation", dilation)
        self.W = he_normal(where, generator, (num_filters, in_ch_size, filter_width,
                                              filter_height),
                           in_ch_size * filter_width * filter_height, std)
        self.b = np.full((1, num_filters, 1, 1), 0.01)

    def config(self) -> Config:
        f, c, kh, kw = self.W.shape
        return {"filter_width": kh, "filter_height": kw, "in_ch_size": c, "num_filters": f,
                "stride": self.stride, "padding": self.padding, "dilation": self.dilation}

    def _output_shape(self, where, x_shape):
        *_, y_shape = conv_geometry(where, x_shape, self.W.shape, self.stride, self.padding,
                                    self.dilation, "x", "W")
        return y_shape

    def forward(self, x: ArrayLike) -> Array:
        """``y = conv4d(x, W) + b``: x (N, C, H, W) -> y (N, F, OH, OW)."""
        _, x, _ = self._checked("forward", x)
        return conv_forward(x, self.W.astype(x.dtype, copy=False), self.stride, self.padding,
                            self.dilation, bias=self.b.astype(x.dtype, copy=False))

    def backprop(self, x: ArrayLike, dLdy: ArrayLike) -> Grads:
        """Gradients of the loss given ``dLdy`` (N, F, OH, OW), the gradient at the output.

        Returns ``(dLdx, dLdW, dLdb)`` with the shapes of ``x``, ``W`` and ``b``:
            dLdx = conv4d_grad_input(dLdy, W, x.shape, ...)
            dLdW = conv4d_grad_weight(x, dLdy, W.shape, ...)
            dLdb = dLdy summed over N, OH and OW, shaped (1, F, 1, 1)
        """
        _, x, dLdy = self._checked_backprop(x, dLdy)
        dLdx, dLdW = conv_grads(x, self.W.astype(dLdy.dtype, copy=False), dLdy, self.stride,
                                self.padding, self.dilation)
        return dLdx, dLdW, dLdy.sum(axis=(0, 2, 3)).reshape(self.b.shape)
