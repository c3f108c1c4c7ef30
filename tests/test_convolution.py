"""nn_convolutional_layer: the course's protocol, a naive oracle, torch, state, dtypes, errors."""

import numpy as np
import pytest

import course
import naive
from nnlayers import nn_convolutional_layer

# (input (N, C, H, W), filter_width, filter_height, num_filters, stride, padding, dilation)
SHAPES = [
    ((8, 3, 32, 32), 3, 3, 8, 1, 0, 1),      # the course's shapes
    ((2, 3, 9, 14), 2, 5, 4, 1, 0, 1),       # non-square input and filter
    ((3, 4, 6, 6), 1, 1, 5, 1, 0, 1),        # 1x1 filters
    ((2, 2, 5, 7), 5, 7, 3, 1, 0, 1),        # filter equal to the input
    ((1, 3, 11, 10), 3, 3, 2, 2, 1, 1),      # batch 1, odd sizes, stride and padding
    ((2, 2, 13, 9), 3, 2, 3, (3, 2), (2, 1), (1, 2)),
]


def _layer(shape, fw, fh, nf, s, p, d, seed=0):
    return nn_convolutional_layer(fw, fh, shape[2], shape[1], nf, stride=s, padding=p,
                                  dilation=d, rng=seed)


@pytest.mark.parametrize("case", SHAPES)
def test_course_protocol(case, rng):
    layer = _layer(*case)
    accuracy = course.conv_accuracy(layer, rng.normal(size=case[0]))
    for name, value in accuracy.items():
        assert value > 99.9999, (name, value)


@pytest.mark.parametrize("case", SHAPES[1:])
def test_forward_and_backprop_match_naive_loop(case, rng):
    shape, *_, s, p, d = case
    layer = _layer(*case)
    x = rng.normal(size=shape)
    W, b = layer.get_weights()
    y = layer.forward(x)
    np.testing.assert_allclose(y, naive.conv_forward(x, W, s, p, d) + b, rtol=1e-12, atol=1e-12)
    dy = rng.normal(size=y.shape)
    dx, dW, db = layer.backprop(x, dy)
    dx_ref, dW_ref = naive.conv_backward(x, W, dy, s, p, d)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dW, dW_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, dy.sum(axis=(0, 2, 3)).reshape(1, -1, 1, 1), rtol=1e-12)
    assert (dx.shape, dW.shape, db.shape) == (x.shape, W.shape, b.shape)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", [0, 1])
@pytest.mark.parametrize("dilation", [1, 2])
def test_matches_torch_conv2d_float64(stride, padding, dilation, rng):
    torch = pytest.importorskip("torch")
    layer = nn_convolutional_layer(3, 2, 15, 3, 4, stride=stride, padding=padding,
                                   dilation=dilation, rng=1)
    W, b = layer.get_weights()
    x = rng.normal(size=(2, 3, 15, 11))
    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(W, requires_grad=True)
    bt = torch.tensor(b.reshape(-1), requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, Wt, bt, stride=stride, padding=padding, dilation=dilation)
    dy = rng.normal(size=tuple(yt.shape))
    yt.backward(torch.tensor(dy))
    y = layer.forward(x)
    dx, dW, db = layer.backprop(x, dy)
    assert naive.relative_error(y, yt.detach().numpy()) < 1e-12
    assert naive.relative_error(dx, xt.grad.numpy()) < 1e-12
    assert naive.relative_error(dW, Wt.grad.numpy()) < 1e-12
    assert naive.relative_error(db.reshape(-1), bt.grad.numpy()) < 1e-12


def test_initialisation_follows_the_course():
    layer = nn_convolutional_layer(3, 5, 32, 16, 64, std=2.0, rng=0)
    W, b = layer.get_weights()
    assert W.shape == (64, 16, 3, 5) and b.shape == (1, 64, 1, 1)
    np.testing.assert_array_equal(b, 0.01)
    expected_std = 2.0 / np.sqrt(16 * 3 * 5 / 2)
    assert abs(W.mean()) < 4 * expected_std / np.sqrt(W.size)
    assert W.std() == pytest.approx(expected_std, rel=0.05)


