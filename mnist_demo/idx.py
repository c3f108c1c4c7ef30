"""A strict reader and a writer for MNIST's IDX files (gzip-compressed).

IDX layout: a 4-byte big-endian magic number ``0x0000 08 0D`` (0x08: unsigned
bytes; D: the number of dimensions), D big-endian uint32 sizes, then exactly
prod(sizes) bytes.  MNIST images are ``0x00000803`` (count, rows, columns),
labels ``0x00000801`` (count,).
"""

import gzip
import os
from typing import Union

import numpy as np
import numpy.typing as npt

from .gunzip import GzipStream

__all__ = ["IMAGES_MAGIC", "LABELS_MAGIC", "MAX_IDX_BYTES", "read_images", "read_labels", "encode_idx"]

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

# The largest data part accepted by default: MNIST's training images take 47,040,000 bytes.
MAX_IDX_BYTES = 1 << 27


PathLike = Union[str, "os.PathLike[str]"]


def _read(path: PathLike, magic: int, kind: str, max_bytes: int) -> npt.NDArray[np.uint8]:
    """The array in the IDX file ``path``, inflated block by block and never past its header.

    The header's dimensions are multiplied in Python integers (no overflow) and checked
    against ``max_bytes`` before any data is inflated; then at most that many bytes are
    inflated, and the stream must end there.
    """
    if not isinstance(max_bytes, (int, np.integer)) or isinstance(max_bytes, bool) or max_bytes < 0:
        raise ValueError(f"read_{kind}: max_bytes must be an integer >= 0, got {max_bytes!r}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"read_{kind}: path must be a str or os.PathLike, got {path!r}")
    ndim = magic & 0xFF
    with GzipStream(path) as stream:
        found = int.from_bytes(stream.read_exact(4, f"the IDX {kind} magic number"), "big")
        if found != magic:
            raise ValueError(f"{path}: magic number 0x{found:08x}, expected 0x{magic:08x} "
                             f"(IDX {kind}: unsigned bytes, {ndim} dimension(s))")
        dims = stream.read_exact(4 * ndim, f"the IDX {kind} header's {ndim} dimension(s)")
        shape = tuple(int.from_bytes(dims[4 * i:4 * i + 4], "big") for i in range(ndim))
        size = 1
        for n in shape:
            size *= n  # Python integers: no overflow, however large the header's numbers
        if size > max_bytes:
            raise ValueError(f"{path}: the IDX header declares {kind} of shape {shape}, "
                             f"{size:,} bytes, more than the limit of {max_bytes:,} bytes "
                             f"(max_bytes)")
        data = stream.read_exact(size, f"{kind} data of shape {shape}")
        stream.finish(size)
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def read_images(path: PathLike, *, max_bytes: int = MAX_IDX_BYTES) -> npt.NDArray[np.uint8]:
    """Read a gzip IDX image file ``path``: returns uint8 ``(N, 1, rows, cols)``.

    Raises ValueError naming the file and the fault (not gzip, truncated, bad CRC, wrong
    magic number, data longer or shorter than the header declares, more than ``max_bytes``).
    """
    return _read(path, IMAGES_MAGIC, "images", max_bytes)[:, np.newaxis]


def read_labels(path: PathLike, *, max_bytes: int = MAX_IDX_BYTES) -> npt.NDArray[np.uint8]:
    """Read a gzip IDX label file ``path``: returns uint8 ``(N,)`` with values 0-9.

    Raises ValueError naming the file and the fault, as ``read_images`` does, and for a
    label outside 0-9.
    """
    labels = _read(path, LABELS_MAGIC, "labels", max_bytes)
    if labels.size and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise ValueError(f"{path}: label {labels[bad]} at index {bad}; labels must be 0-9")
    return labels


def encode_idx(array: npt.ArrayLike) -> bytes:
    """The gzip-compressed IDX bytes of a uint8 array of any shape, e.g. images (N, rows, cols)
    or labels (N,) (deterministic: gzip mtime 0)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = (0x08 << 8) | array.ndim
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.tobytes(), compresslevel=9, mtime=0)
