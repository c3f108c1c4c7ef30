"""Loading the layers to check: from the kit, a course homework file, or ``module:Class``.

A course homework file defines the classes and then runs its own test loop at
module level.  Importing it would run that loop, so a file is parsed with
``ast`` and only its imports, functions, classes and constant assignments are
executed, one statement at a time.  An import that fails (a helper module the
grader does not have) is noted in ``module.__missing_imports__`` and skipped:
the layers are graded anyway, and a layer that needed the module fails its
check with a NameError that says so.
"""

import ast
import importlib
import importlib.util
import sys
import types
from pathlib import Path

__all__ = ["LoadError", "load_definitions", "resolve_target"]


class LoadError(Exception):
    """The target could not be loaded; the message says which and why."""


def _is_constant(node):
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _is_reference(node):
    """A dotted name such as ``np.float64``: evaluating it runs no code of the file."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _keep(node):
    """True for the statements that define things; False for anything that runs work."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                         ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return _is_constant(node.value) or _is_reference(node.value)
    if isinstance(node, ast.Try):  # try: import x / except ImportError: ...
        return all(isinstance(n, (ast.Import, ast.ImportFrom, ast.Pass, ast.Assign))
                   for n in node.body)
    return False


def load_definitions(path):
    """Execute only the definitions of the Python file ``path``; return them as a module."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as error:
        raise LoadError(f"could not read {path}: {type(error).__name__}: {error}") from None
    module = types.ModuleType(path.stem)
    module.__file__ = str(path)
    module.__missing_imports__ = []
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # so the file can import its sibling modules
    try:
        for node in (node for node in tree.body if _keep(node)):
            code = compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec")
            try:
                exec(code, module.__dict__)  # noqa: S102 - the point
            except ImportError as error:
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    raise
                module.__missing_imports__.append(f"line {node.lineno}: {error}")
    except Exception as error:  # noqa: BLE001 - a student's file may raise anything
        raise LoadError(f"could not load {path}: {type(error).__name__}: {error}") from None
    finally:
        sys.path.remove(folder)
    return module


def _load_module(name):
    """A file path or an importable module name, loaded through ``load_definitions``."""
    if name.endswith(".py") or Path(name).is_file():
        if not Path(name).is_file():
            raise LoadError(f"no such file: {name}")
        return load_definitions(name)
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as error:
        raise LoadError(f"could not find module {name!r}: {error}") from None
    if spec is None:
        raise LoadError(f"no file or module named {name!r}")
    if spec.origin and spec.origin.endswith(".py"):
        return load_definitions(spec.origin)
    try:
        return importlib.import_module(name)
    except Exception as error:  # noqa: BLE001
        raise LoadError(f"could not import {name}: {type(error).__name__}: {error}") from None


def resolve_target(target):
    """``(module, attribute name or None)`` for 'file.py', 'module', 'file.py:Name', 'module:Name'."""
    name, _, attribute = target.rpartition(":") if ":" in target else (target, "", "")
    if ":" in target and len(name) == 1 and target[1:3] in (":\\", ":/"):  # a Windows drive
        name, attribute = target, ""
    module = _load_module(name)
    if attribute and not hasattr(module, attribute):
        raise LoadError(f"{name} defines no {attribute!r}")
    return module, attribute or None
