"""nn_maxpool_layer: the course's protocol, a naive oracle with ties, torch, state, errors."""

import numpy as np
import pytest

import course
import naive
from nnlayers import nn_maxpool_layer

# (input shape, pool, stride): non-overlapping, overlapping, stride > pool, trailing rows
# and columns dropped, rectangular pools, pool equal to the input.
CASES = [
    ((8, 3, 32, 32), 2, 2),
    ((2, 3, 9, 11), 2, 2),
    ((2, 2, 9, 10), 3, 2),
    ((1, 2, 7, 7), 3, 1),
    ((2, 2, 8, 9), 2, 1),
    ((2, 1, 11, 8), 2, 3),
    ((2, 2, 10, 9), (2, 3), (1, 2)),
    ((1, 1, 4, 5), (4, 5), 1),
]


@pytest.mark.parametrize("shape,pool,stride", CASES)
def test_matches_naive_loop_with_ties(shape, pool, stride, rng):
    x = rng.integers(0, 3, shape).astype(np.float64)  # many ties in every window
    layer = nn_maxpool_layer(pool_size=pool, stride=stride)
    y = layer.forward(x)
    dy = rng.normal(size=y.shape)
    y_ref, dx_ref = naive.maxpool_forward_backward(x, dy, pool, stride)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(layer.backprop(x, dy), dx_ref, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("shape,pool,stride", CASES)
def test_matches_torch_float64(shape, pool, stride, rng):
    torch = pytest.importorskip("torch")
    for x in (rng.normal(size=shape), rng.integers(0, 3, shape).astype(np.float64)):
        xt = torch.tensor(x, requires_grad=True)
        yt = torch.nn.functional.max_pool2d(xt, pool, stride)
        dy = rng.normal(size=tuple(yt.shape))
        yt.backward(torch.tensor(dy))
        layer = nn_maxpool_layer(pool, stride)
        assert naive.relative_error(layer.forward(x), yt.detach().numpy()) < 1e-12
        assert naive.relative_error(layer.backprop(x, dy), xt.grad.numpy()) < 1e-12


@pytest.mark.parametrize("shape,pool,stride", CASES[:6])
def test_course_protocol(shape, pool, stride):
    x = np.arange(np.prod(shape)).reshape(shape) + 1  # the course's integer, tie-free input
    assert course.pool_accuracy(nn_maxpool_layer(pool_size=pool, stride=stride), x) > 99.9999


def test_a_tie_sends_the_gradient_once_to_the_first_maximum():
    x = np.array([[[[5.0, 5.0], [5.0, 1.0]]]])
    dx = nn_maxpool_layer(2, 2).backprop(x, np.array([[[[3.0]]]]))
    np.testing.assert_array_equal(dx, [[[[3.0, 0.0], [0.0, 0.0]]]])


def test_overlapping_windows_add_up():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 9.0  # the centre wins all four 2x2 windows of stride 1
    dx = nn_maxpool_layer(2, 1).backprop(x, np.full((1, 1, 2, 2), 1.5))
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 1, 1] = 6.0
    np.testing.assert_array_equal(dx, expected)


def test_trailing_rows_and_columns_are_dropped(rng):
    x = rng.normal(size=(1, 1, 5, 7))
    x[..., 4, :] = 100.0  # the last row fills no 2x2 window of stride 2
    layer = nn_maxpool_layer(2, 2)
    y = layer.forward(x)
    assert y.shape == (1, 1, 2, 3)
    assert y.max() < 100.0
    dx = layer.backprop(x, np.ones(y.shape))
    assert not dx[..., 4, :].any() and not dx[..., :, 6].any()


def test_the_course_name_and_argument_order(rng):
    from nnlayers import nn_max_pooling_layer

    x = rng.normal(size=(2, 2, 9, 9))
    expected = nn_maxpool_layer(pool_size=3, stride=2).forward(x)
    np.testing.assert_array_equal(nn_max_pooling_layer(2, 3).forward(x), expected)   # (stride, pool_size)
    np.testing.assert_array_equal(nn_max_pooling_layer(pool_size=3, stride=2).forward(x), expected)


def test_stride_defaults_to_pool_size(rng):
    x = rng.normal(size=(2, 2, 9, 9))
    assert nn_maxpool_layer(3).stride == 3
    np.testing.assert_array_equal(nn_maxpool_layer(3).forward(x), nn_maxpool_layer(3, 3).forward(x))


