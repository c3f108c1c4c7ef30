"""Hundreds of malformed IDX/gzip files: each is a ValueError naming the file, in bounded memory.

The files are generated from one valid image file and one valid label file: cut at many
points, bytes flipped everywhere (header, deflate data, CRC, length trailer), garbage
appended, headers with wrong magic numbers, huge or inconsistent dimensions, and small
files that inflate to far more than their header declares.  Each is read with a small
``max_bytes`` under tracemalloc: the peak must stay far below what inflating it would take.
"""

import gzip
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

from mnist_demo.idx import IMAGES_MAGIC, LABELS_MAGIC, encode_idx, read_images, read_labels

LIMIT = 1 << 20          # max_bytes in these tests
PEAK = 4 << 20           # allowed peak of traced memory while reading one file


def _header(magic, *dims):
    return magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)


def _gzip_with(raw, crc=None, size=None):
    """A gzip member of ``raw`` whose trailer may carry a wrong CRC-32 or length."""
    body = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = body.compress(raw) + body.flush()
    header = b"\x1f\x8b\x08\x00" + b"\x00" * 4 + b"\x00\xff"
    crc = zlib.crc32(raw) if crc is None else crc
    size = len(raw) & 0xFFFFFFFF if size is None else size
    return header + deflated + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)


