"""``load_mnist``: MNIST from the cache or a mirror, else the embedded sample of real digits."""

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from .fetch import (
    DEFAULT_MIN_RATE,
    DEFAULT_TIMEOUT,
    CacheError,
    DownloadError,
    Timeout,
    check_limits,
    fetch_file,
    resolve_data_dir,
    resolve_mirrors,
    verify_file,
)
from .idx import read_images, read_labels
from .registry import MNIST_COUNTS, MNIST_FILES, SAMPLE_COUNTS, SAMPLE_FILES, SPLITS

__all__ = ["MNIST", "SampleFallbackWarning", "load_mnist", "load_sample", "SAMPLE_DIR"]

SAMPLE_DIR = Path(__file__).resolve().parent / "data" / "sample"
EMBEDDED = "embedded sample"


class SampleFallbackWarning(UserWarning):
    """MNIST was not downloaded; the embedded sample is used instead."""


@dataclass(frozen=True)
class MNIST:
    """The four arrays, and where they came from.

    ``X_train (N, 1, 28, 28) uint8``, ``y_train (N,) uint8``, ``X_test (M, 1, 28, 28) uint8``,
    ``y_test (M,) uint8``; N, M = 60000, 10000 for MNIST, 4000, 1000 for the sample.
    ``source`` is the mirror the files came from, "cache", or "embedded sample";
    ``reason`` says why the sample was used.  Unpacking gives the four arrays:
    ``X_train, y_train, X_test, y_test = load_mnist()``.
    """

    X_train: npt.NDArray[np.uint8] = field(repr=False)
    y_train: npt.NDArray[np.uint8] = field(repr=False)
    X_test: npt.NDArray[np.uint8] = field(repr=False)
    y_test: npt.NDArray[np.uint8] = field(repr=False)
    source: str
    location: str = ""
    reason: str = ""

    def __iter__(self) -> Iterator[npt.NDArray[np.uint8]]:
        return iter((self.X_train, self.y_train, self.X_test, self.y_test))

    @property
    def is_sample(self) -> bool:
        return self.source == EMBEDDED

    def describe(self) -> str:
        """One line for people: what was loaded, how many digits, from where."""
        sizes = f"{len(self.y_train):,} train / {len(self.y_test):,} test digits"
        if self.is_sample:
            return f"MNIST: the embedded sample of real digits ({sizes}); {self.reason}"
        return f"MNIST: {sizes} from {self.source} (files in {self.location})"


def _read_split(folder: Path, split: str,
                counts: Optional[Dict[str, int]]) -> Tuple[np.ndarray, np.ndarray]:
    images_name, labels_name = SPLITS[split]
    images = read_images(folder / images_name)
    labels = read_labels(folder / labels_name)
    if images.shape[1:] != (1, 28, 28):
        raise ValueError(f"{folder / images_name}: images are {images.shape[2:]}, expected 28x28")
    if len(images) != len(labels):
        raise ValueError(f"{folder}: {len(images)} {split} images but {len(labels)} labels")
    if counts is not None and len(images) != counts[split]:
        raise ValueError(f"{folder / images_name}: {len(images)} {split} digits, "
                         f"expected {counts[split]}")
    return images, labels


def load_sample(reason: str = "asked for offline use") -> MNIST:
    """The embedded sample: 4,000 train and 1,000 test real MNIST digits (400/100 per class)."""
    for name, (size, sha256) in SAMPLE_FILES.items():
        problem = verify_file(SAMPLE_DIR / name, size, sha256)
        if problem is not None:
            raise ValueError(f"the embedded sample file {SAMPLE_DIR / name} is damaged "
                             f"({problem}); reinstall nnlayers")
    train = _read_split(SAMPLE_DIR, "train", SAMPLE_COUNTS)
    test = _read_split(SAMPLE_DIR, "test", SAMPLE_COUNTS)
    return MNIST(*train, *test, source=EMBEDDED, location=str(SAMPLE_DIR), reason=reason)


def load_mnist(data_dir: Union[str, "os.PathLike[str]", None] = None, *, offline: bool = False,
               mirrors: Union[str, Sequence[str], None] = None,
               registry: Optional[Dict[str, Tuple[int, str]]] = None, progress: bool = True,
               timeout: Timeout = DEFAULT_TIMEOUT, min_rate: float = DEFAULT_MIN_RATE,
               fallback: bool = True) -> MNIST:
    """Load MNIST: from the cache, else downloaded from the first mirror that answers.

    Parameters
    ----------
    data_dir : folder for the four files; default ``$NNLAYERS_DATA``, else the OS cache.
    offline : use the embedded sample without trying the network (no warning: you asked).
    mirrors : base URLs tried in order; default ``$NNLAYERS_MNIST_MIRRORS`` (comma-separated),
        else the registry's list.
    registry : ``{file name: (size, sha256)}`` replacing the built-in one (for your own copy
        of the files); the split sizes 60000/10000 are checked only with the built-in one.
    progress : show a progress bar per download.
    timeout : (connect, read) seconds per request, or one number for both.
    min_rate : bytes per second; a file that arrives slower is abandoned after
        ``connect + read + size / min_rate`` seconds and that mirror is not tried again
        in this call (nor is one that timed out or could not be reached).
    fallback : when every mirror fails, or the cache folder cannot be written, warn and
        return the embedded sample (default); if False, raise the DownloadError (which
        lists every mirror and what it answered) or the CacheError.

    A file in the cache whose sha256 matches the registry but whose size does not raises
    ValueError (the registry is wrong; the file is kept).

    Returns an ``MNIST``; unpack it as ``X_train, y_train, X_test, y_test``.
    """
    timeout = check_limits("load_mnist", timeout, min_rate)
    if offline:
        return load_sample("offline: the network was not tried")
    if registry is not None and not isinstance(registry, dict):
        raise TypeError(f"load_mnist: registry must be a dict {{file name: (size, sha256)}} or "
                        f"None, got {registry!r}")
    files = MNIST_FILES if registry is None else dict(registry)
    missing = [name for pair in SPLITS.values() for name in pair if name not in files]
    if missing:
        raise ValueError(f"load_mnist: registry has no entry for {', '.join(missing)}")
    folder = resolve_data_dir(data_dir)
    mirrors = resolve_mirrors(mirrors)
    origins = []
    skipped: Dict[str, str] = {}  # mirrors that timed out or could not be reached
    try:
        for pair in SPLITS.values():
            for name in pair:
                size, sha256 = files[name]
                sha256 = sha256.lower().removeprefix("sha256:")  # pooch writes "sha256:<hex>"
                _, origin = fetch_file(name, size, sha256, folder, mirrors,
                                       progress=progress, timeout=timeout, min_rate=min_rate,
                                       skipped=skipped)
                origins.append(origin)
    except (DownloadError, CacheError) as error:
        if not fallback:
            raise
        reason = f"not downloaded: {error}"
        warnings.warn(f"MNIST {reason}\nusing the embedded sample of real MNIST digits "
                      f"(4,000 train / 1,000 test) instead", SampleFallbackWarning, stacklevel=2)
        return load_sample(reason)
    counts = MNIST_COUNTS if registry is None else None
    train = _read_split(folder, "train", counts)
    test = _read_split(folder, "test", counts)
    downloaded = sorted({o for o in origins if o != "cache"}, key=origins.index)
    source = ", ".join(downloaded) if downloaded else "cache"
    return MNIST(*train, *test, source=source, location=str(folder))
