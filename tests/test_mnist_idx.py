"""The strict IDX parser: each malformed file gets a ValueError naming the file and the fault."""

import gzip

import numpy as np
import pytest

from mnist_demo.idx import encode_idx, read_images, read_labels


def _write(tmp_path, data, name="file-idx.gz"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _header(magic, *dims):
    return magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)


def test_round_trip(tmp_path, rng):
    images = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 7, dtype=np.uint8)
    read = read_images(_write(tmp_path, encode_idx(images), "i.gz"))
    assert read.shape == (7, 1, 28, 28) and read.dtype == np.uint8
    np.testing.assert_array_equal(read[:, 0], images)
    np.testing.assert_array_equal(read_labels(_write(tmp_path, encode_idx(labels), "l.gz")), labels)


def test_reads_the_layout_byte_by_byte(tmp_path):
    # An IDX file written by hand from the format's definition, not by encode_idx.
    raw = _header(0x00000803, 2, 2, 3) + bytes(range(12))
    images = read_images(_write(tmp_path, gzip.compress(raw)))
    np.testing.assert_array_equal(images[1, 0], [[6, 7, 8], [9, 10, 11]])


def test_empty_file(tmp_path):
    path = _write(tmp_path, b"")
    with pytest.raises(ValueError, match=f"{path}: the file is empty"):
        read_images(path)


def test_not_gzip(tmp_path):
    path = _write(tmp_path, _header(0x00000801, 1) + b"\x03")
    with pytest.raises(ValueError, match=f"{path}: not a gzip file"):
        read_labels(path)


def test_truncated_gzip(tmp_path):
    data = encode_idx(np.zeros((5, 28, 28), np.uint8))
    path = _write(tmp_path, data[: len(data) // 2])
    with pytest.raises(ValueError, match=f"{path}: the gzip stream is truncated"):
        read_images(path)


def test_header_too_short(tmp_path):
    path = _write(tmp_path, gzip.compress(b"\x00\x00\x08"))
    with pytest.raises(ValueError, match="the data ends after 3 of the 4 bytes of the IDX images magic"):
        read_images(path)


def test_wrong_magic_labels_read_as_images(tmp_path):
    path = _write(tmp_path, encode_idx(np.zeros(4, np.uint8)))
    with pytest.raises(ValueError, match=f"{path}: magic number 0x00000801, expected 0x00000803"):
        read_images(path)


def test_wrong_magic_images_read_as_labels(tmp_path):
    path = _write(tmp_path, encode_idx(np.zeros((2, 28, 28), np.uint8)))
    with pytest.raises(ValueError, match="magic number 0x00000803, expected 0x00000801"):
        read_labels(path)


def test_data_shorter_than_the_dimensions(tmp_path):
    path = _write(tmp_path, gzip.compress(_header(0x00000803, 2, 28, 28) + bytes(28 * 28)))
    with pytest.raises(ValueError, match=r"the data ends after 784 of the 1568 bytes of images "
                                         r"data of shape \(2, 28, 28\)"):
        read_images(path)


def test_data_longer_than_the_dimensions(tmp_path):
    path = _write(tmp_path, gzip.compress(_header(0x00000801, 3) + bytes(4)))
    with pytest.raises(ValueError, match="the data goes on past the 3 bytes the IDX header declares"):
        read_labels(path)


def test_label_out_of_range(tmp_path):
    path = _write(tmp_path, encode_idx(np.array([1, 2, 10, 3], np.uint8)))
    with pytest.raises(ValueError, match=f"{path}: label 10 at index 2; labels must be 0-9"):
        read_labels(path)
