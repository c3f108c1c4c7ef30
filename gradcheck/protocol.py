"""The messages between the grader and its worker: a small JSON header and plain numeric arrays.

One message on a pipe is

    8 bytes   the header's length h and the body's length b (two big-endian uint32)
    h bytes   a JSON object; its "arrays" entry lists the names of the arrays that follow
    b bytes   each array as a ``.npy`` record (``np.save``), 8-byte length first

Arrays are written with ``allow_pickle=False`` and read the same way, so an answer can only
ever be numbers: no pickled object crosses the boundary, whatever the homework returns.
The reader caps both lengths (``MAX_HEADER``, ``MAX_BODY``) and refuses arrays whose dtype is
not bool, integer or float: a malformed message is an error for the caller, never a crash.

This module is used on both sides: it imports nothing but the standard library and NumPy,
and the worker loads it from its file (``python -I``, no package imports).
"""

import io
import json
import os
import select
import struct
import time

import numpy as np

MAX_HEADER = 1 << 20          # 1 MiB of JSON
MAX_BODY = 1 << 30            # 1 GiB of arrays
_LENGTHS = struct.Struct(">II")
_ARRAY_LENGTH = struct.Struct(">Q")


class ProtocolError(Exception):
    """A message that is not what the protocol allows (the message says what was wrong)."""


class ChannelClosed(ProtocolError):
    """The other side closed the pipe (for the grader: the worker has ended)."""


class ChannelTimeout(ProtocolError):
    """No complete message arrived before the deadline."""


def encode(header, arrays=None):
    """The bytes of one message: ``header`` (a JSON-able dict) and ``arrays`` (name -> array)."""
    arrays = dict(arrays or {})
    header = dict(header, arrays=list(arrays))
    body = io.BytesIO()
    for value in arrays.values():
        record = io.BytesIO()
        np.save(record, np.asarray(value), allow_pickle=False)
        data = record.getvalue()
        body.write(_ARRAY_LENGTH.pack(len(data)))
        body.write(data)
    head = json.dumps(header, allow_nan=True).encode("utf-8")
    return _LENGTHS.pack(len(head), body.tell()) + head + body.getvalue()


def write_message(fd, header, arrays=None):
    """Send one message on the file descriptor ``fd`` (blocking until written)."""
    data = memoryview(encode(header, arrays))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _read_exactly(fd, size, deadline):
    chunks, remaining = [], size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout("no answer before the deadline")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise ChannelTimeout("no answer before the deadline")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise ChannelClosed("the other side closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def decode_arrays(names, body):
    """The arrays of a message body, checked: ``.npy`` records of bool, integer or float."""
    arrays, view, offset = {}, memoryview(body), 0
    for name in names:
        if offset + _ARRAY_LENGTH.size > len(view):
            raise ProtocolError(f"array {name!r} is missing from the message")
        (size,) = _ARRAY_LENGTH.unpack(view[offset:offset + _ARRAY_LENGTH.size])
        offset += _ARRAY_LENGTH.size
        if offset + size > len(view):
            raise ProtocolError(f"array {name!r} is cut short")
        try:
            array = np.load(io.BytesIO(view[offset:offset + size]), allow_pickle=False)
        except Exception as error:  # noqa: BLE001 - any malformed record is the same fault
            raise ProtocolError(f"array {name!r} is not a plain .npy record "
                                f"({type(error).__name__}: {error})") from None
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
            raise ProtocolError(f"array {name!r} has dtype {getattr(array, 'dtype', '?')}; "
                                f"only bool, integer and float arrays are accepted")
        arrays[name] = array
        offset += size
    if offset != len(view):
        raise ProtocolError("the message has bytes after its last array")
    return arrays


def read_message(fd, deadline=None, max_body=MAX_BODY):
    """Receive one message: ``(header dict, arrays dict)``.

    ``deadline`` is a ``time.monotonic()`` value; ChannelTimeout when it passes first.
    ``max_body``: the most bytes of arrays accepted (at most ``MAX_BODY``).
    """
    head_size, body_size = _LENGTHS.unpack(_read_exactly(fd, _LENGTHS.size, deadline))
    if head_size > MAX_HEADER or body_size > min(max_body, MAX_BODY):
        raise ProtocolError(f"a message of {head_size} + {body_size} bytes is over the limit")
    try:
        header = json.loads(_read_exactly(fd, head_size, deadline).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ProtocolError(f"the message header is not JSON ({type(error).__name__})") from None
    if not isinstance(header, dict) or not isinstance(header.get("arrays", []), list):
        raise ProtocolError("the message header is not a JSON object with an 'arrays' list")
    body = _read_exactly(fd, body_size, deadline)
    return header, decode_arrays([str(n) for n in header.get("arrays", [])], body)


_ANSWER_FIELDS = {  # field -> what it must be, in an answer from the worker
    "ok": "a bool", "error": "a string", "count": "an int", "denied": "a list of strings",
    "names": "a list of strings", "missing_imports": "a list of strings",
}


def _is(value, kind):
    if kind == "a bool":
        return isinstance(value, bool)
    if kind == "a string":
        return isinstance(value, str)
    if kind == "an int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def check_answer(header, arrays):
    """ProtocolError unless ``header`` is an answer the grader can use as it is: each known
    field of its type, ``count`` no more than the arrays sent.  The homework can write to the
    worker's channel itself; a forged ``count`` of 10**15 would otherwise keep the grader
    looping, a list where a string belongs would raise inside it."""
    for name, kind in _ANSWER_FIELDS.items():
        if name in header and not _is(header[name], kind):
            raise ProtocolError(f"the answer's {name!r} is not {kind}")
    if not 0 <= header.get("count", 0) <= len(arrays):
        raise ProtocolError(f"the answer counts {header['count']} arrays and holds {len(arrays)}")
