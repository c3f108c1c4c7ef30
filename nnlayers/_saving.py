"""Model files: written atomically, read completely and checked, refused with a clear reason.

A model file is one ``.npz`` archive: an ``architecture`` record (JSON: per layer its class,
configuration and array shapes by name) and one array per parameter and buffer, keyed
``layer<i>/<name>``.  Every fault is a ValueError naming the file and what is wrong.
"""

import json
import os
import tempfile
import zipfile
import zlib

import numpy as np

__all__ = ["write_atomically", "read_model_file", "explain_mismatch"]


def write_atomically(where, path, arrays):
    """``np.savez`` of ``arrays`` to a temporary file next to ``path``, then ``os.replace``:
    an interrupted save never leaves a half-written file under the name.  A folder that does
    not exist or cannot be written is a ValueError naming ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".nnlayers-", suffix=".npz.tmp")
    except OSError as error:
        raise ValueError(f"{where}: cannot write {path}: {error.strerror} ({folder})") from None
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except OSError as error:   # e.g. the disk is full, or path is a folder
        os.remove(temporary)
        raise ValueError(f"{where}: cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


class _Foreign(Exception):
    """A readable file that nn_sequential_model.save did not write."""


class _Damaged(Exception):
    """An array of the file is missing, or its header gives another shape or dtype."""


# Far more than any architecture record needs: a larger one is not the kit's (and reading it
# would allocate that much).
ARCHITECTURE_BYTES = 16 << 20
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


def _header(data, key):
    """``(shape, dtype)`` of the array ``key`` of an open .npz, from its header only."""
    with data.zip.open(f"{key}.npy") as member:
        version = np.lib.format.read_magic(member)
        reader = _HEADER_READERS.get(version)
        if reader is None:
            raise ValueError(f"array {key!r} has .npy format version {version}")
        shape, _, dtype = reader(member)
    return tuple(shape), np.dtype(dtype)


def read_model_file(where, path, mine, shapes):
    """``{key: array}`` of the model file at ``path`` for the keys of ``shapes``, or a
    ValueError naming the file.

    The file must hold the architecture ``mine`` and, for each key, a real array of the shape
    ``shapes[key]``.  Both are checked before any array is read, from the arrays' headers, so
    a small damaged or hostile file never makes a load allocate more than the model's own
    arrays (a compressed array of zeros declaring 10**9 values is refused unread).
    """
    if not os.path.isfile(path):
        raise ValueError(f"{where}: {path} does not exist or is not a file")
    if os.path.getsize(path) == 0:   # older numpy reads an empty file as a refused pickle
        raise ValueError(f"{where}: cannot load {path}: the file is truncated or not an .npz "
                         f"archive (it is empty)")
    arrays = None
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise _Foreign("it holds one .npy array, not an .npz archive")
        with data:
            if "architecture" not in data.files:
                raise _Foreign("it has no architecture record")
            shape, dtype = _header(data, "architecture")
            if shape != () or dtype.kind != "U" or dtype.itemsize > ARCHITECTURE_BYTES:
                raise _Foreign(f"its architecture record is {dtype} {shape}, not a JSON text")
            architecture = json.loads(str(data["architecture"]))
            if not isinstance(architecture, list):
                raise _Foreign("its architecture record is not a list of layers")
            if architecture == mine:
                for key, wanted in shapes.items():
                    got = _header(data, key) if key in data.files else None
                    if got is None or got[0] != tuple(wanted) or got[1].kind not in "biuf":
                        raise _Damaged(f"array {key!r} is "
                                       f"{'missing' if got is None else f'{got[1]} {got[0]}'}, "
                                       f"expected a real array of shape {tuple(wanted)}")
                arrays = {key: data[key] for key in shapes}
    except _Foreign as fault:
        raise ValueError(f"{where}: cannot load {path}: nn_sequential_model.save did not write "
                         f"it ({fault})") from None
    except _Damaged as fault:
        raise ValueError(f"{where}: {path} is damaged: {fault}") from None
    except (zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"{where}: cannot load {path}: the file is truncated or not an .npz "
                         f"archive ({type(error).__name__}: {error})") from None
    except (zlib.error, OSError, KeyError, ValueError) as error:
        raise ValueError(f"{where}: cannot load {path}: the file is damaged "
                         f"({type(error).__name__}: {error})") from None
    if arrays is None:
        raise ValueError(explain_mismatch(where, path, architecture, mine))
    return arrays


def explain_mismatch(where, path, saved, mine):
    """The message for a file of another architecture: the first layer that differs."""
    diff = next((i for i, (a, b) in enumerate(zip(saved, mine)) if a != b),
                min(len(saved), len(mine)))
    got, want = (_describe(record, diff, arrays=False) for record in (saved, mine))
    if got == want:   # same class and configuration: the array shapes differ
        got, want = (_describe(record, diff, arrays=True) for record in (saved, mine))
    return (f"{where}: {path} holds another architecture: layer {diff} is {got} in the file, "
            f"{want} in this model ({len(saved)} vs {len(mine)} layers)")


def _describe(record, i, arrays):
    """One layer of an architecture record as ``name(config)`` [plus its array shapes]."""
    if i >= len(record):
        return "(no layer)"
    entry = record[i] if isinstance(record[i], dict) else {"layer": repr(record[i])}
    config = entry.get("config")
    args = (", ".join(f"{k}={v!r}" for k, v in config.items()) if isinstance(config, dict)
            else "?")
    shapes = f" with arrays {entry.get('params')} {entry.get('buffers')}" if arrays else ""
    return f"{entry.get('layer')}({args}){shapes}"