def test_inputs_not_mutated_and_no_state(rng):
    layer = nn_maxpool_layer(pool_size=3, stride=2)
    x1, x2 = rng.normal(size=(2, 2, 9, 9)), rng.normal(size=(2, 2, 9, 9))
    dy = rng.normal(size=(2, 2, 4, 4))
    x0, dy0 = x1.copy(), dy.copy()
    alone = layer.backprop(x1, dy)
    layer.forward(x2)
    np.testing.assert_array_equal(layer.backprop(x1, dy), alone)
    np.testing.assert_array_equal(x1, x0)
    np.testing.assert_array_equal(dy, dy0)


@pytest.mark.parametrize("stride", [2, 1])
def test_float32_in_float32_out(stride, rng):
    x = rng.normal(size=(2, 2, 8, 8)).astype(np.float32)
    layer = nn_maxpool_layer(2, stride)
    y = layer.forward(x)
    assert y.dtype == np.float32
    assert layer.backprop(x, np.ones(y.shape, np.float32)).dtype == np.float32


def test_nan_propagates():
    x = np.zeros((1, 1, 2, 2))
    x[0, 0, 1, 0] = np.nan
    assert np.isnan(nn_maxpool_layer(2, 2).forward(x)).all()


# ---- one test per raise -------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,error,message", [
    ({"pool_size": 0, "stride": 2}, ValueError, r"nn_maxpool_layer: pool_size must be >= 1, got 0"),
    ({"pool_size": -2, "stride": 2}, ValueError, r"nn_maxpool_layer: pool_size must be >= 1, got -2"),
    ({"pool_size": 2.5, "stride": 2}, TypeError, r"nn_maxpool_layer: pool_size must be an integer or a pair"),
    ({"pool_size": 2, "stride": 0}, ValueError, r"nn_maxpool_layer: stride must be >= 1, got 0"),
    ({"pool_size": 2, "stride": -1}, ValueError, r"nn_maxpool_layer: stride must be >= 1, got -1"),
    ({"pool_size": 2, "stride": 1.0}, TypeError, r"nn_maxpool_layer: stride must be an integer or a pair"),
])
def test_constructor_raises(kwargs, error, message):
    with pytest.raises(error, match=message):
        nn_maxpool_layer(**kwargs)


def test_forward_raises_pool_larger_than_input():
    with pytest.raises(ValueError, match=r"nn_maxpool_layer.forward: the 3x3 pool window spans \(3, 3\) "
                                         r"positions, larger than the padded input \(2, 5\)"):
        nn_maxpool_layer(3, 1).forward(np.zeros((1, 1, 2, 5)))


def test_forward_raises_x_not_3d_or_4d():
    with pytest.raises(ValueError, match=r"nn_maxpool_layer.forward: x must be 3-D or 4-D, got a 2-D array"):
        nn_maxpool_layer(2, 2).forward(np.zeros((4, 4)))


def test_forward_raises_x_not_numeric():
    with pytest.raises(TypeError, match=r"nn_maxpool_layer.forward: x must hold real numbers"):
        nn_maxpool_layer(2, 2).forward(np.full((1, 1, 4, 4), "a"))


def test_backprop_raises_dLdy_wrong_shape():
    with pytest.raises(ValueError, match=r"nn_maxpool_layer.backprop: dLdy must have shape "
                                         r"\(1, 2, 2, 2\) \(the shape of forward\(x\)\), got \(1, 2, 4, 4\)"):
        nn_maxpool_layer(2, 2).backprop(np.zeros((1, 2, 4, 4)), np.zeros((1, 2, 4, 4)))


def test_backprop_raises_dLdy_of_another_rank():
    with pytest.raises(ValueError, match=r"nn_maxpool_layer.backprop: dLdy must have shape \(1, 2, 2, 2\) "
                                         r"\(the shape of forward\(x\)\), got \(8,\)"):
        nn_maxpool_layer(2, 2).backprop(np.zeros((1, 2, 4, 4)), np.zeros(8))


def test_a_nan_takes_its_windows_gradient_like_torch():
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan   # one NaN in the first window
    dy = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    dx = nn_maxpool_layer(2, 2).backprop(x, dy)
    assert dx[0, 0, 0, 1] == 1.0 and dx[0, 0, :2, :2].sum() == 1.0
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2, 2).backward(torch.tensor(dy))
    np.testing.assert_array_equal(dx, xt.grad.numpy())
