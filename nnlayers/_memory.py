"""The kit's memory bound: process a batch in chunks so scratch memory stays under a budget.

    with nnlayers.memory_limit(64 * 2**20):      # at most ~64 MiB of temporaries per call
        y = layer.forward(x)

A convolution's scratch memory (the window matrix and its companions) grows with
the batch; under a bound the batch is processed a chunk of images at a time.
Without a bound the kit still works in chunks whose window matrix is about
``CACHE_BYTES``: the matrix products then read operands that are still in the
processor's cache, which ``benchmarks/bench_layers.py`` measured up to 1.7x
faster on the cifar shape than one batch-sized matrix.
Results equal the unchunked ones to rounding: forward results and input
gradients are computed image by image either way (float64 results came out
bitwise identical here; float32 matrix products may round differently for
different chunk widths, ~1e-7 relative), and weight gradients are sums over the
batch whose terms are added chunk by chunk (~1e-16 relative in float64).  The bound is
process-wide (a module setting), ``None`` (the default) means no bound.
"""

import contextlib
from typing import Iterator, Optional

from ._validate import as_int

__all__ = ["get_memory_limit", "set_memory_limit", "memory_limit", "batch_chunks", "CACHE_BYTES"]

CACHE_BYTES = 4 << 20   # the window matrix size per chunk that ran fastest (2-16 MiB tried)
_limit: Optional[int] = None


def _check(where, nbytes):
    return None if nbytes is None else as_int(where, "nbytes", nbytes)


def get_memory_limit() -> Optional[int]:
    """The current bound in bytes, or None."""
    return _limit


def set_memory_limit(nbytes: Optional[int]) -> None:
    """Set the bound (bytes of scratch memory per layer call), or None for no bound."""
    global _limit
    _limit = _check("set_memory_limit", nbytes)


@contextlib.contextmanager
def memory_limit(nbytes: Optional[int]) -> Iterator[None]:
    """Within the block, layer calls keep their scratch memory under ``nbytes``."""
    global _limit
    previous, _limit = _limit, _check("memory_limit", nbytes)
    try:
        yield
    finally:
        _limit = previous


def batch_chunks(n, scratch_per_image, working_per_image, target=None):
    """``[(start, stop), ...]`` covering ``range(n)``, at least one image per chunk.

    A chunk holds as many images as keep their working set (``working_per_image``
    bytes each: a convolution's window matrix, a pooling layer's input) near
    ``target`` (default ``CACHE_BYTES``) and, under a bound, their scratch
    memory (``scratch_per_image`` bytes each) within it.
    """
    size = (CACHE_BYTES if target is None else target) // max(1, working_per_image)
    if _limit is not None:
        size = min(size, _limit // max(1, scratch_per_image))
    size = max(1, min(n, size))
    return [(start, min(start + size, n)) for start in range(0, n, size)]
