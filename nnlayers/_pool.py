"""What the pooling layers share: argument checks, (N, C, W) inputs, strided offset views.

A window of a ``ph x pw`` pool is seen through ``ph*pw`` strided views of the input, one per
pixel offset (i, j) inside the window; view (i, j) holds pixel (i, j) of every window.  Work
is then a short loop over offsets, each step a whole-array operation (a generic window view
with an argmax over a copied window axis was measured 25x slower).  Inputs of shape
(N, C, W) are pooled as (N, C, 1, W) with a 1 x p window.
"""

from ._memory import batch_chunks
from ._validate import as_int_pair, as_real_array, float_dtype

__all__ = ["POOL_CHUNK_BYTES", "pool_args", "pool_input", "offset_views", "pool_chunks"]

# Pooling works through the batch in chunks of about this much input: its dozen
# passes then stay in cache (benchmarks/bench_layers.py: 2.5x faster on 16 MiB inputs).
POOL_CHUNK_BYTES = 1 << 20


def pool_args(where, pool_size, stride):
    """Validated ``(pool_size, stride)`` as given (int or pair); stride defaults to pool_size."""
    as_int_pair(where, "pool_size", pool_size)
    if stride is None:
        stride = pool_size
    as_int_pair(where, "stride", stride)
    return pool_size, stride


def pool_input(where, x, pool_size, stride):
    """``(x4, pool, stride, y_shape)``: x as a float (N, C, H, W) array or view, the window and
    step as pairs, and the output shape in x's own rank: (N, C, OH, OW) or (N, C, OW)."""
    x = as_real_array(where, "x", x, ndim=(3, 4))
    x = x.astype(float_dtype(x.dtype), copy=False)
    if x.ndim == 3:
        if not isinstance(pool_size, int) or not isinstance(stride, int):
            raise ValueError(f"{where}: for (N, C, W) inputs pool_size and stride must be "
                             f"integers, got pool_size={pool_size!r}, stride={stride!r}")
        x4, pool, step = x[:, :, None, :], (1, pool_size), (1, stride)
    else:
        x4, pool, step = x, as_int_pair(where, "pool_size", pool_size), as_int_pair(where, "stride", stride)
    if 0 in x.shape:
        raise ValueError(f"{where}: x has an empty axis, shape {x.shape}")
    h, w = x4.shape[2:]
    if pool[0] > h or pool[1] > w:
        window = f"{pool[0]}x{pool[1]}" if x.ndim == 4 else f"{pool[1]}-long"
        raise ValueError(f"{where}: the {window} pool window does not fit in the input "
                         f"(spatial size {x.shape[2:]}, x.shape = {x.shape})")
    out = ((h - pool[0]) // step[0] + 1, (w - pool[1]) // step[1] + 1)
    y_shape = x.shape[:2] + (out if x.ndim == 4 else out[1:])
    return x4, pool, step, y_shape


def offset_views(a, pool, stride, out_hw):
    """One strided view (N, C, OH, OW) of ``a`` per window offset (i, j), in row-major order."""
    (ph, pw), (sh, sw), (oh, ow) = pool, stride, out_hw
    return [a[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
            for i in range(ph) for j in range(pw)]


def pool_chunks(x4):
    """Batch chunks of about POOL_CHUNK_BYTES of input (and within the memory bound)."""
    per_image = x4[:1].nbytes
    return batch_chunks(x4.shape[0], per_image, per_image, target=POOL_CHUNK_BYTES)
