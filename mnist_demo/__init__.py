"""mnist_demo: download MNIST (mirrors, checksums, cache), parse IDX strictly, plot labelled digits."""

from .fetch import DownloadError
from .idx import read_images, read_labels
from .load import MNIST, SampleFallbackWarning, load_mnist, load_sample
from .plot import pick_indices, plot_digits

__all__ = [
    "DownloadError",
    "MNIST",
    "SampleFallbackWarning",
    "load_mnist",
    "load_sample",
    "pick_indices",
    "plot_digits",
    "read_images",
    "read_labels",
]