def test_rng_makes_weights_reproducible():
    a = nn_convolutional_layer(3, 3, 8, 2, 4, rng=7).get_weights()[0]
    b = nn_convolutional_layer(3, 3, 8, 2, 4, rng=np.random.default_rng(7)).get_weights()[0]
    c = nn_convolutional_layer(3, 3, 8, 2, 4, rng=8).get_weights()[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_inputs_and_upstream_not_mutated(rng):
    layer = nn_convolutional_layer(3, 3, 8, 2, 4, padding=1, rng=0)
    x = rng.normal(size=(2, 2, 8, 8))
    x0 = x.copy()
    y = layer.forward(x)
    dy = rng.normal(size=y.shape)
    dy0 = dy.copy()
    layer.backprop(x, dy)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dy, dy0)


def test_interleaved_calls_give_the_same_gradients(rng):
    layer = nn_convolutional_layer(3, 3, 8, 2, 4, rng=0)
    x1, x2 = rng.normal(size=(2, 2, 8, 8)), rng.normal(size=(3, 2, 8, 8))
    dy1 = rng.normal(size=(2, 4, 6, 6))
    alone = layer.backprop(x1, dy1)
    layer.forward(x1)
    layer.forward(x2)                                  # a second forward before backprop
    layer.backprop(x2, rng.normal(size=(3, 4, 6, 6)))  # and another backprop in between
    interleaved = layer.backprop(x1, dy1)
    for a, b in zip(alone, interleaved):
        np.testing.assert_array_equal(a, b)


def test_float32_in_float32_out(rng):
    layer = nn_convolutional_layer(3, 3, 8, 2, 4, rng=0)
    x = rng.normal(size=(2, 2, 8, 8)).astype(np.float32)
    y = layer.forward(x)
    grads = layer.backprop(x, np.ones(y.shape, np.float32))
    assert y.dtype == np.float32
    assert [g.dtype for g in grads] == [np.float32] * 3
    np.testing.assert_allclose(y, layer.forward(x.astype(np.float64)), rtol=1e-5, atol=1e-5)


def test_integer_input_promoted_to_float64():
    layer = nn_convolutional_layer(2, 2, 4, 1, 1, rng=0)
    y = layer.forward(np.arange(16).reshape(1, 1, 4, 4))
    assert y.dtype == np.float64


def test_set_weights_copies_and_update_weights_adds(rng):
    layer = nn_convolutional_layer(2, 2, 5, 3, 4, rng=0)
    W, b = rng.normal(size=(4, 3, 2, 2)), rng.normal(size=(1, 4, 1, 1))
    layer.set_weights(W, b)
    W_given = W.copy()
    layer.update_weights(np.ones_like(W), np.full_like(b, 2.0))
    np.testing.assert_array_equal(W, W_given)  # the caller's array is untouched
    np.testing.assert_array_equal(layer.get_weights()[0], W_given + 1)
    np.testing.assert_array_equal(layer.get_weights()[1], b + 2)


# ---- one test per raise -------------------------------------------------------------------

