"""The common tests every registered layer must pass (the table is ``layer_table.py``)."""

import json

import numpy as np
import pytest

import nnlayers as nl
from layer_table import LAYERS, attribute, layer_names_in_the_kit, make_input
from naive import relative_error

NAMES = sorted(LAYERS)


def build(name, rng, seed=0, dtype=np.float64):
    make, x_shape, kind, _ = LAYERS[name]
    layer = make(seed)
    x = make_input(x_shape, kind, rng).astype(dtype)
    y_shape = layer.output_shape(x.shape)
    dLdy = rng.normal(size=y_shape).astype(dtype)
    return layer, x, dLdy


def as_tuple(result):
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def run(layer, x, dLdy):
    """forward, then every gradient, as one tuple of arrays."""
    return (layer.forward(x),) + as_tuple(layer.backprop(x, dLdy))


def test_every_layer_of_the_kit_is_registered():
    assert layer_names_in_the_kit() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_contract_attributes_and_output_shape(name, rng):
    layer, x, dLdy = build(name, rng)
    assert isinstance(layer.param_names, tuple) and isinstance(layer.buffer_names, tuple)
    params = layer.get_weights()
    assert len(params) == len(layer.param_names)
    for param_name, p in zip(layer.param_names, params):
        assert attribute(layer, param_name) is p
    for buffer_name in layer.buffer_names:
        assert isinstance(attribute(layer, buffer_name), np.ndarray)
    assert layer.forward(x).shape == layer.output_shape(x.shape)
    grads = as_tuple(layer.backprop(x, dLdy))
    assert [g.shape for g in grads] == [x.shape] + [p.shape for p in params]
    config = layer.config()
    assert json.loads(json.dumps(config)) is not None   # plain data
    if name == "nn_residual_block":   # a container: its repr lists the inner layers' reprs
        inner = ", ".join(repr(inner) for inner in layer.body)
        assert repr(layer) == f"{name}(body=[{inner}], shortcut=None)"
    else:
        assert repr(layer) == f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in config.items()) + ")"


@pytest.mark.parametrize("name", NAMES)
def test_no_mutation_and_no_result_is_a_view_of_an_input(name, rng):
    layer, x, dLdy = build(name, rng)
    params = [p.copy() for p in layer.get_weights()]
    x_copy, dLdy_copy = x.copy(), dLdy.copy()
    results = run(layer, x, dLdy)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dLdy, dLdy_copy)
    for before, after in zip(params, layer.get_weights()):
        np.testing.assert_array_equal(before, after)
    for result in results:
        for given in [x, dLdy] + list(layer.get_weights()):
            assert not np.shares_memory(result, given)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(name, dtype, rng):
    layer, x, dLdy = build(name, rng, dtype=dtype)
    for result in run(layer, x, dLdy):
        assert result.dtype == dtype


@pytest.mark.parametrize("name", NAMES)
def test_interleaved_calls_give_the_same_results(name, rng):
    layer, x1, dLdy1 = build(name, rng)
    _, x2, dLdy2 = build(name, rng)
    alone = run(layer, x1, dLdy1)
    layer.forward(x2)
    forward1 = layer.forward(x1)
    layer.backprop(x2, dLdy2)
    layer.forward(x2)
    again = (forward1,) + as_tuple(layer.backprop(x1, dLdy1))
    for a, b in zip(alone, again):
        if name in ("nn_batchnorm_layer", "nn_residual_block"):   # forward moved the running statistics only
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
        else:
            np.testing.assert_array_equal(a, b)


def _layouts(x):
    """The same values as x in other memory layouts."""
    doubled = np.repeat(x, 2, axis=-1)
    readonly = x.copy()
    readonly.flags.writeable = False
    return {"non-contiguous": doubled[..., ::2], "fortran": np.asfortranarray(x),
            "negative strides": np.flip(np.flip(x, 0).copy(), 0), "read-only": readonly}


