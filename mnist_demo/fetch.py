"""Fetch files by name from a list of mirrors, verified by size and sha256, into a cache folder.

pooch runs each transfer: it gives our downloader a temporary file beside the target,
checks the hash, and only then moves the file into place, so a failed or interrupted
download never leaves a file that looks complete.  pooch has no list of mirrors, so the
loop over mirrors is here, and so is the downloader, because it must never stall:

- per-read timeouts: (connect, read) seconds for the connection and for each read;
- an overall deadline per file: ``connect + read + size / min_rate`` seconds, so a mirror
  that trickles the right bytes slower than ``min_rate`` bytes per second is abandoned;
- at most the registry's size is written: a mirror sending more is cut off;
- an HTML page (a login or error page served with status 200) is refused at once;
- a mirror that timed out, missed its deadline or could not be reached is skipped for the
  rest of the call's files (``skipped``), so four files never cost four timeouts.

A dead host, a timeout, an HTTP error or a hash mismatch moves on to the next mirror.
"""

import contextlib
import hashlib
import http.client
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import requests
import urllib3

from .notebook import quiet_tqdm_auto
from .progress import progress_bar
from .registry import MIRRORS

__all__ = ["CacheError", "DownloadError", "fetch_file", "prepare_cache", "resolve_data_dir",
           "resolve_mirrors", "verify_file"]

# (connect, read) seconds: a mirror that does not answer, or stalls mid-file, is left quickly.
DEFAULT_TIMEOUT = (5.0, 30.0)
# Bytes per second below which a download is abandoned (MNIST's largest file, 9.9 MB, may
# take up to about 200 s at this rate, plus the timeouts).
DEFAULT_MIN_RATE = 50_000.0

Timeout = Union[float, Tuple[float, float]]


class DownloadError(OSError):
    """Every mirror failed for one file; ``attempts`` lists (url, what it answered)."""

    def __init__(self, name: str, attempts: Sequence[Tuple[str, str]]) -> None:
        self.name = name
        self.attempts = list(attempts)
        lines = "\n".join(f"  {url}: {answer}" for url, answer in self.attempts) or "  (no mirrors given)"
        super().__init__(f"no mirror could provide {name}:\n{lines}")


class CacheError(OSError):
    """The cache folder cannot hold the files (it is a file, or cannot be created or written)."""


class _Refused(Exception):
    """The mirror answered, but not with the file (an HTML page, too many bytes, too few)."""


class _TooSlow(Exception):
    """The file did not arrive before its deadline."""


def _pooch() -> ModuleType:
    """pooch, imported on first use and quietly (it imports ``tqdm.auto``)."""
    with quiet_tqdm_auto():
        import pooch
    return pooch


def resolve_data_dir(data_dir: Union[str, "os.PathLike[str]", None] = None) -> Path:
    """The cache folder: ``data_dir``, else ``$NNLAYERS_DATA``, else the OS cache folder."""
    if data_dir is not None:
        if not isinstance(data_dir, (str, os.PathLike)):
            raise TypeError(f"load_mnist: data_dir must be a folder path (str or os.PathLike) "
                            f"or None, got {data_dir!r}")
        return Path(data_dir).expanduser()
    if os.environ.get("NNLAYERS_DATA"):
        return Path(os.environ["NNLAYERS_DATA"]).expanduser()
    return Path(_pooch().os_cache("nnlayers")) / "mnist"


def resolve_mirrors(mirrors: Union[str, Sequence[str], None] = None) -> List[str]:
    """Base URLs: ``mirrors``, else ``$NNLAYERS_MNIST_MIRRORS`` (comma-separated), else MIRRORS."""
    if mirrors is None:
        from_env = os.environ.get("NNLAYERS_MNIST_MIRRORS", "")
        mirrors = [m.strip() for m in from_env.split(",") if m.strip()] or list(MIRRORS)
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    if not isinstance(mirrors, (list, tuple)):
        raise TypeError(f"load_mnist: mirrors must be a URL, a list of URLs or None, "
                        f"got {mirrors!r}")
    resolved = []
    for base in mirrors:
        if not isinstance(base, str) or not base.startswith(("http://", "https://")):
            raise ValueError(f"load_mnist: each mirror must be an http(s) URL, got {base!r}")
        resolved.append(base if base.endswith("/") else base + "/")
    return resolved


