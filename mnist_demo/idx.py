"""A strict reader and a writer for MNIST's IDX files (gzip-compressed).

IDX layout: a 4-byte big-endian magic number ``0x0000 08 0D`` (0x08: unsigned
bytes; D: the number of dimensions), D big-endian uint32 sizes, then exactly
prod(sizes) bytes.  MNIST images are ``0x00000803`` (count, rows, columns),
labels ``0x00000801`` (count,).
"""

import gzip
import zlib
from pathlib import Path

import numpy as np

__all__ = ["IMAGES_MAGIC", "LABELS_MAGIC", "read_images", "read_labels", "encode_idx"]

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def _decompress(path):
    path = Path(path)
    raw = path.read_bytes()
    if not raw:
        raise ValueError(f"{path}: the file is empty (expected a gzip-compressed IDX file)")
    try:
        return gzip.decompress(raw)
    except gzip.BadGzipFile:
        raise ValueError(f"{path}: not a gzip file (it starts with bytes {raw[:4].hex()}, "
                         f"gzip starts with 1f8b)") from None
    except (EOFError, zlib.error) as error:
        raise ValueError(f"{path}: the gzip stream is truncated or corrupt ({error}); "
                         f"delete the file and fetch it again") from None


def _parse(path, data, magic, kind):
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) >= 4 and int.from_bytes(data[:4], "big") != magic:
        raise ValueError(f"{path}: magic number 0x{int.from_bytes(data[:4], 'big'):08x}, "
                         f"expected 0x{magic:08x} (IDX {kind}: unsigned bytes, "
                         f"{ndim} dimension(s))")
    if len(data) < header:
        raise ValueError(f"{path}: {len(data)} bytes is too short for an IDX {kind} header "
                         f"({header} bytes)")
    shape = tuple(int(v) for v in np.frombuffer(data[4:header], dtype=">u4"))
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(data) != expected:
        raise ValueError(f"{path}: {len(data)} bytes after decompression, expected exactly "
                         f"{expected} for {kind} of shape {shape}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def read_images(path):
    """Read an IDX image file: returns uint8 ``(N, 1, rows, cols)``. Raises ValueError naming the file."""
    images = _parse(path, _decompress(path), IMAGES_MAGIC, "images")
    return images[:, np.newaxis].copy()


def read_labels(path):
    """Read an IDX label file: returns uint8 ``(N,)`` with values 0-9. Raises ValueError naming the file."""
    labels = _parse(path, _decompress(path), LABELS_MAGIC, "labels").copy()
    if labels.size and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise ValueError(f"{path}: label {labels[bad]} at index {bad}; labels must be 0-9")
    return labels


def encode_idx(array):
    """The gzip-compressed IDX bytes of a uint8 array (deterministic: gzip mtime 0)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = (0x08 << 8) | array.ndim
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.tobytes(), compresslevel=9, mtime=0)
