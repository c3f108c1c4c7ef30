"""train_step's fused path (nnlayers._train_fast) against the layers' own forward/backprop chain
and against torch: the same loss, logits and gradients, for every shape of network it takes."""

import re

import numpy as np
import pytest

import nnlayers as nl
from naive import relative_error
from nnlayers import _train_fast
from nnlayers._train_fast import fused_plan


def conv(c, f, k=3, rng=0, **kw):
    return nl.nn_convolutional_layer(k, k, 8, c, f, rng=rng, **kw)


# name: (layers, input shape (N, C, H, W)); every one of them takes the fused path
NETWORKS = {
    "courses' CNN, small": (lambda: [
        conv(2, 4, padding=1), nl.nn_relu_layer(), nl.nn_maxpool_layer(2, 2),
        conv(4, 6, padding=1, rng=1), nl.nn_relu_layer(), nl.nn_maxpool_layer(2, 2),
        nl.nn_flatten_layer(), nl.nn_linear_layer(6 * 2 * 2, 5, rng=2)], (7, 2, 9, 9)),
    "no relu, no pool, stride and dilation": (lambda: [
        conv(1, 3, stride=2, padding=(1, 0), rng=3), conv(3, 4, k=2, dilation=2, rng=4),
        nl.nn_flatten_layer(), nl.nn_linear_layer(4 * 3 * 1, 3, rng=5)], (3, 1, 9, 8)),
    "overlapping pool, pool without relu, two linears": (lambda: [
        conv(1, 3, padding=1, rng=6), nl.nn_relu_layer(), nl.nn_maxpool_layer(3, 2),
        conv(3, 2, k=2, rng=7), nl.nn_max_pooling_layer(stride=1, pool_size=2),
        nl.nn_flatten_layer(), nl.nn_linear_layer(2 * 1 * 1, 4, rng=8), nl.nn_relu_layer(),
        nl.nn_linear_layer(4, 3, rng=9)], (4, 1, 8, 8)),
}


def chain_step(layers, loss, x, labels):
    """Loss, logits and gradients through each layer's forward and backprop, written here."""
    inputs = [x]
    for layer in layers:
        inputs.append(layer.forward(inputs[-1]))
    grads, upstream = [], loss.backprop(inputs[-1], labels)
    for layer, a in zip(reversed(layers), reversed(inputs[:-1])):
        result = layer.backprop(a, upstream)
        if isinstance(result, tuple):
            upstream = result[0]
            grads.insert(0, result[1:])
        else:
            upstream = result
    return float(loss.forward(inputs[-1], labels)), inputs[-1], grads


def network(name, dtype=np.float64):
    make, shape = NETWORKS[name]
    model = nl.nn_sequential_model(make(), nl.nn_cross_entropy_loss()).astype(dtype)
    rng = np.random.default_rng(sum(map(ord, name)))
    x = rng.standard_normal(shape).astype(dtype)
    k = model.layers[-1].W.shape[0]
    return model, x, rng.integers(0, k, shape[0])


def assert_same_step(step, loss, logits, grads, tol):
    assert step.loss == pytest.approx(loss, rel=tol)
    assert relative_error(step.logits, logits) < tol
    assert [len(g) for g in step.grads] == [len(g) for g in grads]
    for got, want in zip(step.grads, grads):
        for a, b in zip(got, want):
            assert a.shape == b.shape and a.dtype == b.dtype
            assert relative_error(a, b) < tol


@pytest.mark.parametrize("name", NETWORKS)
def test_fused_step_equals_the_layer_chain(name):
    model, x, labels = network(name)
    assert fused_plan(model, x, labels) is not None     # the fused path is what is tested
    assert_same_step(model.train_step(x, labels), *chain_step(model.layers, model.loss, x, labels),
                     tol=1e-12)


@pytest.mark.parametrize("name", NETWORKS)
def test_fused_step_float32_stays_float32(name):
    model, x, labels = network(name, np.float32)
    reference = chain_step(model.layers, model.loss, x.astype(np.float64), labels)
    step = model.train_step(x, labels)
    assert step.logits.dtype == np.float32
    for got, want in zip(step.grads, reference[2]):
        for a, b in zip(got, want):
            assert a.dtype == np.float32
            assert relative_error(a, b) < 1e-4


