"""Dropout: mask statistics, eval identity, torch parity (eval, and training at torch's own
mask), the state rule (backprop uses the last training forward's mask), HW2P1's bonus
Dropout2d built from the kit, and one test per raise."""

import numpy as np
import pytest

import nnlayers as nl
from naive import relative_error

Z = np.zeros


def binomial_bound(n, q):
    """Five standard deviations of the kept fraction of n draws with keep probability q."""
    return 5 * np.sqrt(q * (1 - q) / n)


def test_element_mask_statistics_and_scaling():
    p, x = 0.3, np.ones((50, 4, 20))
    layer = nl.nn_dropout_layer(p, rng=0)
    y = layer.forward(x)
    kept = y != 0
    assert abs(kept.mean() - (1 - p)) < binomial_bound(x.size, 1 - p)
    np.testing.assert_array_equal(y[kept], 1 / (1 - p))     # inverted dropout: E[y] = x
    np.testing.assert_array_equal(layer.mask, kept)


@pytest.mark.parametrize("shape", [(40, 30, 7), (40, 30, 3, 4)])
def test_channel_masks_drop_whole_maps(shape):
    p = 0.4
    layer = nl.nn_dropout_layer(p, channels=True, rng=1)
    y = layer.forward(np.ones(shape))
    per_map = y.reshape(shape[0], shape[1], -1)
    assert (per_map == per_map[:, :, :1]).all()               # constant over each map
    kept = per_map[:, :, 0] != 0
    assert abs(kept.mean() - (1 - p)) < binomial_bound(kept.size, 1 - p)
    assert layer.mask.shape == shape[:2] + (1,) * (len(shape) - 2)


def test_each_training_forward_draws_and_seeds_reproduce():
    x = np.ones((8, 16))
    a, b = nl.nn_dropout_layer(0.5, rng=7), nl.nn_dropout_layer(0.5, rng=7)
    first = a.forward(x)
    np.testing.assert_array_equal(first, b.forward(x))         # same seed, same masks
    assert not np.array_equal(first, a.forward(x))            # a new mask per forward


def test_backprop_uses_the_mask_of_the_last_training_forward(rng):
    layer = nl.nn_dropout_layer(0.25, rng=3)
    x, dy = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    y = layer.forward(x)
    kept = y != 0
    np.testing.assert_allclose(layer.backprop(x, dy), dy * kept / 0.75, rtol=1e-15)
    np.testing.assert_array_equal(layer.replay(x), y)
    np.testing.assert_array_equal(layer.mask, kept)            # replay drew nothing


def test_eval_is_the_identity_and_returns_copies(rng):
    layer = nl.nn_dropout_layer(0.5, channels=True, rng=0).eval()
    x, dy = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 4, 5))
    y, dx = layer.forward(x), layer.backprop(x, dy)
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(dx, dy)
    assert not np.shares_memory(y, x) and not np.shares_memory(dx, dy)
    assert layer.mask is None                                  # eval draws nothing
    assert layer.train().training


def test_float32_stays_float32_and_inputs_are_not_changed(rng):
    layer = nl.nn_dropout_layer(0.5, rng=0)
    x = rng.normal(size=(4, 6)).astype(np.float32)
    dy = rng.normal(size=(4, 6)).astype(np.float32)
    before = x.copy(), dy.copy()
    assert layer.forward(x).dtype == np.float32
    assert layer.backprop(x, dy).dtype == np.float32
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(dy, before[1])