@pytest.mark.parametrize("args,kwargs,error,message", [
    ((0, 3, 32, 3, 8), {}, ValueError, r"nn_convolutional_layer: filter_width must be >= 1, got 0"),
    ((3, 2.5, 32, 3, 8), {}, TypeError, r"nn_convolutional_layer: filter_height must be an integer, got 2.5"),
    ((3, 3, -1, 3, 8), {}, ValueError, r"nn_convolutional_layer: input_size must be >= 1, got -1"),
    ((3, 3, 32, "3", 8), {}, TypeError, r"nn_convolutional_layer: in_ch_size must be an integer, got '3'"),
    ((3, 3, 32, 3, -8), {}, ValueError, r"nn_convolutional_layer: num_filters must be >= 1, got -8"),
    ((3, 3, 32, 3, 8, -1.0), {}, ValueError, r"nn_convolutional_layer: std must be >= 0, got -1.0"),
    ((3, 3, 32, 3, 8, "1"), {}, TypeError, r"nn_convolutional_layer: std must be a real number, got '1'"),
    ((3, 3, 32, 3, 8), {"stride": 0}, ValueError, r"nn_convolutional_layer: stride must be >= 1, got 0"),
    ((3, 3, 32, 3, 8), {"padding": -1}, ValueError, r"nn_convolutional_layer: padding must be >= 0, got -1"),
    ((3, 3, 32, 3, 8), {"dilation": 1.0}, TypeError, r"nn_convolutional_layer: dilation must be an integer"),
    ((3, 3, 32, 3, 8), {"rng": "seed"}, TypeError, r"nn_convolutional_layer: rng must be None, an integer seed"),
])
def test_constructor_raises(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        nn_convolutional_layer(*args, **kwargs)


@pytest.fixture
def layer():
    return nn_convolutional_layer(3, 3, 32, 4, 16, rng=0)


def test_forward_raises_channel_mismatch():
    layer = nn_convolutional_layer(3, 3, 32, 4, 16, rng=0)
    message = (r"nn_convolutional_layer.forward: x has 3 input channels, W expects 4 "
               r"\(x.shape = \(8, 3, 32, 32\), W.shape = \(16, 4, 3, 3\)\)")
    with pytest.raises(ValueError, match=message):
        layer.forward(np.zeros((8, 3, 32, 32)))


def test_forward_raises_x_not_4d(layer):
    with pytest.raises(ValueError, match=r"nn_convolutional_layer.forward: x must be 4-D, got a 3-D"):
        layer.forward(np.zeros((4, 32, 32)))


def test_forward_raises_x_not_numeric(layer):
    with pytest.raises(TypeError, match=r"nn_convolutional_layer.forward: x must hold real numbers"):
        layer.forward(np.full((1, 4, 5, 5), "x"))


def test_forward_raises_filter_larger_than_input(layer):
    with pytest.raises(ValueError, match=r"nn_convolutional_layer.forward: the 3x3 filter .* "
                                         r"larger than the padded input \(2, 9\)"):
        layer.forward(np.zeros((1, 4, 2, 9)))


def test_backprop_raises_dLdy_wrong_shape(layer):
    with pytest.raises(ValueError, match=r"nn_convolutional_layer.backprop: dLdy must have shape "
                                         r"\(2, 16, 6, 6\) \(the shape of forward\(x\)\), got \(2, 16, 8, 8\)"):
        layer.backprop(np.zeros((2, 4, 8, 8)), np.zeros((2, 16, 8, 8)))


def test_backprop_raises_dLdy_not_numeric(layer):
    with pytest.raises(TypeError, match=r"nn_convolutional_layer.backprop: dLdy must hold real numbers"):
        layer.backprop(np.zeros((2, 4, 8, 8)), np.full((2, 16, 6, 6), None))


def test_backprop_raises_x_channel_mismatch(layer):
    with pytest.raises(ValueError, match=r"nn_convolutional_layer.backprop: x has 2 input channels"):
        layer.backprop(np.zeros((2, 2, 8, 8)), np.zeros((2, 16, 6, 6)))


def test_set_weights_raises_W_wrong_shape(layer):
    with pytest.raises(ValueError, match=r"nn_convolutional_layer.set_weights: W must have shape "
                                         r"\(16, 4, 3, 3\) \(the shape of W\), got \(16, 4, 3\)"):
        layer.set_weights(np.zeros((16, 4, 3)), np.zeros((1, 16, 1, 1)))


def test_set_weights_raises_b_wrong_shape(layer):
    with pytest.raises(ValueError, match=r"nn_convolutional_layer.set_weights: b must have shape "
                                         r"\(1, 16, 1, 1\) \(the shape of b\), got \(15,\)"):
        layer.set_weights(np.zeros((16, 4, 3, 3)), np.zeros(15))   # (16,) is accepted


def test_set_weights_raises_W_not_numeric(layer):
    with pytest.raises(TypeError, match=r"nn_convolutional_layer.set_weights: W must hold real numbers"):
        layer.set_weights(np.full((16, 4, 3, 3), "w"), np.zeros((1, 16, 1, 1)))


def test_update_weights_raises_dW_wrong_shape(layer):
    with pytest.raises(ValueError, match=r"nn_convolutional_layer.update_weights: dW must have shape "
                                         r"\(16, 4, 3, 3\) \(the shape of W\), got \(1,\)"):
        layer.update_weights(np.zeros(1), np.zeros((1, 16, 1, 1)))


def test_update_weights_raises_db_wrong_shape(layer):
    with pytest.raises(ValueError, match=r"nn_convolutional_layer.update_weights: db must have shape "
                                         r"\(1, 16, 1, 1\)"):
        layer.update_weights(np.zeros((16, 4, 3, 3)), np.zeros((16, 1, 1)))