def check_limits(where: str, timeout: Timeout, min_rate: float) -> Tuple[float, float]:
    """``timeout`` as a (connect, read) pair of positive seconds; ValueError naming ``where``."""
    pair = timeout if isinstance(timeout, (tuple, list)) else (timeout, timeout)
    # at most threading.TIMEOUT_MAX: longer ones overflow the clocks the transfer uses
    if (len(pair) != 2 or not all(isinstance(t, (int, float)) and not isinstance(t, bool)
                                  and 0 < t <= threading.TIMEOUT_MAX for t in pair)):
        raise ValueError(f"{where}: timeout must be seconds > 0 or a (connect, read) pair of "
                         f"them, got {timeout!r}")
    if not isinstance(min_rate, (int, float)) or isinstance(min_rate, bool) or not min_rate > 0:
        raise ValueError(f"{where}: min_rate must be bytes per second > 0, got {min_rate!r}")
    return float(pair[0]), float(pair[1])


def prepare_cache(folder: Path) -> None:
    """Create ``folder`` if needed and check that a file can be written in it.

    Raises CacheError saying what is wrong and how to choose another folder.
    """
    advice = "choose another folder with data_dir= (--data-dir) or $NNLAYERS_DATA"
    if folder.exists() and not folder.is_dir():
        raise CacheError(f"the MNIST cache folder {folder} is a file, not a folder; {advice}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise CacheError(f"the MNIST cache folder {folder} cannot be written "
                         f"({error.strerror or error}); {advice}") from None


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """pooch logs 'Downloading data from ...' even for attempts that fail; we say it ourselves."""
    logger = _pooch().get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, size: int, sha256: str) -> Optional[str]:
    """None if ``path`` has ``size`` bytes and the ``sha256``; otherwise what is wrong.

    A file whose sha256 matches but whose size does not means the registry contradicts
    itself: that raises ValueError (the file is right; nothing is deleted).
    """
    path = Path(path)
    if not path.is_file():
        return "not a file" if path.exists() else "missing"
    actual = path.stat().st_size
    digest = _sha256(path)
    if digest == sha256 and actual != size:
        raise ValueError(f"{path}: the sha256 matches the registry but the file has {actual} "
                         f"bytes where the registry says {size}: the registry's size is wrong "
                         f"(the file was kept; correct the size in the registry)")
    if actual != size:
        return f"{actual} bytes, expected {size}"
    if digest != sha256:
        return f"sha256 {digest}, expected {sha256}"
    return None


def _reader(raw: Any) -> Callable[[int], bytes]:
    """A read-at-most-n function on the undecoded body that returns as soon as bytes arrive.

    ``read(n)`` would wait for all n bytes, so a trickle would never reach a deadline check.
    urllib3 >= 2.1 has ``read1``; before, its wrapped http.client response has one.
    """
    if hasattr(raw, "read1"):
        return lambda n: raw.read1(n, decode_content=False)
    return raw._fp.read1  # http.client.HTTPResponse.read1


class _Downloader:
    """pooch's downloader protocol, ``(url, output_file, pooch)``, with the limits above."""

    def __init__(self, size: int, timeout: Tuple[float, float], min_rate: float, progress: bool):
        self.size = size
        self.timeout = timeout
        self.seconds = timeout[0] + timeout[1] + size / min_rate
        self.progress = progress

    def __call__(self, url: str, output_file: str, pooch_object: Any = None) -> None:
        deadline = time.monotonic() + self.seconds
        with requests.get(url, stream=True, timeout=self.timeout) as response:
            response.raise_for_status()
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind in ("text/html", "application/xhtml+xml"):
                raise _Refused(f"answered with an HTML page ({kind}), not the file")
            announced = response.headers.get("Content-Length", "")
            if announced.isdigit() and int(announced) > self.size:
                raise _Refused(f"announced {int(announced):,} bytes, more than the "
                               f"{self.size:,} the registry expects")
            read = _reader(response.raw)
            with open(output_file, "wb") as out, progress_bar(
                    total=self.size, unit="B", unit_scale=True, disable=not self.progress,
                    desc=url.rsplit("/", 1)[-1]) as bar:
                got = 0
                while True:
                    block = read(1 << 16)
                    if not block:
                        break
                    got += len(block)
                    if got > self.size:
                        raise _Refused(f"sent more than the {self.size:,} bytes the registry "
                                       f"expects")
                    out.write(block)
                    bar.update(len(block))
                    if time.monotonic() > deadline and got < self.size:
                        raise _TooSlow(f"too slow: {got:,} of {self.size:,} bytes after "
                                       f"{self.seconds:.0f} s (the deadline for this file)")
            if got < self.size:
                raise _Refused(f"connection broken during the download (the file arrived "
                               f"incomplete: {got:,} of {self.size:,} bytes)")


