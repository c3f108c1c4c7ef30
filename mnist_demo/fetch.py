"""Fetch files by name from a list of mirrors, verified by size and sha256, into a cache folder.

pooch does each transfer: it streams into a temporary file beside the target,
checks the hash, and only then moves the file into place, so a failed or
interrupted download never leaves a file that looks complete.  pooch has no
list of mirrors, so the loop over mirrors is here: a dead host, a timeout, an
HTTP error or a hash mismatch moves on to the next mirror.
"""

import contextlib
import hashlib
import logging
import os
import sys
from pathlib import Path

import pooch
import requests

from .registry import MIRRORS

__all__ = ["DownloadError", "fetch_file", "resolve_data_dir", "resolve_mirrors", "verify_file"]

# (connect, read) seconds: a mirror that does not answer, or stalls mid-file, is left quickly.
DEFAULT_TIMEOUT = (5.0, 30.0)


class DownloadError(OSError):
    """Every mirror failed for one file; ``attempts`` lists (url, what it answered)."""

    def __init__(self, name, attempts):
        self.name = name
        self.attempts = list(attempts)
        lines = "\n".join(f"  {url}: {answer}" for url, answer in self.attempts) or "  (no mirrors given)"
        super().__init__(f"no mirror could provide {name}:\n{lines}")


def resolve_data_dir(data_dir=None):
    """The cache folder: ``data_dir``, else ``$NNLAYERS_DATA``, else the OS cache folder."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if os.environ.get("NNLAYERS_DATA"):
        return Path(os.environ["NNLAYERS_DATA"]).expanduser()
    return Path(pooch.os_cache("nnlayers")) / "mnist"


def resolve_mirrors(mirrors=None):
    """Base URLs: ``mirrors``, else ``$NNLAYERS_MNIST_MIRRORS`` (comma-separated), else MIRRORS."""
    if mirrors is None:
        from_env = os.environ.get("NNLAYERS_MNIST_MIRRORS", "")
        mirrors = [m.strip() for m in from_env.split(",") if m.strip()] or list(MIRRORS)
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    resolved = []
    for base in mirrors:
        if not isinstance(base, str) or not base.startswith(("http://", "https://")):
            raise ValueError(f"fetch: each mirror must be an http(s) URL, got {base!r}")
        resolved.append(base if base.endswith("/") else base + "/")
    return resolved


@contextlib.contextmanager
def _quiet_pooch():
    """pooch logs 'Downloading data from ...' even for attempts that fail; we say it ourselves."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def verify_file(path, size, sha256):
    """None if ``path`` has ``size`` bytes and the ``sha256``; otherwise what is wrong."""
    actual = path.stat().st_size
    if actual != size:
        return f"{actual} bytes, expected {size}"
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != sha256:
        return f"sha256 {digest.hexdigest()}, expected {sha256}"
    return None


def _describe(error):
    """One short line for what a mirror answered."""
    if isinstance(error, requests.exceptions.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code} {error.response.reason}"
    if isinstance(error, requests.exceptions.Timeout):
        return "timed out (no answer within the timeout)"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "connection broken during the download (the file arrived incomplete)"
    if isinstance(error, requests.exceptions.ConnectionError):
        inner = error.args[0] if error.args else error
        reason = getattr(inner, "reason", inner)  # urllib3 wraps the cause in MaxRetryError
        text = str(reason)
        if type(reason).__name__ == "NameResolutionError":
            return "host not found (DNS lookup failed)"
        if "Connection refused" in text:
            return "connection refused"
        return f"connection failed ({text[-120:]})"
    if isinstance(error, ValueError):  # pooch's hash check
        return "downloaded file's sha256 does not match the registry (corrupt or changed)"
    return f"{type(error).__name__}: {str(error)[:160]}"


def fetch_file(name, size, sha256, data_dir, mirrors, *, progress=True, timeout=DEFAULT_TIMEOUT):
    """Return ``(path, origin)``: ``data_dir/name``, verified, and "cache" or the mirror used.

    A cached file with the right size and hash is used without any request.  A
    cached file that fails the check is removed and fetched again.  Raises
    DownloadError when every mirror fails.
    """
    data_dir = Path(data_dir)
    path = data_dir / name
    if path.exists():
        if verify_file(path, size, sha256) is None:
            return path, "cache"
        path.unlink()  # corrupt or truncated: fetch it again
    data_dir.mkdir(parents=True, exist_ok=True)
    attempts = []
    for base in mirrors:
        url = base + name
        downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout)
        if progress:
            print(f"downloading {url}", file=sys.stderr, flush=True)
        try:
            with _quiet_pooch():
                pooch.retrieve(url, known_hash=f"sha256:{sha256}", fname=name, path=data_dir,
                               downloader=downloader)
        except (requests.exceptions.RequestException, ValueError) as error:
            attempts.append((url, _describe(error)))
            continue
        problem = verify_file(path, size, sha256)
        if problem is None:
            return path, base
        path.unlink()
        attempts.append((url, f"the file has {problem}"))
    raise DownloadError(name, attempts)
