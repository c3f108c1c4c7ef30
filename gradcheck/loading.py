"""Loading a homework file's definitions (in the worker: this runs homework code).

A course homework file defines the classes and then runs its own test loop at
module level.  Importing it would run that loop, so a file is parsed with
``ast`` and only its imports, functions, classes and constant assignments are
executed, one statement at a time.  An import that fails (a helper module the
grader does not have) is noted in ``module.__missing_imports__`` and skipped:
the layers are graded anyway, and a layer that needed the module fails its
check with a NameError that says so.
"""

import ast
import sys
import types
from pathlib import Path

__all__ = ["LoadError", "load_definitions"]


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


def _python2_hint(source):
    """' (it looks like Python 2 ...)' when the source has a print statement."""
    for line in source.splitlines():
        words = line.split(None, 1)
        if len(words) == 2 and words[0] == "print" and not words[1].startswith("("):
            return " (it looks like Python 2, a print statement: the grader runs Python 3)"
    return ""


def load_definitions(path, name=None):
    """Execute only the definitions of the Python file ``path``; return them as a module.

    ``name`` (e.g. "cs231n.layers") gives the module its dotted name, so that its relative
    imports resolve, and registers it in ``sys.modules`` under that name."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8-sig", errors="replace")  # without a BOM
    except OSError as error:
        raise LoadError(f"could not read {path.name}: {type(error).__name__}: {error}") from None
    try:
        tree = ast.parse(source, filename=path.name)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise LoadError(f"{path.name} does not parse: {type(error).__name__}: {error}"
                        f"{_python2_hint(source)}") from None
    module = types.ModuleType(name or path.stem)
    module.__file__ = str(path)
    module.__missing_imports__ = []
    if name and "." in name:
        module.__package__ = name.rpartition(".")[0]
    if name:
        sys.modules[name] = module
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # so the file can import its sibling modules
    try:
        for node in (node for node in tree.body if _keep(node)):
            code = compile(ast.Module(body=[node], type_ignores=[]), path.name, "exec")
            try:
                exec(code, module.__dict__)  # noqa: S102 - the point
            except ImportError as error:
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    raise
                module.__missing_imports__.append(f"line {node.lineno}: {error}")
    except Exception as error:  # noqa: BLE001 - a student's file may raise anything
        raise LoadError(f"could not load {path.name}: {type(error).__name__}: {error}") from None
    return module
