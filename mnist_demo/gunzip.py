"""Streamed, bounded gzip decompression whose errors say what is wrong with the file.

``GzipStream(path)`` reads the compressed file in 64 KiB blocks and inflates only as many
bytes as asked for (``read_exact``), so a small file that would inflate to gigabytes costs
no more memory than the caller asked for.  ``finish()`` checks the end of the stream: the
CRC-32 and length trailer, and that nothing follows it.  Every fault is a ValueError
naming the file and the fault: empty, not gzip, truncated, corrupt deflate data, bad CRC,
bad length trailer, trailing data, longer than expected.
"""

import os
import zlib
from pathlib import Path
from typing import NoReturn, Union

__all__ = ["GzipStream"]

BLOCK = 1 << 16
GZIP_MAGIC = b"\x1f\x8b"

# zlib's messages for a gzip trailer that does not match the data, and what they mean.
_TRAILER_ERRORS = {
    "incorrect data check": "bad CRC: the CRC-32 in the gzip trailer does not match the data "
                            "(the file is corrupt)",
    "incorrect length check": "bad length trailer: the length in the gzip trailer does not "
                              "match the data (the file is corrupt)",
}


class GzipStream:
    """Inflate ``path`` (a gzip file) on demand; use as a context manager.

    ``read_exact(n, what)`` returns the next ``n`` inflated bytes, or raises ValueError
    saying the data ended early.  ``finish(expected)`` raises ValueError if the inflated data
    goes on past what was read, if the trailer is wrong, or if bytes follow the stream.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        self.path = Path(path)
        self._file = open(self.path, "rb")
        self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip wrapper only
        self._pending = b""       # compressed bytes read but not yet given to zlib
        self._consumed = 0        # inflated bytes handed out so far
        self._file_ended = False
        try:
            self._check_magic()
        except BaseException:   # not entered yet, so __exit__ would never close it
            self._file.close()
            raise

    def __enter__(self) -> "GzipStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def _fail(self, what: str) -> NoReturn:
        raise ValueError(f"{self.path}: {what}")

    def _check_magic(self) -> None:
        start = self._file.read(BLOCK)
        if not start:
            self._fail("the file is empty (expected a gzip-compressed IDX file)")
        if not start.startswith(GZIP_MAGIC):
            self._fail(f"not a gzip file (it starts with bytes {start[:4].hex()}, "
                       f"gzip starts with 1f8b)")
        self._pending = start

    def _inflate(self, limit: int) -> bytes:
        """Up to ``limit`` (>= 1) more inflated bytes; b"" once the gzip stream has ended."""
        while not self._inflater.eof:
            if not self._pending and not self._file_ended:
                self._pending = self._file.read(BLOCK)
                self._file_ended = not self._pending
            if not self._pending:
                self._fail(f"the gzip stream is truncated: the file ends after "
                           f"{self._consumed} inflated bytes, before the end of the stream; "
                           f"delete the file and fetch it again")
            try:
                out = self._inflater.decompress(self._pending, limit)
            except zlib.error as error:
                self._fail(self._describe(error))
            # After the end of the stream, what is left of the input is in unused_data.
            self._pending = b"" if self._inflater.eof else self._inflater.unconsumed_tail
            if out:
                self._consumed += len(out)
                return out
        return b""

    def _describe(self, error: zlib.error) -> str:
        text = str(error)
        for key, meaning in _TRAILER_ERRORS.items():
            if key in text:
                return meaning
        return f"corrupt compressed data (zlib: {text.split(': ', 1)[-1]})"

    def read_exact(self, n: int, what: str) -> bytearray:
        """The next ``n`` inflated bytes; ValueError naming ``what`` if the data ends first.

        Memory grows with the bytes that really arrive, not with ``n``: a header that
        announces far more data than the file holds costs nothing up front.
        """
        data = bytearray()
        while len(data) < n:
            out = self._inflate(min(n - len(data), 1 << 20))
            if not out:
                self._fail(f"the data ends after {len(data)} of the {n} bytes of {what}")
            data += out
        return data

    def finish(self, expected: int) -> None:
        """Check that the data stops here (at ``expected`` bytes), the trailer and the file's end."""
        if self._inflate(1):
            self._fail(f"the data goes on past the {expected} bytes the IDX header declares")
        trailing = len(self._inflater.unused_data)
        while not self._file_ended:
            block = self._file.read(BLOCK)
            trailing += len(block)
            self._file_ended = not block
        if trailing:
            self._fail(f"trailing garbage: {trailing} bytes follow the end of the gzip stream")
