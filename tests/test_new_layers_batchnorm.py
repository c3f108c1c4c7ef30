"""Batch norm's running-variance conventions: torch's (default) against torch, the courses' against
their own published numbers (HW2P1 bonus references, CS231n's printed test-time statistics).

The course data lives outside the repository (../shared/reference-data); those tests skip
when it is absent.  The inputs are rebuilt exactly as each course's grader or notebook cell
builds them (legacy ``np.random.seed`` streams).
"""

import json
from pathlib import Path

import numpy as np
import pytest

import nnlayers as nl
from naive import relative_error

COURSES = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "courses"
needs_course_data = pytest.mark.skipif(not COURSES.is_dir(), reason="no ../shared/reference-data")


def running_stats_by_hand(batches, momentum, unbiased, start_var):
    """The running-statistics update written out from its definition, for per-channel 2-D batches."""
    mean, var = 0.0, start_var
    for b in batches:
        m = b.shape[0]
        batch_var = ((b - b.mean(axis=0)) ** 2).sum(axis=0) / (m - 1 if unbiased else m)
        mean = (1 - momentum) * mean + momentum * b.mean(axis=0)
        var = (1 - momentum) * var + momentum * batch_var
    return mean, var


@pytest.mark.parametrize("convention, unbiased, start_var",
                         [("torch", True, 1.0), ("mytorch", False, 1.0), ("cs231n", False, 0.0)])
def test_running_statistics_follow_each_convention(convention, unbiased, start_var, rng):
    layer = nl.nn_batchnorm_layer(3, momentum=0.3, convention=convention)
    np.testing.assert_array_equal(layer.running_var, np.full(3, start_var))
    batches = [rng.normal(size=(6, 3)) * 2 + 1 for _ in range(4)]
    for b in batches:
        layer.forward(b)
    mean, var = running_stats_by_hand(batches, 0.3, unbiased, start_var)
    assert relative_error(layer.running_mean, mean) < 1e-14
    assert relative_error(layer.running_var, var) < 1e-14
    assert f"convention={convention!r}" in repr(layer)


def test_torch_convention_is_the_default_and_matches_torch(rng):
    torch = pytest.importorskip("torch")
    assert nl.nn_batchnorm_layer(4).convention == "torch"
    layer = nl.nn_batchnorm_layer(4, momentum=0.2, convention="torch")
    bn = torch.nn.BatchNorm2d(4, momentum=0.2).double()
    for _ in range(3):
        x = rng.normal(size=(3, 4, 5, 2)) * 3
        layer.forward(x)
        bn(torch.tensor(x))
    assert relative_error(layer.running_var, bn.running_var.numpy()) < 1e-12
    x = rng.normal(size=(3, 4, 5, 2))
    y = layer.eval().forward(x)
    assert relative_error(y, bn.eval()(torch.tensor(x)).detach().numpy()) < 1e-12


def test_training_outputs_and_gradients_do_not_depend_on_the_convention(rng):
    x, dy = rng.normal(size=(4, 3, 5, 5)), rng.normal(size=(4, 3, 5, 5))
    results = [nl.nn_batchnorm_layer(3, convention=c) for c in ("torch", "mytorch", "cs231n")]
    outputs = [(layer.forward(x), *layer.backprop(x, dy)) for layer in results]
    for other in outputs[1:]:
        for a, b in zip(outputs[0], other):
            np.testing.assert_array_equal(a, b)


def test_replay_repeats_forward_without_updating_the_running_estimates(rng):
    layer = nl.nn_batchnorm_layer(3, convention="mytorch")
    x = rng.normal(size=(5, 3))
    y = layer.forward(x)
    stats = layer.running_mean.copy(), layer.running_var.copy()
    np.testing.assert_array_equal(layer.replay(x), y)
    np.testing.assert_array_equal(layer.running_mean, stats[0])
    np.testing.assert_array_equal(layer.running_var, stats[1])


@needs_course_data
def test_mytorch_convention_passes_the_hw2p1_bonus_batchnorm2d_references():
    ref = np.load(COURSES / "hw2p1_bonus" / "sol_bn2d_handout.npz", allow_pickle=False)
    np.random.seed(11785)                      # the bonus grader's draws, in its order
    x = np.random.random((5, 3, 4, 4))
    dy = np.random.random((5, 3, 4, 4))
    alpha = 0.4                                # MyTorch's alpha is 1 - momentum
    layer = nl.nn_batchnorm_layer(3, eps=1e-8, momentum=1 - alpha, convention="mytorch")
    assert relative_error(layer.forward(x), ref["fw_train"]) < 1e-12
    assert relative_error(layer.running_mean, ref["running_M"].ravel()) < 1e-12
    assert relative_error(layer.running_var, ref["running_V"].ravel()) < 1e-12
    dx, dgamma, dbeta = layer.backprop(x, dy)
    assert relative_error(dx, ref["bw"]) < 1e-12
    assert relative_error(dgamma, ref["dLdBW"].ravel()) < 1e-12
    assert relative_error(dbeta, ref["dLdBb"].ravel()) < 1e-12
    assert relative_error(layer.eval().forward(x), ref["fw_eval"]) < 1e-12


def cs231n_test_time_output(spatial, convention):
    """CS231n's (spatial) batch norm test-time cell, with the kit's layer in place of theirs."""
    np.random.seed(231)
    if spatial:
        def batch():
            return 2.3 * np.random.randn(10, 4, 11, 12) + 13
        channels, axes = 4, (0, 2, 3)
    else:
        w1, w2 = np.random.randn(50, 60), np.random.randn(60, 3)

        def batch():
            return np.maximum(0, np.random.randn(200, 50).dot(w1)).dot(w2)
        channels, axes = 3, (0,)
    layer = nl.nn_batchnorm_layer(channels, eps=1e-5, momentum=0.1, convention=convention)
    for _ in range(50):
        layer.forward(batch())
    out = layer.eval().forward(batch())
    return out.mean(axis=axes), out.std(axis=axes)


@needs_course_data
@pytest.mark.parametrize("spatial, key", [(False, "batchnorm_test"), (True, "spatial_batchnorm_test")])
def test_cs231n_convention_reproduces_the_printed_test_time_statistics(spatial, key):
    printed = json.loads((COURSES / "cs231n" / "expected.json").read_text())[key]
    means, stds = cs231n_test_time_output(spatial, "cs231n")
    # printed with 8 decimals: agreement to the last printed digit
    np.testing.assert_allclose(means, printed["means"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(stds, printed["stds"], rtol=0, atol=1e-8)
    # and torch's convention is measurably off, which is why the choice exists
    _, torch_stds = cs231n_test_time_output(spatial, "torch")
    assert np.abs(torch_stds - printed["stds"]).max() > 1e-4


@pytest.mark.parametrize("convention, error, pattern", [
    (None, TypeError, r"nn_batchnorm_layer: convention must be a string, got None"),
    ("biased", ValueError,
     r"nn_batchnorm_layer: convention must be one of \['cs231n', 'mytorch', 'torch'\], got 'biased'"),
])
def test_convention_errors(convention, error, pattern):
    with pytest.raises(error, match=pattern):
        nl.nn_batchnorm_layer(3, convention=convention)
