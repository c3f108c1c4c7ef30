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

from ._init import check_std, he_normal, make_rng
from ._params import add_in_place, replaced
from ._validate import as_positive_int, layer_input, layer_upstream
from .conv4d import conv4d, conv4d_grad_input, conv4d_grad_weight

__all__ = ["nn_transposed_conv1d_layer", "transposed_output_size"]


def transposed_output_size(size, kernel_size, stride, padding):
    """Output length of a transposed convolution: ``(size - 1)*stride - 2*padding + kernel_size``."""
    return (size - 1) * stride - 2 * padding + kernel_size


class nn_transposed_conv1d_layer:
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
    buffer_names = ()

    def __init__(self, filter_size, in_ch_size, num_filters, std=1e0, *, stride=1, padding=0,
                 rng=None):
        where = "nn_transposed_conv1d_layer"
        k = as_positive_int(where, "filter_size", filter_size)
        c = as_positive_int(where, "in_ch_size", in_ch_size)
        f = as_positive_int(where, "num_filters", num_filters)
        std = check_std(where, std)
        self.stride = as_positive_int(where, "stride", stride)
        self.padding = as_positive_int(where, "padding", padding, minimum=0)
        self.W = he_normal(make_rng(where, rng), (c, f, k), c * k, std)
        self.b = np.full((1, f, 1), 0.01)

    def __repr__(self):
        c, f, k = self.W.shape
        return (f"nn_transposed_conv1d_layer(filter_size={k}, in_ch_size={c}, num_filters={f}, "
                f"stride={self.stride}, padding={self.padding})")

    def get_weights(self):
        """``(W, b)``: W (C, F, K), b (1, F, 1)."""
        return self.W, self.b

    def set_weights(self, W, b):
        """Replace the parameters with copies of ``W`` (C, F, K) and ``b`` (1, F, 1) or (F,)."""
        self.W, self.b = replaced("nn_transposed_conv1d_layer.set_weights", (self.W, self.b),
                                  (W, b), (("W", "the layer's filter bank"),
                                           ("b", "one bias per output channel")))

    def update_weights(self, dW, db):
        """``W += dW``, ``b += db``."""
        add_in_place("nn_transposed_conv1d_layer.update_weights", (self.W, self.b), (dW, db),
                     (("dW", "the shape of W"), ("db", "the shape of b")))

    def _geometry(self, where, x):
        """x checked, and the output shape (N, F, OW)."""
        x = layer_input(where, x, 3)
        c, f, k = self.W.shape
        if x.shape[1] != c:
            raise ValueError(f"{where}: x has {x.shape[1]} input channels, W expects {c} "
                             f"(x.shape = {x.shape}, W.shape = {self.W.shape})")
        out = transposed_output_size(x.shape[2], k, self.stride, self.padding)
        if out < 1 or 0 in x.shape:
            raise ValueError(f"{where}: x of shape {x.shape} gives an output of length {out} "
                             f"with filter_size {k}, stride {self.stride} and padding "
                             f"{self.padding}; it must be at least 1 (and x not empty)")
        return x, (x.shape[0], f, out)

    def _as_2d(self):
        """The 2-D helpers' stride and padding for maps of height 1."""
        return {"stride": (1, self.stride), "padding": (0, self.padding)}

    def forward(self, x):
        """x (N, C, W) -> y (N, F, OW), OW = (W - 1)*stride - 2*padding + K."""
        x, (n, f, out) = self._geometry("nn_transposed_conv1d_layer.forward", x)
        W = self.W.astype(x.dtype, copy=False)[:, :, None, :]
        y = conv4d_grad_input(x[:, :, None, :], W, (n, f, 1, out), **self._as_2d())
        return y[:, :, 0, :] + self.b.astype(x.dtype, copy=False)

    def backprop(self, x, dLdy):
        """dLdy (N, F, OW) -> (dLdx (N, C, W), dLdW (C, F, K), dLdb (1, F, 1))."""
        where = "nn_transposed_conv1d_layer.backprop"
        x, y_shape = self._geometry(where, x)
        dLdy = layer_upstream(where, dLdy, y_shape, x.dtype)
        x4 = x.astype(dLdy.dtype, copy=False)[:, :, None, :]
        dy4 = dLdy[:, :, None, :]
        W4 = self.W.astype(dLdy.dtype, copy=False)[:, :, None, :]
        dx = conv4d(dy4, W4, **self._as_2d())
        # forward(x) = A x with A the adjoint of conv(., W): L = <g, A x> = <conv(g, W), x>,
        # so dL/dW is the weight gradient of the convolution at input g with upstream x.
        dW = conv4d_grad_weight(dy4, x4, W4.shape, **self._as_2d())
        return dx[:, :, 0, :], dW[:, :, 0, :], dLdy.sum(axis=(0, 2)).reshape(self.b.shape)
