"""The course's convolutional layer: parameters around the ``conv4d`` helper."""

import numpy as np

from ._init import check_std, he_normal, make_rng
from ._params import add_in_place, replaced
from ._validate import as_int_pair, as_positive_int, as_real_array, float_dtype, layer_upstream
from .conv4d import _backward, _correlate, check_conv_geometry

__all__ = ["nn_convolutional_layer"]


class nn_convolutional_layer:
    """A 2-D convolutional layer: ``y = conv4d(x, W, stride, padding, dilation) + b``.

    Shapes:
        x     (N, C, H, W)            C = in_ch_size
        W     (F, C, filter_width, filter_height)      F = num_filters
        b     (1, F, 1, 1)
        y     (N, F, OH, OW)          OH = (H + 2*ph - dh*(filter_width-1) - 1) // sh + 1
                                      OW = (W + 2*pw - dw*(filter_height-1) - 1) // sw + 1

    The course names the spatial axes (width, height); they are simply axes 2
    and 3, and ``filter_width`` runs along axis 2 as ``W``'s layout shows.

    Parameters
    ----------
    filter_width, filter_height : int
        The filter's extent along spatial axes 2 and 3.
    input_size : int or pair
        Accepted for compatibility with the course's code; only validated.
        The layer takes inputs of any spatial size the filter fits.
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

    def __init__(self, filter_width, filter_height, input_size, in_ch_size,
                 num_filters, std=1e0, *, stride=1, padding=0, dilation=1,
                 rng=None):
        where = "nn_convolutional_layer"
        filter_width = as_positive_int(where, "filter_width", filter_width)
        filter_height = as_positive_int(where, "filter_height", filter_height)
        self.input_size = as_int_pair(where, "input_size", input_size)
        in_ch_size = as_positive_int(where, "in_ch_size", in_ch_size)
        num_filters = as_positive_int(where, "num_filters", num_filters)
        std = check_std(where, std)
        self.stride = as_int_pair(where, "stride", stride)
        self.padding = as_int_pair(where, "padding", padding, minimum=0)
        self.dilation = as_int_pair(where, "dilation", dilation)
        generator = make_rng(where, rng)

        self.W = he_normal(generator, (num_filters, in_ch_size, filter_width, filter_height),
                           in_ch_size * filter_width * filter_height, std)
        self.b = np.full((1, num_filters, 1, 1), 0.01)

    def __repr__(self):
        f, c, kh, kw = self.W.shape
        return (f"nn_convolutional_layer(filter_width={kh}, filter_height={kw}, "
                f"input_size={self.input_size}, in_ch_size={c}, num_filters={f}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation})")

    # -- parameters -------------------------------------------------------
    def get_weights(self):
        """Return ``(W, b)``: W (F, C, filter_width, filter_height), b (1, F, 1, 1)."""
        return self.W, self.b

    def set_weights(self, W, b):
        """Replace the parameters with copies of ``W`` (F, C, filter_width, filter_height) and
        ``b`` (1, F, 1, 1)."""
        self.W, self.b = replaced("nn_convolutional_layer.set_weights", (self.W, self.b), (W, b),
                                  (("W", "the layer's filter bank"), ("b", "one bias per filter")))

    def update_weights(self, dW, db):
        """Add ``dW`` to ``W`` and ``db`` to ``b`` in place (``W += dW``, ``b += db``)."""
        add_in_place("nn_convolutional_layer.update_weights", (self.W, self.b), (dW, db),
                     (("dW", "the shape of W"), ("db", "the shape of b")))

    # -- computation ------------------------------------------------------
    def _check_input(self, where, x):
        x = as_real_array(where, "x", x, ndim=4)
        *_, y_shape = check_conv_geometry(where, x.shape, self.W.shape, self.stride,
                                          self.padding, self.dilation, "x", "W")
        return x, y_shape

    def forward(self, x):
        """``y = conv4d(x, W) + b``: x (N, C, H, W) -> y (N, F, OH, OW)."""
        x, _ = self._check_input("nn_convolutional_layer.forward", x)
        dtype = float_dtype(x.dtype)
        return _correlate(x.astype(dtype, copy=False), self.W.astype(dtype, copy=False),
                          self.stride, self.padding, self.dilation,
                          bias=self.b.astype(dtype, copy=False))

    def backprop(self, x, dLdy):
        """Gradients of the loss given ``dLdy`` (N, F, OH, OW), the gradient at the output.

        Returns ``(dLdx, dLdW, dLdb)`` with the shapes of ``x``, ``W`` and ``b``:
            dLdx = conv4d_grad_input(dLdy, W, x.shape, ...)
            dLdW = conv4d_grad_weight(x, dLdy, W.shape, ...)
            dLdb = dLdy summed over N, OH and OW, shaped (1, F, 1, 1)
        """
        where = "nn_convolutional_layer.backprop"
        x, y_shape = self._check_input(where, x)
        dLdy = layer_upstream(where, dLdy, y_shape, x.dtype)
        x = x.astype(dLdy.dtype, copy=False)
        W = self.W.astype(dLdy.dtype, copy=False)
        dLdx, dLdW = _backward(dLdy, x.shape, W.shape, self.stride, self.padding, self.dilation,
                               x=x, w=W)
        dLdb = dLdy.sum(axis=(0, 2, 3)).reshape(self.b.shape)
        return dLdx, dLdW, dLdb
