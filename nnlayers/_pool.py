"""What the pooling layers share: their configuration, (N, C, W) inputs, strided offset views.

A window of a ``ph x pw`` pool is seen through ``ph*pw`` strided views of the input, one per
pixel offset (i, j) inside the window; view (i, j) holds pixel (i, j) of every window.  Work
is then a short loop over offsets, each step a whole-array operation (a generic window view
with an argmax over a copied window axis was measured 25x slower).  Inputs of shape
(N, C, W) are pooled as (N, C, 1, W) with a 1 x p window.  The plain statement of both
poolings is ``nnlayers.reference.pool_reference``.
"""

from typing import Optional

from ._geometry import window_positions
from ._layer import Layer
from ._memory import batch_chunks
from ._typing import Config, IntPair
from ._validate import as_int, as_int_pair

__all__ = ["POOL_CHUNK_BYTES", "PoolLayer", "offset_views", "pool_chunks"]

# Pooling works through the batch in chunks of about this much input: its dozen
# passes then stay in cache (benchmarks/bench_layers.py: 2.5x faster on 16 MiB inputs).
POOL_CHUNK_BYTES = 1 << 20


class PoolLayer(Layer):
    """A window-by-window pooling over ``pool_size`` windows stepped by ``stride``.

    ``pool_size`` and ``stride`` are an int, or a pair (ph, pw) for (N, C, H, W) inputs;
    ``stride`` defaults to ``pool_size``.  ``x (N, C, H, W) -> y (N, C, OH, OW)`` with
    ``OH = (H - ph) // sh + 1`` (likewise OW); ``x (N, C, W) -> y (N, C, OW)``.
    """

    input_ndim = (3, 4)

    def __init__(self, pool_size: IntPair, stride: Optional[IntPair] = None) -> None:
        where = type(self).__name__
        as_int_pair(where, "pool_size", pool_size)
        stride = pool_size if stride is None else stride
        as_int_pair(where, "stride", stride)
        self.pool_size, self.stride = _plain(pool_size), _plain(stride)

    def config(self) -> Config:
        return {"pool_size": self.pool_size, "stride": self.stride}

    def _window(self, where, ndim):
        """``(pool, stride)`` as pairs for an input of ``ndim`` dimensions."""
        if ndim == 3:
            if isinstance(self.pool_size, tuple) or isinstance(self.stride, tuple):
                raise ValueError(f"{where}: for (N, C, W) inputs pool_size and stride must be "
                                 f"integers, got pool_size={self.pool_size!r}, "
                                 f"stride={self.stride!r}")
            return (1, as_int(where, "pool_size", self.pool_size)), (1, self.stride)
        return as_int_pair(where, "pool_size", self.pool_size), as_int_pair(where, "stride",
                                                                            self.stride)

    def _output_shape(self, where, x_shape):
        pool, stride = self._window(where, len(x_shape))
        x4_shape = tuple(x_shape[:2]) + (1,) * (4 - len(x_shape)) + tuple(x_shape[2:])
        out = window_positions(where, "x", x4_shape, pool, stride, (0, 0), (1, 1),
                               "pool window")
        return tuple(x_shape[:2]) + out[4 - len(x_shape):]

    def _as_4d(self, where, x, dLdy=None):
        """``(x4, pool, stride)``, or with dLdy ``(x4, dy4, pool, stride)``: (N, C, W) arrays
        as (N, C, 1, W) views, the window and step as pairs."""
        pool, stride = self._window(where, x.ndim)
        arrays = [a if a.ndim == 4 else a[:, :, None, :] for a in (x, dLdy) if a is not None]
        return (*arrays, pool, stride)


def _plain(value):
    """An int, or a tuple of ints, as given: NumPy integers become Python ints."""
    return int(value) if not isinstance(value, (tuple, list)) else tuple(int(v) for v in value)


def offset_views(a, pool, stride, out_hw):
    """One strided view (N, C, OH, OW) of ``a`` per window offset (i, j), in row-major order."""
    (ph, pw), (sh, sw), (oh, ow) = pool, stride, out_hw
    return [a[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
            for i in range(ph) for j in range(pw)]


def pool_chunks(x4):
    """Batch chunks of about POOL_CHUNK_BYTES of input (and within the memory bound)."""
    per_image = x4[:1].nbytes
    return batch_chunks(x4.shape[0], per_image, per_image, target=POOL_CHUNK_BYTES)
