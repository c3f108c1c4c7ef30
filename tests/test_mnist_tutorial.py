"""examples/tutorial.ipynb runs top to bottom headless, offline, with its pictures inline."""

import importlib.util
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parents[1] / "examples" / "tutorial.ipynb"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("nbclient") is None or importlib.util.find_spec("ipykernel") is None,
    reason="nbclient and ipykernel are not installed")


def _text(output):
    if output.output_type == "stream":
        return output.text
    return output.get("data", {}).get("text/plain", "")


def test_tutorial_runs_headless_with_inline_pictures(tmp_path, monkeypatch):
    import nbclient
    import nbformat

    monkeypatch.setenv("NNLAYERS_MNIST_MIRRORS", "http://127.0.0.1:9/")   # no network used
    notebook = nbformat.read(TUTORIAL, as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [o for cell in code for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(_text(o) for o in outputs)
    assert "[24., 28.]" in text and "[[12., 16.]" in text.replace("array(", "")
    assert "passed: True" in text and "passed: False" in text
    assert "Warning" not in text and "IProgress" not in text
    assert "epoch 1: loss" in text and "epoch 2: loss" in text
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pictures) == 3                  # digits, training curves, predictions
    assert list(tmp_path.iterdir()) == []      # it writes no file