def test_fused_step_under_a_memory_bound_agrees():
    model, x, labels = network("courses' CNN, small")
    free = model.train_step(x, labels)
    with nl.memory_limit(2000):           # a few images' scratch: several chunks
        assert len(fused_plan(model, x, labels)._chunks(_train_fast.STEP_CHUNK_VALUES)) > 1
        bounded = model.train_step(x, labels)
    assert_same_step(bounded, free.loss, free.logits, free.grads, tol=1e-12)


def test_ties_in_pooling_windows_route_like_the_layers():
    """Integer-valued inputs and weights: many equal maxima, and windows whose maximum is 0."""
    model, x, labels = network("courses' CNN, small")
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 3, x.shape).astype(np.float64)
    for layer in model.parameter_layers():
        W, b = layer.get_weights()
        layer.set_weights(rng.integers(-1, 2, W.shape), np.zeros(b.shape))
    assert_same_step(model.train_step(x, labels), *chain_step(model.layers, model.loss, x, labels),
                     tol=1e-12)


def test_fused_step_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    model, x, labels = network("courses' CNN, small")
    step = model.train_step(x, labels)
    params = [torch.tensor(p, requires_grad=True) for p in model.parameters()]
    h = torch.tensor(x)
    for W, b in (params[0:2], params[2:4]):
        h = F.max_pool2d(torch.relu(F.conv2d(h, W, b.reshape(-1), padding=1)), 2)
    logits = F.linear(h.flatten(1), params[4], params[5].reshape(-1))
    loss = F.cross_entropy(logits, torch.tensor(labels))
    loss.backward()
    assert step.loss == pytest.approx(loss.item(), rel=1e-12)
    assert relative_error(step.logits, logits.detach().numpy()) < 1e-12
    for got, p in zip([g for layer in step.grads for g in layer], params):
        assert relative_error(got, p.grad.numpy()) < 1e-12


def test_predict_uses_the_same_numbers():
    model, x, _ = network("overlapping pool, pool without relu, two linears")
    assert fused_plan(model, x) is not None
    np.testing.assert_allclose(model.predict_logits(x, batch_size=3), model.forward(x),
                               rtol=1e-12, atol=1e-15)


def test_the_layers_keep_no_state():
    model, x, labels = network("courses' CNN, small")
    before = [dict(vars(layer)) for layer in model.layers]
    first = model.train_step(x, labels)
    model.train_step(x[:2], labels[:2])
    again = model.train_step(x, labels)
    assert [set(vars(layer)) for layer in model.layers] == [set(b) for b in before]
    assert first.loss == again.loss
    for a, b in zip(first.grads, again.grads):
        for ga, gb in zip(a, b):
            np.testing.assert_array_equal(ga, gb)


@pytest.mark.parametrize("layers", [
    [conv(1, 2), nl.nn_tanh_layer(), nl.nn_flatten_layer(), nl.nn_linear_layer(72, 3)],
    [conv(1, 2), nl.nn_flatten_layer(), nl.nn_linear_layer(72, 3), nl.nn_relu_layer()],
    [nl.nn_flatten_layer(), nl.nn_linear_layer(64, 3)],
])
def test_other_networks_take_the_layer_by_layer_path(layers, rng):
    model = nl.nn_sequential_model(layers, nl.nn_cross_entropy_loss())
    x, labels = rng.standard_normal((2, 1, 8, 8)), np.array([0, 2])
    assert fused_plan(model, x, labels) is None
    assert_same_step(model.train_step(x, labels), *chain_step(layers, model.loss, x, labels),
                     tol=1e-12)


@pytest.mark.parametrize("x_shape, labels, message", [
    ((2, 3, 9, 9), [0, 1], "nn_convolutional_layer.forward: x has 3 input channels"),
    ((2, 2, 12, 12), [0, 1], "nn_linear_layer.forward: x has 54 features"),
    ((2, 2, 9, 9), [0, 1, 2], "nn_cross_entropy_loss.forward: labels must have shape (2,)"),
    ((2, 2, 9, 9), [0, 5], "nn_cross_entropy_loss.forward: labels[1] = 5 is out of range"),
])
def test_bad_inputs_get_the_layers_own_messages(x_shape, labels, message):
    model, _, _ = network("courses' CNN, small")
    with pytest.raises(ValueError, match=re.escape(message)):
        model.train_step(np.zeros(x_shape), np.array(labels))