def _describe(error: BaseException) -> Tuple[str, bool]:
    """One short line for what a mirror answered, and whether the mirror is unreachable or slow."""
    if isinstance(error, _Refused):
        return str(error), False
    if isinstance(error, _TooSlow):
        return str(error), True
    if isinstance(error, requests.exceptions.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code} {error.response.reason}", False
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return "too many redirects (a redirect loop?)", False
    if isinstance(error, (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError,
                          socket.timeout)):
        return "timed out (no answer within the timeout)", True
    if isinstance(error, (requests.exceptions.ChunkedEncodingError, http.client.HTTPException,
                          urllib3.exceptions.ProtocolError)):
        return "connection broken during the download (the file arrived incomplete)", False
    if isinstance(error, requests.exceptions.ConnectionError):
        inner = error.args[0] if error.args else error
        reason = getattr(inner, "reason", inner)  # urllib3 wraps the cause in MaxRetryError
        text = str(reason)
        if type(reason).__name__ == "NameResolutionError" or "Name or service not known" in text:
            return "host not found (DNS lookup failed)", True
        if "Connection refused" in text:
            return "connection refused", True
        if "timed out" in text:
            return "timed out (no answer within the timeout)", True
        return f"connection failed ({text[-120:]})", True
    if isinstance(error, ValueError):  # pooch's hash check
        return "downloaded file's sha256 does not match the registry (corrupt or changed)", False
    return f"{type(error).__name__}: {str(error)[:160]}", False


def fetch_file(name: str, size: int, sha256: str, data_dir: Union[str, "os.PathLike[str]"],
               mirrors: Sequence[str], *, progress: bool = True,
               timeout: Timeout = DEFAULT_TIMEOUT, min_rate: float = DEFAULT_MIN_RATE,
               skipped: Optional[Dict[str, str]] = None) -> Tuple[Path, str]:
    """Return ``(path, origin)``: ``data_dir/name``, verified, and "cache" or the mirror used.

    A cached file with the right size and hash is used without any request (even in a
    folder that cannot be written).  A cached file that fails the check is removed and
    fetched again.  ``skipped`` maps mirrors to why they are skipped; mirrors that time out
    or cannot be reached are added to it, so a caller fetching several files passes the
    same dict each time.  Raises DownloadError when every mirror fails, CacheError when the
    folder cannot be written.
    """
    timeout = check_limits("fetch_file", timeout, min_rate)
    skipped = {} if skipped is None else skipped
    data_dir = Path(data_dir)
    path = data_dir / name
    if path.exists() and verify_file(path, size, sha256) is None:
        return path, "cache"
    prepare_cache(data_dir)
    if path.is_dir():
        raise CacheError(f"{path} is a folder where the file {name} should be; remove it")
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # corrupt or truncated: fetch it again
    attempts = []
    for base in mirrors:
        url = base + name
        if base in skipped:
            attempts.append((url, f"skipped: {skipped[base]} for an earlier file"))
            continue
        if progress:
            print(f"downloading {url}", file=sys.stderr, flush=True)
        downloader = _Downloader(size, timeout, min_rate, progress)
        try:
            with _quiet_pooch():
                _pooch().retrieve(url, known_hash=f"sha256:{sha256}", fname=name, path=data_dir,
                               downloader=downloader)
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError,
                http.client.HTTPException, OSError, ValueError, _Refused, _TooSlow) as error:
            answer, unreachable = _describe(error)
            attempts.append((url, answer))
            if unreachable:
                skipped[base] = answer
            continue
        problem = verify_file(path, size, sha256)
        if problem is None:
            return path, base
        path.unlink()
        attempts.append((url, f"the file has {problem}"))
    raise DownloadError(name, attempts)
