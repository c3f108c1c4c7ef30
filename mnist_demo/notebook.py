"""Where the code runs: a Jupyter kernel or not (without importing IPython when it is absent)."""

import importlib.util
import sys

__all__ = ["in_notebook", "widgets_available"]


def in_notebook() -> bool:
    """True in a Jupyter kernel (IPython's ZMQ shell); False in a terminal, a script or IPython."""
    ipython = sys.modules.get("IPython")
    if ipython is None or not hasattr(ipython, "get_ipython"):
        return False
    return type(ipython.get_ipython()).__name__ == "ZMQInteractiveShell"


def widgets_available() -> bool:
    """True when ipywidgets is installed (tqdm's notebook bars need it)."""
    return importlib.util.find_spec("ipywidgets") is not None
