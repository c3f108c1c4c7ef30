"""Figures and progress bars in Jupyter: inline pictures, no warnings, no flood of output."""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

from mnist_demo import load_sample, plot_digits
from mnist_demo.figure import InlineFigure
from mnist_demo.progress import progress_bar

PNG = b"\x89PNG\r\n\x1a\n"


def test_figures_render_their_own_png_and_stay_out_of_pyplot():
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    data = load_sample()
    figure = plot_digits(data.X_test, data.y_test, n=3, seed=0)
    assert isinstance(figure, InlineFigure)
    assert figure._repr_png_()[:8] == PNG
    assert plt.get_fignums() == open_before          # not registered, so nothing closes it


def test_ipython_formats_a_figure_as_png():
    formatters = pytest.importorskip("IPython.core.formatters")
    data = load_sample()
    png = formatters.PNGFormatter()(plot_digits(data.X_test, data.y_test, n=2, seed=1))
    assert png is not None and png[:8] == PNG


def test_importing_selects_no_backend():
    code = ("import sys, mnist_demo, mnist_demo.train, mnist_demo.cli; "
            "print(sorted(m for m in ('matplotlib.pyplot',) if m in sys.modules))")
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    # Every warning is an error, except deprecations inside dependencies (hidden by default;
    # matplotlib 3.5 with pyparsing 3.3 has some).
    done = subprocess.run([sys.executable, "-W", "error", "-W", "ignore::DeprecationWarning",
                           "-c", code], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]" and done.stderr == ""


def test_no_bar_in_a_notebook_without_ipywidgets(monkeypatch, capsys):
    import mnist_demo.progress as progress

    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(progress, "widgets_available", lambda: False)
    assert list(progress_bar(range(5), desc="epoch 1")) == list(range(5))
    assert capsys.readouterr().err == ""


def test_text_bar_in_a_terminal(capsys):
    assert list(progress_bar(range(5), desc="epoch 1")) == list(range(5))
    assert "epoch 1: 100%" in capsys.readouterr().err


NOTEBOOK_CELLS = [
    "import mnist_demo",  # with the notebook's default warning filters, as students have them
    "from mnist_demo.train import TrainConfig, train\n"
    "data = mnist_demo.load_sample()",
    "mnist_demo.plot_digits(data.X_train, data.y_train, n=3, seed=0)",
    "figure = mnist_demo.plot_digits(data.X_test, data.y_test, n=2, seed=1)\nfigure.show()",
    "small = mnist_demo.MNIST(data.X_train[:256], data.y_train[:256], data.X_test[:64],\n"
    "                         data.y_test[:64], source='embedded sample')\n"
    "model, history = train(small, TrainConfig(epochs=2, batch_size=8))",
]


@pytest.mark.skipif(importlib.util.find_spec("nbclient") is None
                    or importlib.util.find_spec("ipykernel") is None,
                    reason="nbclient and ipykernel are not installed")
def test_headless_notebook_shows_pictures_inline_and_trains_quietly(tmp_path):
    import nbclient
    import nbformat

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in NOTEBOOK_CELLS])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert outputs[0] == [] and outputs[1] == []                 # importing warns about nothing
    for picture in (outputs[2], outputs[3]):
        assert [o.output_type for o in picture] in (["execute_result"], ["display_data"])
        assert "image/png" in picture[0].data
    streams = [o for o in outputs[4] if o.output_type == "stream"]
    text = "".join(o.text for o in streams)
    assert "IProgress" not in text and "TqdmWarning" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    epoch_lines = [line for line in lines if line.startswith(("epoch 1: loss", "epoch 2: loss"))]
    assert len(epoch_lines) == 2
    if importlib.util.find_spec("ipywidgets") is None:          # no bar: only the epoch lines
        assert lines == epoch_lines and len(streams) <= 2
