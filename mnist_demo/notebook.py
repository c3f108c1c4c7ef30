"""Where the code runs: a Jupyter kernel or not (without importing IPython when it is absent)."""

import contextlib
import importlib.util
import sys
import warnings
from typing import Iterator

__all__ = ["in_notebook", "quiet_tqdm_auto", "widgets_available"]


def in_notebook() -> bool:
    """True in a Jupyter kernel (IPython's ZMQ shell); False in a terminal, a script or IPython."""
    ipython = sys.modules.get("IPython")
    if ipython is None or not hasattr(ipython, "get_ipython"):
        return False
    shell = type(ipython.get_ipython())
    # Jupyter's kernel shell, or a subclass of it (Google Colab's).
    return any(cls.__name__ == "ZMQInteractiveShell" for cls in shell.__mro__)


@contextlib.contextmanager
def quiet_tqdm_auto() -> Iterator[None]:
    """Mute tqdm's "IProgress not found" warning while importing a library that imports
    ``tqdm.auto`` (pooch does; scikit-image 0.24 imports pooch).  In a notebook without
    ipywidgets it fires once, at that import, although no such bar is used here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        yield


def widgets_available() -> bool:
    """True when ipywidgets is installed (tqdm's notebook bars need it)."""
    return importlib.util.find_spec("ipywidgets") is not None
