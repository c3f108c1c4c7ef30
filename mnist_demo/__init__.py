"""mnist_demo: download MNIST (mirrors, checksums, cache), parse IDX strictly, plot labelled digits."""

__version__ = "0.1.0"  # the project's version, as in pyproject.toml

from .fetch import CacheError, DownloadError
from .idx import read_images, read_labels
from .load import MNIST, SampleFallbackWarning, load_mnist, load_sample
from .plot import pick_indices, plot_digits

__all__ = [
    "CacheError",
    "DownloadError",
    "MNIST",
    "SampleFallbackWarning",
    "load_mnist",
    "load_sample",
    "pick_indices",
    "plot_digits",
    "read_images",
    "read_labels",
    "__version__",
]
