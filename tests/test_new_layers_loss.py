"""Cross-entropy with one-hot and soft targets (N, K) beside integer labels (N,)."""

import numpy as np
import pytest

import nnlayers as nl
from naive import relative_error

Z = np.zeros


def soft_targets(rng, n, k):
    t = rng.random((n, k)) ** 3
    return t / t.sum(axis=1, keepdims=True)


def test_soft_targets_against_the_definition(rng):
    logits, t = rng.normal(size=(5, 4)) * 3, soft_targets(rng, 5, 4)
    loss = nl.nn_cross_entropy_loss()
    # the definition, one row and one class at a time
    expected, grad = 0.0, np.zeros((5, 4))
    for n in range(5):
        z = np.exp(logits[n] - logits[n].max())
        p = z / z.sum()
        for k in range(4):
            expected -= t[n, k] * np.log(p[k]) / 5
            grad[n, k] = (p[k] - t[n, k]) / 5
    assert abs(loss.forward(logits, t) - expected) < 1e-14
    assert relative_error(loss.backprop(logits, t), grad) < 1e-14


def test_one_hot_targets_equal_integer_labels(rng):
    logits, labels = rng.normal(size=(6, 5)), rng.integers(0, 5, 6)
    loss = nl.nn_cross_entropy_loss()
    for one_hot in (np.eye(5)[labels], np.eye(5, dtype=bool)[labels], np.eye(5, dtype=int)[labels]):
        assert loss.forward(logits, one_hot) == pytest.approx(loss.forward(logits, labels), rel=1e-15)
        assert relative_error(loss.backprop(logits, one_hot), loss.backprop(logits, labels)) < 1e-15


@pytest.mark.parametrize("kind", ["labels", "one-hot", "soft"])
def test_matches_torch_cross_entropy(kind, rng):
    torch = pytest.importorskip("torch")
    logits = rng.normal(size=(7, 5)) * 4
    labels = rng.integers(0, 5, 7)
    target = {"labels": labels, "one-hot": np.eye(5)[labels], "soft": soft_targets(rng, 7, 5)}[kind]
    lt = torch.tensor(logits, requires_grad=True)
    tt = torch.tensor(target)
    loss_t = torch.nn.functional.cross_entropy(lt, tt)        # class probabilities for (N, K)
    loss_t.backward()
    loss = nl.nn_cross_entropy_loss()
    assert abs(loss.forward(logits, target) - loss_t.item()) <= 1e-12 * abs(loss_t.item())
    assert relative_error(loss.backprop(logits, target), lt.grad.numpy()) < 1e-12


def test_float32_logits_keep_float32_with_float64_targets(rng):
    logits = rng.normal(size=(3, 4)).astype(np.float32)
    loss = nl.nn_cross_entropy_loss()
    assert loss.forward(logits, soft_targets(rng, 3, 4)).dtype == np.float32
    assert loss.backprop(logits, soft_targets(rng, 3, 4)).dtype == np.float32


def test_soft_targets_are_finite_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0]])
    loss = nl.nn_cross_entropy_loss()
    target = np.array([[0.5, 0.25, 0.25]])
    assert np.isfinite(loss.forward(logits, target))
    assert np.isfinite(loss.backprop(logits, target)).all()


CE = nl.nn_cross_entropy_loss()
ERRORS = {
    "labels 3-D": (lambda: CE.forward(Z((2, 3)), Z((2, 3, 1))), ValueError,
                   r"nn_cross_entropy_loss.forward: labels must be 1-D or 2-D, got a 3-D array"),
    "targets shape": (lambda: CE.forward(Z((2, 3)), np.eye(2)), ValueError,
                      r"nn_cross_entropy_loss.forward: labels must have shape \(2, 3\), the shape of "
                      r"logits, got \(2, 2\)"),
    "targets negative": (lambda: CE.backprop(Z((2, 2)), np.array([[1.5, -0.5], [0, 1]])), ValueError,
                         r"nn_cross_entropy_loss.backprop: labels\[0, 1\] = -0.5 is not a probability"),
    "targets nan": (lambda: CE.forward(Z((1, 2)), np.array([[np.nan, 1.0]])), ValueError,
                    r"nn_cross_entropy_loss.forward: labels\[0, 0\] = nan is not a probability"),
    "targets row sum": (lambda: CE.forward(Z((2, 2)), np.array([[1.0, 0.0], [0.5, 0.4]])), ValueError,
                        r"nn_cross_entropy_loss.forward: row 1 of labels sums to 0.9; targets \(N, K\) "
                        r"must be one-hot or soft, each row summing to 1"),
    "targets strings": (lambda: CE.forward(Z((1, 2)), np.array([["a", "b"]])), TypeError,
                        r"nn_cross_entropy_loss.forward: labels must hold real numbers"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_cross_entropy_errors(case):
    call, error, pattern = ERRORS[case]
    with pytest.raises(error, match=pattern):
        call()