@pytest.mark.parametrize("name", NAMES)
def test_memory_layouts_give_the_same_results(name, rng):
    layer, x, dLdy = build(name, rng)
    expected = run(layer, x, dLdy)
    for layout, x_other in _layouts(x).items():
        dLdy_other = _layouts(dLdy)[layout]
        for got, want in zip(run(layer, x_other, dLdy_other), expected):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15, err_msg=layout)


@pytest.mark.parametrize("name", NAMES)
def test_an_empty_batch_gives_empty_results_or_a_clear_error(name, rng):
    layer, x, _ = build(name, rng)
    empty = x[:0]
    if name in ("nn_batchnorm_layer", "nn_residual_block"):   # training needs values to estimate statistics
        inner = r"nn_residual_block.forward: body\[2\] \(nn_batchnorm_layer\): " if name == "nn_residual_block" else ""
        with pytest.raises(ValueError, match=rf"^{inner}nn_batchnorm_layer.forward: training needs"):
            layer.forward(empty)
        layer.eval()
    if name == "nn_dropout_layer":   # its fixed mask has the full batch's shape
        with pytest.raises(ValueError, match=r"^nn_dropout_layer.forward: the mask must have shape"):
            layer.forward(empty)
        layer.fix_mask(None)
    y_shape = layer.output_shape(empty.shape)
    assert y_shape[0] == 0
    assert layer.forward(empty).shape == y_shape
    grads = as_tuple(layer.backprop(empty, np.zeros(y_shape)))
    assert grads[0].shape == empty.shape
    for g, p in zip(grads[1:], layer.get_weights()):
        np.testing.assert_array_equal(g, np.zeros(p.shape))


@pytest.mark.parametrize("name", [n for n in NAMES
                                  if LAYERS[n][0](0).param_names or LAYERS[n][0](0).buffer_names])
def test_save_and_load_into_a_fresh_model(name, rng, tmp_path):
    layer, x, _ = build(name, rng, seed=1)
    layer.forward(x)   # moves batch norm's running statistics away from their start
    for p in layer.get_weights():
        p += rng.normal(size=p.shape)
    model = nl.nn_sequential_model([layer], nl.nn_cross_entropy_loss())
    model.save(tmp_path / "model.npz")
    fresh = nl.nn_sequential_model([LAYERS[name][0](2)], nl.nn_cross_entropy_loss())
    fresh.load(tmp_path / "model.npz")
    loaded = fresh.layers[0]
    for array_name in layer.param_names + layer.buffer_names:
        np.testing.assert_array_equal(attribute(loaded, array_name), attribute(layer, array_name))
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh.forward(x), model.forward(x))


@pytest.mark.parametrize("name", NAMES)
def test_gradients_agree_with_central_differences(name, rng):
    """The directional derivative along a random direction, for x and every parameter."""
    layer, x, dLdy = build(name, rng)
    grads = as_tuple(layer.backprop(x, dLdy))
    targets = [x] + list(layer.get_weights())
    h = 1e-6
    for target, grad in zip(targets, grads):
        direction = rng.normal(size=target.shape)
        original = target.copy()
        target += h * direction
        up = np.sum(layer.forward(x) * dLdy)
        target[...] = original - h * direction
        down = np.sum(layer.forward(x) * dLdy)
        target[...] = original
        numeric = (up - down) / (2 * h)
        assert abs(numeric - np.sum(grad * direction)) <= 1e-6 * max(1.0, abs(numeric))


@pytest.mark.parametrize("name", [n for n in NAMES if LAYERS[n][3] is not None])
def test_torch_parity(name, rng):
    torch = pytest.importorskip("torch")
    layer, x, dLdy = build(name, rng)
    twin = LAYERS[name][3]
    tensors = [torch.tensor(a, requires_grad=True) for a in (x,) + tuple(layer.get_weights())]
    y = twin(torch, *tensors)
    y.backward(torch.tensor(dLdy))
    mine = run(layer, x, dLdy)
    assert relative_error(mine[0], y.detach().numpy()) < 1e-12
    for got, t in zip(mine[1:], tensors):
        assert relative_error(got, t.grad.numpy()) < 1e-12
