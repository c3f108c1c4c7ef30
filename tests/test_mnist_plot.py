"""plot_digits titles each digit with its label; the CLI writes a PNG offline."""

import subprocess
import sys

import numpy as np
import pytest

from mnist_demo import load_sample, pick_indices, plot_digits
from mnist_demo.cli import main


def _titles(figure):
    return [ax.get_title() for ax in figure.axes if ax.images]


def test_titles_are_the_labels_of_the_drawn_indices():
    data = load_sample()
    figure = plot_digits(data.X_train, data.y_train, n=5, seed=3)
    indices = pick_indices(len(data.y_train), 5, seed=3)
    np.testing.assert_array_equal(figure.indices, indices)
    assert _titles(figure) == [f"label {data.y_train[i]}" for i in indices]
    for ax, i in zip([a for a in figure.axes if a.images], indices):
        np.testing.assert_array_equal(ax.images[0].get_array(), data.X_train[i, 0])


def test_explicit_indices_and_predictions_in_red_when_wrong():
    images = np.zeros((4, 28, 28), np.uint8)
    labels = np.array([1, 2, 3, 4])
    figure = plot_digits(images, labels, indices=[2, 0], predictions=np.array([1, 0, 3, 9]))
    axes = [a for a in figure.axes if a.images]
    assert [a.get_title() for a in axes] == ["pred 3 / label 3", "pred 1 / label 1"]
    figure = plot_digits(images, labels, indices=[1], predictions=np.array([1, 0, 3, 9]))
    title = [a for a in figure.axes if a.images][0].title
    assert title.get_text() == "pred 0 / label 2" and title.get_color() == "red"


@pytest.mark.parametrize("kwargs,message", [
    ({"images": np.zeros((3, 5)), "labels": np.zeros(3)}, r"images must be \(N, 1, H, W\) or \(N, H, W\)"),
    ({"images": np.zeros((3, 8, 8)), "labels": np.zeros(2)}, r"labels must have shape \(3,\)"),
    ({"images": np.zeros((3, 8, 8)), "labels": np.zeros(3), "n": 4}, "cannot draw n = 4 distinct digits from 3"),
    ({"images": np.zeros((3, 8, 8)), "labels": np.zeros(3), "n": 0}, "n must be an integer >= 1"),
    ({"images": np.zeros((3, 8, 8)), "labels": np.zeros(3), "indices": [5]}, r"indices must be .* within 0..2"),
])
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_digits(**kwargs)


def test_cli_writes_a_png_offline(tmp_path, capsys):
    out = tmp_path / "digits.png"
    assert main(["--offline", "--out", str(out), "--seed", "0", "--n", "4", "--split", "test"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "embedded sample" in printed and f"saved {out}" in printed
    data = load_sample()
    drawn = pick_indices(len(data.y_test), 4, seed=0)
    assert "drew 4 random test digits: " + ", ".join(
        f"#{i} label {data.y_test[i]}" for i in drawn) in printed


def test_cli_show_without_a_display_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert main(["--offline", "--show", "--out", str(tmp_path / "d.png")]) == 0
    assert "no display found: the picture is in the PNG file only" in capsys.readouterr().out


def test_cli_refuses_more_digits_than_there_are(tmp_path, capsys):
    assert main(["--offline", "--n", "1001", "--split", "test", "--out", str(tmp_path / "x.png")]) == 2
    assert "more than the 1000 test digits" in capsys.readouterr().err


def test_cli_cache_path_that_is_a_file_falls_back_and_says_why(tmp_path, capsys):
    (tmp_path / "cache").write_text("")
    assert main(["--data-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "d.png")]) == 0
    out = capsys.readouterr().out
    assert "embedded sample" in out and "is a file, not a folder" in out


def test_python_dash_m_mnist_demo_without_network_falls_back(tmp_path):
    env = {"NNLAYERS_MNIST_MIRRORS": "http://127.0.0.1:9/", "NNLAYERS_DATA": str(tmp_path / "c"),
           "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "mnist_demo", "--out", str(tmp_path / "d.png")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "embedded sample" in done.stdout and "connection refused" in done.stdout
    assert (tmp_path / "d.png").exists()


def test_readme_samples_picture_command_prints_what_the_readme_quotes(tmp_path, capsys):
    import re
    import shlex
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    command = re.search(r"drawn by `python -m mnist_demo ([^`]*)`", readme).group(1)
    args = shlex.split(command.replace("\n", " "))
    assert args[args.index("--out") + 1] == "docs/mnist_samples.png"
    args[args.index("--out") + 1] = str(tmp_path / "samples.png")
    assert main(args) == 0
    printed = capsys.readouterr().out.splitlines()
    quoted = re.search(r"drawn by `python -m mnist_demo[^`]*`, which prints:\n\n```\n(.*?)```",
                       readme, re.S).group(1).splitlines()
    assert printed[:2] == quoted[:2]