def _bomb(declared_bytes, inflated_bytes, magic=LABELS_MAGIC):
    """A small file whose header declares ``declared_bytes`` but whose data inflates much longer."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [compressor.compress(_header(magic, declared_bytes) if magic == LABELS_MAGIC
                                 else _header(magic, declared_bytes, 1, 1))]
    zeros = bytes(1 << 20)
    for _ in range(inflated_bytes >> 20):
        parts.append(compressor.compress(zeros))
    parts.append(compressor.flush())
    return b"".join(parts)


def malformed_files():
    """[(name, reader, bytes)]: about 250 files, every one of them malformed."""
    rng = np.random.default_rng(7)
    images = encode_idx(rng.integers(0, 256, (3, 28, 28), dtype=np.uint8))
    labels = encode_idx(rng.integers(0, 10, 40, dtype=np.uint8))
    cases = [("empty", read_images, b""), ("gzip magic only", read_labels, b"\x1f\x8b"),
             ("plain IDX, not gzip", read_labels, _header(LABELS_MAGIC, 1) + b"\x03"),
             ("html page", read_images, b"<!DOCTYPE html><html><body>Not Found</body></html>"),
             ("zlib, not gzip", read_labels, zlib.compress(_header(LABELS_MAGIC, 1) + b"\x03")),
             ("bad compression method", read_labels, b"\x1f\x8b\x07" + labels[3:])]
    for name, reader, valid in (("images", read_images, images), ("labels", read_labels, labels)):
        for cut in sorted(set(np.linspace(11, len(valid) - 1, 40).astype(int))):
            cases.append((f"{name} cut at {cut}", reader, valid[:cut]))
        for position in sorted(set(np.linspace(10, len(valid) - 1, 40).astype(int))):
            flipped = bytearray(valid)
            flipped[position] ^= 0x55
            cases.append((f"{name} byte {position} flipped", reader, bytes(flipped)))
        for garbage in (b"\x00", b"\x00" * 8, b"garbage", valid[:10], valid):
            cases.append((f"{name} + {len(garbage)} trailing bytes", reader, valid + garbage))
        raw = gzip.decompress(valid)
        cases.append((f"{name} bad CRC", reader, _gzip_with(raw, crc=zlib.crc32(raw) + 1)))
        cases.append((f"{name} bad length trailer", reader, _gzip_with(raw, size=len(raw) + 1)))
        for extra in (1, 100):
            cases.append((f"{name} {extra} bytes longer than declared", reader,
                          gzip.compress(raw + bytes(extra))))
            cases.append((f"{name} {extra} bytes shorter than declared", reader,
                          gzip.compress(raw[:-extra])))
    wrong_magics = (0, 0x00000802, 0x00000804, 0x00000903, 0x00000B03, 0x08030000, 0xFFFFFFFF)
    for magic in wrong_magics:
        cases.append((f"images magic 0x{magic:08x}", read_images, gzip.compress(_header(magic, 1, 1, 1) + b"\x00")))
        cases.append((f"labels magic 0x{magic:08x}", read_labels, gzip.compress(_header(magic, 1) + b"\x00")))
    huge = (0xFFFFFFFF, 0x80000000, 0x10000, LIMIT + 1)
    for a in huge:
        for b in (1, 28, 0xFFFFFFFF):
            cases.append((f"images dims ({a}, {b}, {b})", read_images,
                          gzip.compress(_header(IMAGES_MAGIC, a, b, b) + bytes(16))))
        cases.append((f"labels dim {a}", read_labels, gzip.compress(_header(LABELS_MAGIC, a) + bytes(16))))
    for n in (0, 1, 2, 3, 5, 11):
        cases.append((f"images header cut to {n} dimension bytes", read_images,
                      gzip.compress(IMAGES_MAGIC.to_bytes(4, "big") + bytes(n))))
    cases.append(("label 10", read_labels, encode_idx(np.array([0, 10, 3], np.uint8))))
    cases.append(("label 255", read_labels, encode_idx(np.array([255], np.uint8))))
    cases.append(("labels bomb: 1 declared, 8 MiB inflated", read_labels, _bomb(1, 8 << 20)))
    cases.append(("images bomb: 64 declared, 8 MiB inflated", read_images, _bomb(64, 8 << 20, IMAGES_MAGIC)))
    return cases


CASES = malformed_files()


def test_there_are_hundreds_of_distinct_cases():
    assert len(CASES) >= 200
    assert len({data for _, _, data in CASES}) == len(CASES)


@pytest.mark.parametrize("name,reader,data", CASES, ids=[c[0] for c in CASES])
def test_malformed_file_is_a_clear_value_error_in_bounded_memory(tmp_path, name, reader, data):
    path = tmp_path / "file.gz"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as caught:
            reader(path, max_bytes=LIMIT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and len(message) > len(f"{path}: ") + 10
    assert peak < PEAK, f"{name}: {peak:,} bytes traced"


@pytest.mark.parametrize("data,fault", [
    (_gzip_with(_header(LABELS_MAGIC, 2) + b"\x01\x02", crc=1), "bad CRC"),
    (_gzip_with(_header(LABELS_MAGIC, 2) + b"\x01\x02", size=99), "bad length trailer"),
    (gzip.compress(_header(LABELS_MAGIC, 2) + b"\x01\x02") + b"junk", "trailing garbage: 4 bytes"),
    (gzip.compress(_header(LABELS_MAGIC, 2) + b"\x01\x02")[:-3], "the gzip stream is truncated"),
    (b"PK\x03\x04zipfile", "not a gzip file"),
    (b"\x1f\x8b\x08\x00" + bytes(6) + b"\xff\xff\xff", "corrupt compressed data"),
    (_bomb(1, 8 << 20), "the data goes on past the 1 bytes the IDX header declares"),
    (gzip.compress(_header(LABELS_MAGIC, 0xFFFFFFFF)), "4,294,967,295 bytes, more than the limit"),
])
def test_each_gzip_fault_is_named_for_what_it_is(tmp_path, data, fault):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=f"{path}: {fault}" if fault[0] != "4" else fault):
        read_labels(path, max_bytes=LIMIT)


def test_dimension_product_beyond_64_bits_is_refused_not_wrapped(tmp_path):
    # 0xFFFFFFFF ** 3 does not fit in int64: a product in NumPy integers would wrap around.
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(_header(IMAGES_MAGIC, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)))
    with pytest.raises(ValueError, match=r"shape \(4294967295, 4294967295, 4294967295\), "
                                         r"79,228,162,458,924,105,385,300,197,375 bytes"):
        read_images(path)


def test_a_valid_file_just_under_the_limit_is_read(tmp_path):
    labels = np.arange(1000, dtype=np.uint8) % 10
    path = tmp_path / "labels.gz"
    path.write_bytes(encode_idx(labels))
    np.testing.assert_array_equal(read_labels(path, max_bytes=1000), labels)
    with pytest.raises(ValueError, match="1,000 bytes, more than the limit of 999"):
        read_labels(path, max_bytes=999)


def test_a_header_announcing_much_more_than_the_file_holds_costs_no_memory(tmp_path):
    # 100,000,000 labels declared (under the default limit), 10 present: refused, and the
    # memory used follows the bytes that arrived, not the header's promise.
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(_header(LABELS_MAGIC, 100_000_000) + bytes(10)))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=f"{path}: the data ends after 10 of the "
                                             f"100000000 bytes of labels data"):
            read_labels(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK
