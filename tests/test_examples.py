"""The examples under examples/: each one's claim, tested."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from naive import relative_error

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scanning_mlps_equal_their_cnns(seed):
    ex = load_example("scanning_mlp")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(ex.TIME, ex.FEATURES))
    for weights, scan, build in ((ex.simple_mlp_weights(rng), ex.scan_simple_mlp, ex.simple_cnn),
                                 (ex.distributed_mlp_weights(rng), ex.scan_distributed_mlp, ex.distributed_cnn)):
        scanned = scan(x, weights)
        assert scanned.shape == (31, 4)
        assert relative_error(ex.run(build(weights), x), scanned) < 1e-12


def test_hw2_cnn_matches_torch_and_learns():
    ex = load_example("cnn_conv1d")
    model = ex.build_model(seed=0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, ex.IN_CHANNELS, ex.WIDTH))
    labels = rng.integers(0, 10, 4)
    step = model.train_step(x, labels)
    assert step.logits.shape == (4, 10) and ex.output_width() == 30
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    params = [torch.tensor(p, requires_grad=True) for p in model.parameters()]
    h = torch.tensor(x)
    for (W, b), s, act in zip(zip(params[0:6:2], params[1:6:2]), ex.STRIDES,
                              (torch.tanh, torch.relu, torch.sigmoid)):
        h = act(F.conv1d(h, W, b.reshape(-1), stride=s))
    logits = F.linear(h.flatten(1), params[6], params[7].reshape(-1))
    loss = F.cross_entropy(logits, torch.tensor(labels))
    loss.backward()
    assert step.loss == pytest.approx(loss.item(), rel=1e-12)
    for got, p in zip([g for grads in step.grads for g in grads], params):
        assert relative_error(got, p.grad.numpy()) < 1e-12


def test_hw2_cnn_training_lowers_the_loss(capsys):
    load_example("cnn_conv1d").main(steps=12)
    losses = [float(line.split("loss ")[1]) for line in capsys.readouterr().out.splitlines()
              if line.startswith("step")]
    assert losses[-1] < losses[0]


def test_variable_resolution_network_learns_at_every_size():
    ex = load_example("variable_resolution")
    from mnist_demo import load_sample
    from mnist_demo.train import scale_images

    data = load_sample()
    x, y = scale_images(data.X_train[:600]), data.y_train[:600].astype(np.intp)
    model, losses = ex.train(x, y, epochs=2, progress=lambda message: None)
    assert losses[1] < losses[0]
    results = ex.evaluate(model, scale_images(data.X_test[:300]), data.y_test[:300].astype(np.intp))
    assert set(results) == {"32x32 canvas", "48x48 canvas", "64x64 canvas", "28x28 digits"}
    assert all(accuracy > 0.3 for accuracy in results.values()), results   # chance is 0.1
    canvas = ex.place_on_canvas(x[:5], 48, np.random.default_rng(0))
    assert canvas.shape == (5, 1, 48, 48)
    np.testing.assert_allclose(canvas.sum(axis=(1, 2, 3)), x[:5].sum(axis=(1, 2, 3)), rtol=1e-6)
