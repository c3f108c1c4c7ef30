"""Progress bars that suit where the code runs: a terminal, or a Jupyter notebook.

In a terminal: tqdm's text bar.  In a notebook with ipywidgets: tqdm's widget bar.  In a
notebook without ipywidgets there is no bar (a text bar there becomes dozens of output
chunks, and ``tqdm.auto`` warns "IProgress not found"): callers print one line per step
instead.  ``tqdm.auto`` is never imported, so nothing warns at import.
"""

from typing import Any

from tqdm import tqdm as text_tqdm

from .notebook import in_notebook, widgets_available

__all__ = ["progress_bar"]


def progress_bar(iterable: Any = None, *, disable: bool = False, **kwargs: Any) -> text_tqdm:
    """A tqdm bar over ``iterable`` (or updated by hand), disabled where it cannot be shown well.

    ``kwargs`` go to tqdm (``total``, ``desc``, ``unit``, ...).  The bar is disabled when
    ``disable`` is true or when in a notebook without ipywidgets.
    """
    if in_notebook():
        if widgets_available():
            from tqdm.notebook import tqdm as widget_tqdm

            return widget_tqdm(iterable, disable=disable, **kwargs)
        disable = True
    return text_tqdm(iterable, disable=disable, **kwargs)
