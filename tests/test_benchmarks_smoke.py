"""The benchmark scripts use a few of the kit's private helpers: run their cheap parts so a
change to those helpers cannot silently break them (timings themselves are not tested)."""

import importlib.util
import pathlib

import numpy as np
import pytest

BENCH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench_layers.py"


@pytest.fixture(scope="module")
def bench_layers():
    if not BENCH.exists():
        pytest.skip("benchmarks/ is not beside the tests (an installed copy of the tests)")
    spec = importlib.util.spec_from_file_location("bench_layers", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_conv_stages_cover_a_forward_and_a_backprop(bench_layers):
    stages, whole = bench_layers.conv_stages(bench_layers.CONV_SHAPES["harness"], np.float32, 1)
    assert {"product W @ cols", "product dy @ cols.T (dW)", "product W.T @ dy (dcols)",
            "col2im (add windows back)", "db = sum of dy"} <= set(stages)
    assert set(whole) == {"forward", "backprop"}
    assert all(seconds > 0 for seconds in list(stages.values()) + list(whole.values()))


def test_reference_conv_matches_the_kit(bench_layers):
    """The script's reference is what the kit's speed is compared with: it must compute the
    same convolution (checked against the naive loop in tests/naive.py via the kit's tests)."""
    from nnlayers import nn_convolutional_layer
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 7))
    layer = nn_convolutional_layer(3, 3, 7, 3, 4, padding=1, rng=0)
    dy = rng.standard_normal((2, 4, 7, 7))
    W, b = layer.get_weights()
    np.testing.assert_allclose(bench_layers.ref_conv_forward(x, W, b, 1), layer.forward(x),
                               rtol=1e-12, atol=1e-12)
    for ref, kit in zip(bench_layers.ref_conv_backward(x, W, dy, 1), layer.backprop(x, dy)):
        np.testing.assert_allclose(ref, kit, rtol=1e-12, atol=1e-12)
