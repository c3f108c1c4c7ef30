"""Training the courses' CNN on embedded digits: it learns, it is deterministic, the CLI works."""

import numpy as np
import pytest

from mnist_demo import load_sample
from mnist_demo.cli import build_parser, main
from mnist_demo.load import MNIST
from mnist_demo.train import (
    TrainConfig,
    build_cnn,
    default_config,
    random_shift,
    scale_images,
    train,
)


@pytest.fixture(scope="module")
def small():
    data = load_sample()
    return MNIST(data.X_train[:600], data.y_train[:600], data.X_test[:300], data.y_test[:300],
                 source="embedded sample")


def test_one_epoch_on_a_few_hundred_digits_learns(small):
    config = TrainConfig(epochs=1, batch_size=32, lr=2e-3, shift=0, val_fraction=0.1)
    model, history = train(small, config, progress=False)
    untrained = build_cnn(config.seed).train_step(scale_images(small.X_train[:200]),
                                                  small.y_train[:200].astype(np.intp)).loss
    assert untrained > 2.0                           # about log(10) before training
    assert history.train_loss[0] < untrained
    assert history.test_accuracy > 0.6               # chance is 0.1
    assert model.parameters()[0].dtype == np.float32


def test_training_is_deterministic_for_a_seed(small):
    config = TrainConfig(epochs=1, batch_size=64, shift=2, seed=5)
    _, first = train(small, config, progress=False)
    _, again = train(small, config, progress=False)
    assert first.train_loss == again.train_loss and first.test_accuracy == again.test_accuracy


def test_random_shift_moves_each_image_within_bounds():
    rng = np.random.default_rng(0)
    x = np.zeros((50, 1, 28, 28), np.float32)
    x[:, 0, 13, 13] = 1.0
    shifted = random_shift(x, 2, rng)
    assert shifted.shape == x.shape and shifted.dtype == x.dtype
    rows, cols = np.nonzero(shifted[:, 0].reshape(50, -1))[1] // 28, np.nonzero(shifted[:, 0].reshape(50, -1))[1] % 28
    assert np.all(np.abs(rows - 13) <= 2) and np.all(np.abs(cols - 13) <= 2)
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 10   # shifts differ per image


def test_defaults_depend_on_the_data_source():
    assert default_config(True).epochs > default_config(False).epochs
    assert default_config(True).shift == 2
    assert default_config(False, epochs=7).epochs == 7


def _quick_data(monkeypatch, small):
    import mnist_demo.cli as cli

    monkeypatch.setattr(cli, "load_mnist", lambda *args, **kwargs: small)  # quick epochs


def test_cli_trains_then_plots_predictions(tmp_path, capsys, monkeypatch, small):
    monkeypatch.chdir(tmp_path)
    _quick_data(monkeypatch, small)
    model_path, curves = tmp_path / "cnn.npz", tmp_path / "curves.png"
    assert main(["--offline", "train", "--epochs", "1", "--no-progress",
                 "--out", str(model_path), "--curves", str(curves)]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "embedded sample" in out and "test accuracy" in out and "s per epoch" in out
    assert "epoch 1: loss " in out and "validation accuracy" in out   # kept without bars
    assert "it/s" not in captured.err and "batch/s" not in captured.err
    assert model_path.exists() and curves.read_bytes()[:4] == b"\x89PNG"
    assert main(["--offline", "--model", str(model_path), "--n", "6", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "pred" in out
    # --model writes its own default files, never over mnist_samples.png.
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "curves.png", "mnist_confusion.png", "mnist_predictions.png"]
    assert f"saved {tmp_path / 'mnist_predictions.png'}" in out


def test_data_options_go_before_or_after_train():
    parser = build_parser()
    before = parser.parse_args(["--offline", "--data-dir", "d", "--timeout", "3", "train", "--epochs", "2"])
    after = parser.parse_args(["train", "--epochs", "2", "--offline", "--data-dir", "d", "--timeout", "3"])
    assert vars(before) == vars(after)
    assert before.offline is True and before.data_dir == "d" and before.timeout == 3.0
    plain = parser.parse_args(["train"])
    assert plain.offline is False and plain.data_dir is None and plain.min_rate == 50.0


def test_drawing_options_are_refused_with_train(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--n", "5", "train", "--offline"])
    assert caught.value.code == 2
    assert "--n draw digits; they do not apply to 'train'" in capsys.readouterr().err


def test_train_refuses_to_overwrite_a_model_file_unless_forced(tmp_path, capsys):
    model_path = tmp_path / "cnn.npz"
    model_path.write_bytes(b"an earlier network")
    assert main(["train", "--offline", "--epochs", "1", "--out", str(model_path)]) == 2
    captured = capsys.readouterr()
    assert f"error: {model_path} exists: 'train' does not overwrite a saved network; give " \
           f"another --out, or --force to replace it" in captured.err
    assert "training:" not in captured.out                       # refused before training
    assert model_path.read_bytes() == b"an earlier network"


def test_train_with_force_overwrites(tmp_path, small, monkeypatch):
    _quick_data(monkeypatch, small)
    model_path = tmp_path / "cnn.npz"
    model_path.write_bytes(b"an earlier network")
    assert main(["train", "--offline", "--epochs", "1", "--force", "--no-progress",
                 "--out", str(model_path), "--curves", str(tmp_path / "c.png")]) == 0
    assert model_path.read_bytes()[:2] == b"PK"                  # an .npz now


def test_cli_refuses_a_model_file_of_another_network(tmp_path, capsys):
    import nnlayers as nl

    other = nl.nn_sequential_model([nl.nn_flatten_layer(), nl.nn_linear_layer(784, 10, rng=0)],
                                   nl.nn_cross_entropy_loss())
    other.save(tmp_path / "other.npz")
    assert main(["--offline", "--model", str(tmp_path / "other.npz"), "--out", str(tmp_path / "p.png")]) == 2
    assert "holds another architecture" in capsys.readouterr().err
