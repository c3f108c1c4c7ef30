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


def read_model_file(where, path):
    """``(architecture, {key: array})`` read completely from ``path``, or a ValueError."""
    if not os.path.isfile(path):
        raise ValueError(f"{where}: {path} does not exist or is not a file")
    if os.path.getsize(path) == 0:   # older numpy reads an empty file as a refused pickle
        raise ValueError(f"{where}: cannot load {path}: the file is truncated or not an .npz "
                         f"archive (it is empty)")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise _Foreign("it holds one .npy array, not an .npz archive")
        with data:
            if "architecture" not in data.files:
                raise _Foreign("it has no architecture record")
            arrays = {key: data[key] for key in data.files}
        architecture = json.loads(str(arrays.pop("architecture")))
        if not isinstance(architecture, list):
            raise _Foreign("its architecture record is not a list of layers")
    except _Foreign as fault:
        raise ValueError(f"{where}: cannot load {path}: nn_sequential_model.save did not write "
                         f"it ({fault})") from None
    except (zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"{where}: cannot load {path}: the file is truncated or not an .npz "
                         f"archive ({type(error).__name__}: {error})") from None
    except (zlib.error, OSError, KeyError, ValueError) as error:
        raise ValueError(f"{where}: cannot load {path}: the file is damaged "
                         f"({type(error).__name__}: {error})") from None
    return architecture, arrays


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
