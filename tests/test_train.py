"""Training the courses' CNN on embedded digits: it learns, it is deterministic, the CLI works."""

import numpy as np
import pytest

from mnist_demo import load_sample
from mnist_demo.cli import main
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


def test_cli_trains_then_plots_predictions(tmp_path, capsys):
    model_path, curves = tmp_path / "cnn.npz", tmp_path / "curves.png"
    assert main(["train", "--offline", "--epochs", "1", "--no-progress",
                 "--out", str(model_path), "--curves", str(curves)]) == 0
    out = capsys.readouterr().out
    assert "embedded sample" in out and "test accuracy" in out and "s per epoch" in out
    assert model_path.exists() and curves.read_bytes()[:4] == b"\x89PNG"
    digits, confusion = tmp_path / "pred.png", tmp_path / "conf.png"
    assert main(["--offline", "--model", str(model_path), "--n", "6", "--seed", "0",
                 "--out", str(digits), "--confusion", str(confusion)]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "pred" in out
    assert digits.read_bytes()[:4] == b"\x89PNG" and confusion.read_bytes()[:4] == b"\x89PNG"


def test_cli_refuses_a_model_file_of_another_network(tmp_path, capsys):
    import nnlayers as nl

    other = nl.nn_sequential_model([nl.nn_flatten_layer(), nl.nn_linear_layer(784, 10, rng=0)],
                                   nl.nn_cross_entropy_loss())
    other.save(tmp_path / "other.npz")
    assert main(["--offline", "--model", str(tmp_path / "other.npz"), "--out", str(tmp_path / "p.png")]) == 2
    assert "holds another architecture" in capsys.readouterr().err