@pytest.mark.parametrize("channels", [False, True])
def test_matches_torch_in_eval_and_in_training_at_torch_mask(channels, rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    p, shape = 0.35, (4, 5, 6, 3)
    drop = (lambda t: F.dropout2d(t, p, training=True)) if channels else (
        lambda t: F.dropout(t, p, training=True))
    x, dy = rng.normal(size=shape), rng.normal(size=shape)
    torch.manual_seed(5)
    torch_mask = (drop(torch.ones(shape, dtype=torch.float64)) != 0).numpy()
    torch.manual_seed(5)                                       # the same draw again, on x
    xt = torch.tensor(x, requires_grad=True)
    yt = drop(xt)
    yt.backward(torch.tensor(dy))
    mask = torch_mask[:, :, :1, :1] if channels else torch_mask
    layer = nl.nn_dropout_layer(p, channels=channels).fix_mask(mask)
    assert relative_error(layer.forward(x), yt.detach().numpy()) < 1e-12
    assert relative_error(layer.backprop(x, dy), xt.grad.numpy()) < 1e-12
    module = (torch.nn.Dropout2d if channels else torch.nn.Dropout)(p).eval()
    assert relative_error(layer.eval().forward(x), module(torch.tensor(x)).numpy()) == 0


def test_hw2p1_bonus_dropout2d_from_the_kit():
    """The bonus grader's draws (seed 11785: x, dLdy, then the mask as binomial(1, 1 - p)),
    against MyTorch's definition written out here: x * mask * 1/(1 - p)."""
    p = 0.4
    np.random.seed(11785)
    x, dy = np.random.random((5, 3, 4, 4)), np.random.random((5, 3, 4, 4))
    mask = np.random.binomial(1, 1 - p, size=(5, 3, 1, 1))
    layer = nl.nn_dropout_layer(p, channels=True).fix_mask(mask)
    np.testing.assert_allclose(layer.forward(x), x * mask * 1 / (1 - p), rtol=1e-15, atol=0)
    np.testing.assert_array_equal(layer.eval().forward(x), x)
    np.testing.assert_allclose(layer.train().backprop(x, dy), dy * mask * 1 / (1 - p),
                               rtol=1e-15, atol=0)


def test_fix_mask_none_draws_again():
    layer = nl.nn_dropout_layer(0.5, rng=0).fix_mask(np.ones((3, 4)))
    assert (layer.forward(np.ones((3, 4))) == 2).all()
    layer.fix_mask(None)
    assert (layer.forward(np.ones((300, 4))) == 0).any()


ERRORS = {
    "p string": (lambda: nl.nn_dropout_layer("0.5"), TypeError, r"nn_dropout_layer: p must be a real number, got '0.5'"),
    "p one": (lambda: nl.nn_dropout_layer(1.0), ValueError, r"nn_dropout_layer: p must be in \[0, 1\), got 1.0"),
    "p negative": (lambda: nl.nn_dropout_layer(-0.1), ValueError, r"nn_dropout_layer: p must be in \[0, 1\).*got -0.1"),
    "p nan": (lambda: nl.nn_dropout_layer(float("nan")), ValueError, r"nn_dropout_layer: p must be in \[0, 1\).*got nan"),
    "channels not bool": (lambda: nl.nn_dropout_layer(0.5, channels=1), TypeError,
                          r"nn_dropout_layer: channels must be True or False, got 1"),
    "rng": (lambda: nl.nn_dropout_layer(0.5, rng="seed"), TypeError, r"nn_dropout_layer: rng must be None"),
    "channel form 2-D": (lambda: nl.nn_dropout_layer(channels=True).forward(Z((2, 3))), ValueError,
                         r"nn_dropout_layer.forward: x must be 3-D or 4-D, got a 2-D array"),
    "x strings": (lambda: nl.nn_dropout_layer().forward(np.array(["a"])), TypeError,
                  r"nn_dropout_layer.forward: x must hold real numbers"),
    "backprop first": (lambda: nl.nn_dropout_layer().backprop(Z((2, 3)), Z((2, 3))), ValueError,
                       r"nn_dropout_layer.backprop: no mask yet; call forward in training mode first"),
    "replay first": (lambda: nl.nn_dropout_layer().replay(Z((2, 3))), ValueError,
                     r"nn_dropout_layer.replay: no mask yet"),
    "mask of another x": (lambda: nl.nn_dropout_layer().fix_mask(np.ones((2, 3))).forward(Z((3, 3))), ValueError,
                          r"nn_dropout_layer.forward: the mask must have shape \(3, 3\) \(the shape of x\), got \(2, 3\)"),
    "channel mask shape": (lambda: nl.nn_dropout_layer(channels=True).fix_mask(np.ones((2, 3, 4, 4))).forward(Z((2, 3, 4, 4))),
                           ValueError, r"nn_dropout_layer.forward: the mask must have shape \(2, 3, 1, 1\) "
                                       r"\(one per channel map of x\), got \(2, 3, 4, 4\)"),
    "dLdy shape": (lambda: nl.nn_dropout_layer().fix_mask(np.ones((2, 3))).backprop(Z((2, 3)), Z((3, 2))),
                   ValueError, r"nn_dropout_layer.backprop: dLdy must have shape \(2, 3\)"),
    "fix_mask values": (lambda: nl.nn_dropout_layer().fix_mask(np.array([[1, 0.5]])), ValueError,
                        r"nn_dropout_layer.fix_mask: mask must hold only 0 and 1 \(or bools\), got mask\[0, 1\] = 0.5"),
    "fix_mask strings": (lambda: nl.nn_dropout_layer().fix_mask(["a"]), TypeError,
                         r"nn_dropout_layer.fix_mask: mask must hold real numbers"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_dropout_errors(case):
    call, error, pattern = ERRORS[case]
    with pytest.raises(error, match=pattern):
        call()


def test_dropout_in_a_sequential_model_trains_on_its_mask_and_predicts_without_it(rng):
    def build(dropout):
        return nl.nn_sequential_model([nl.nn_linear_layer(6, 8, rng=0), nl.nn_relu_layer(), dropout,
                                       nl.nn_linear_layer(8, 3, rng=1)], nl.nn_cross_entropy_loss())
    x, labels = rng.normal(size=(5, 6)), rng.integers(0, 3, 5)
    drop = nl.nn_dropout_layer(0.5, rng=2)
    model = build(drop)
    step = model.train_step(x, labels)
    twin = build(nl.nn_dropout_layer(0.5).fix_mask(drop.mask))
    twin_step = twin.train_step(x, labels)
    assert step.loss == twin_step.loss
    for a, b in zip(step.grads, twin_step.grads):
        for g, h in zip(a, b):
            np.testing.assert_array_equal(g, h)
    model.eval()
    assert not drop.training
    no_dropout = nl.nn_sequential_model([model.layers[0], model.layers[1], model.layers[3]],
                                        nl.nn_cross_entropy_loss())
    np.testing.assert_array_equal(model.predict_logits(x), no_dropout.predict_logits(x))
