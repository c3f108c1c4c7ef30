"""The fuzz findings of issue 11, one test each, and the fast paths against the shipped reference."""

import numpy as np
import pytest

import nnlayers as nl
from nnlayers import reference
from naive import relative_error


# -- NaN and inf follow torch -----------------------------------------------------------------
def test_maxpool_backprop_keeps_nan_and_inf_at_the_window_maximum():
    x = np.array([[[[1.0, 4.0], [2.0, 3.0]]]])
    for bad in (np.nan, np.inf, -np.inf):
        dx = nl.nn_maxpool_layer(2).backprop(x, np.array([[[[bad]]]]))
        expected = np.array([[[[0.0, bad], [0.0, 0.0]]]])
        np.testing.assert_array_equal(dx, expected)   # the other pixels stay exactly 0
    overlapping = nl.nn_maxpool_layer(2, 1).backprop(np.arange(9.0).reshape(1, 1, 3, 3),
                                                     np.array([[[[np.inf, 1.0], [1.0, 1.0]]]]))
    assert np.isnan(overlapping).sum() == 0 and np.isinf(overlapping).sum() == 1


def test_relu_backprop_at_nan_passes_dLdy_and_never_makes_nan_from_inf():
    x = np.array([[np.nan, -1.0, 0.0, 2.0]])
    dLdy = np.array([[5.0, np.inf, np.inf, 7.0]])
    np.testing.assert_array_equal(nl.nn_relu_layer().backprop(x, dLdy), [[5.0, 0.0, 0.0, 7.0]])
    assert np.isnan(nl.nn_relu_layer().forward(x)[0, 0])


def test_maxpool_nan_and_inf_semantics_equal_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.permutation(np.linspace(-1, 1, 2 * 3 * 6 * 6)).reshape(2, 3, 6, 6)
    x[0, 0, 1, 1] = np.nan
    dLdy = rng.normal(size=(2, 3, 3, 3))
    dLdy[1, 2, 0, 0], dLdy[0, 1, 2, 2] = np.inf, np.nan
    t = torch.tensor(x, requires_grad=True)
    y = torch.nn.functional.max_pool2d(t, 2)
    y.backward(torch.tensor(dLdy))
    layer = nl.nn_maxpool_layer(2)
    np.testing.assert_array_equal(layer.forward(x), y.detach().numpy())
    np.testing.assert_array_equal(layer.backprop(x, dLdy), t.grad.numpy())


def test_relu_backprop_equals_torch_with_nan_inputs_and_inf_gradients(rng):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(3, 5))
    x[0, 0], x[1, 1] = np.nan, 0.0
    dLdy = rng.normal(size=(3, 5))
    dLdy[2, :] = np.inf
    t = torch.tensor(x, requires_grad=True)
    torch.relu(t).backward(torch.tensor(dLdy))
    np.testing.assert_array_equal(nl.nn_relu_layer().backprop(x, dLdy), t.grad.numpy())


# -- no result is a view of an input -----------------------------------------------------------
def test_factor_one_resampling_returns_copies(rng):
    x = rng.normal(size=(2, 3, 4, 5))
    assert not np.shares_memory(nl.nn_downsample_layer(1).forward(x), x)
    assert not np.shares_memory(nl.nn_upsample_layer(1).backprop(x, x), x)
    assert not np.shares_memory(nl.nn_maxpool_layer(1).forward(x), x)


# -- numpy integers are integers ---------------------------------------------------------------
def test_numpy_integer_sizes_are_accepted_everywhere(rng):
    x = rng.normal(size=(2, 3, 8))
    for layer in (nl.nn_maxpool_layer(np.int64(2), stride=np.int32(2)),
                  nl.nn_meanpool_layer(np.int64(2))):
        np.testing.assert_array_equal(layer.forward(x), type(layer)(2, 2).forward(x))
    conv = nl.nn_convolutional_layer(np.int64(3), np.int64(3), np.int64(8), np.int64(3), np.int64(2),
                                     stride=np.int64(1), rng=np.int64(0))
    assert conv.forward(rng.normal(size=(1, 3, 8, 8))).shape == (1, 2, 6, 6)


# -- sizes that cannot be allocated ------------------------------------------------------------
@pytest.mark.parametrize("call,where", [
    (lambda: nl.nn_convolutional_layer(3, 3, 28, 1, 2**40), "nn_convolutional_layer"),
    (lambda: nl.nn_linear_layer(2**31, 2**31), "nn_linear_layer"),
    (lambda: nl.conv4d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)), padding=10**30), "conv4d"),
    (lambda: nl.nn_convolutional_layer(3, 3, 8, 1, 2, padding=10**15).forward(np.zeros((1, 1, 8, 8))),
     "nn_convolutional_layer.forward"),
    (lambda: nl.nn_upsample_layer(2**40).forward(np.zeros((1, 1, 3, 3))), "nn_upsample_layer.forward"),
    (lambda: nl.nn_transposed_conv_layer(3, 3, 1, 1, stride=2**40).forward(np.zeros((1, 1, 3, 3))),
     "nn_transposed_conv_layer.forward"),
])
def test_huge_sizes_say_how_many_bytes_they_would_need(call, where):
    with pytest.raises(ValueError, match=rf"^{where}: .* would need [\d,]+ bytes"):
        call()


# -- errors name the real class and the argument -----------------------------------------------
def test_errors_name_the_class_that_was_called():
    with pytest.raises(ValueError, match=r"^nn_max_pooling_layer.forward: "):
        nl.nn_max_pooling_layer(2, 3).forward(np.zeros((1, 1, 2, 2)))

    class my_linear(nl.nn_linear_layer):
        pass
    with pytest.raises(ValueError, match=r"^my_linear.forward: x has 4 features"):
        my_linear(3, 2).forward(np.zeros((1, 4)))
    with pytest.raises(TypeError, match=r"^my_linear: input_size must be an integer"):
        my_linear(2.0, 2)
    with pytest.raises(TypeError, match=r"^my_linear.set_weights: takes 2 parameters \(W, b\), got 1"):
        my_linear(3, 2).set_weights(np.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"^my_linear.set_weights: W must be an array of real numbers|"
                                        r"^my_linear.set_weights: W must hold real numbers"):
        my_linear(3, 2).set_weights(None, None)


# -- empty axes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("call,message", [
    (lambda: nl.nn_softmax_layer().forward(np.zeros((3, 0))), r"nn_softmax_layer.forward: x has an empty axis"),
    (lambda: nl.nn_upsample_layer(2).forward(np.zeros((1, 2, 0, 3))), r"nn_upsample_layer.forward: x has an empty axis"),
    (lambda: nl.nn_flatten_layer().forward(np.zeros((2, 0))), r"nn_flatten_layer.forward: x has an empty axis"),
    (lambda: nl.nn_relu_layer().forward(np.float64(3.0)), r"nn_relu_layer.forward: x must have a batch axis"),
    (lambda: nl.nn_relu_layer().output_shape("abc"), r"nn_relu_layer.output_shape: x_shape must be a tuple"),
])
def test_empty_axes_other_than_the_batch_raise(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_an_empty_batch_flattens_to_an_empty_matrix():
    assert nl.nn_flatten_layer().forward(np.zeros((0, 3, 4))).shape == (0, 12)
    assert nl.nn_softmax_layer().forward(np.zeros((0, 4))).shape == (0, 4)


# -- the fast paths against the plain definitions shipped in nnlayers.reference ------------------
@pytest.mark.parametrize("stride,padding,dilation", [((1, 1), (0, 0), (1, 1)), ((2, 3), (1, 2), (2, 1)),
                                                     ((3, 1), (0, 1), (1, 3))])
def test_conv4d_and_its_adjoints_equal_the_reference(stride, padding, dilation, rng):
    x, w = rng.normal(size=(3, 2, 11, 9)), rng.normal(size=(4, 2, 3, 2))
    y = nl.conv4d(x, w, stride, padding, dilation)
    assert relative_error(y, reference.conv_reference(x, w, stride, padding, dilation)) < 1e-13
    dy = rng.normal(size=y.shape)
    dx, dw = reference.conv_grads_reference(x, w, dy, stride, padding, dilation)
    assert relative_error(nl.conv4d_grad_input(dy, w, x.shape, stride, padding, dilation), dx) < 1e-13
    assert relative_error(nl.conv4d_grad_weight(x, dy, w.shape, stride, padding, dilation), dw) < 1e-13
    cols = nl.im2col(x, (3, 2), stride, padding, dilation)
    np.testing.assert_array_equal(cols, reference.im2col_reference(x, (3, 2), stride, padding, dilation))


@pytest.mark.parametrize("layer,mode", [(nl.nn_maxpool_layer, "max"), (nl.nn_meanpool_layer, "mean")])
@pytest.mark.parametrize("pool,stride", [((2, 2), (2, 2)), ((3, 2), (2, 1)), ((2, 3), (3, 3))])
def test_pooling_equals_the_reference(layer, mode, pool, stride, rng):
    x = rng.permutation(np.linspace(-1, 1, 2 * 3 * 9 * 8)).reshape(2, 3, 9, 8)
    x[0, 0, 0, 0] = np.nan
    pooling = layer(pool, stride)
    y = pooling.forward(x)
    np.testing.assert_allclose(y, reference.pool_reference(x, pool, stride, mode), rtol=1e-13)
    dy = rng.normal(size=y.shape)
    np.testing.assert_allclose(pooling.backprop(x, dy),
                               reference.pool_grad_reference(x, dy, pool, stride, mode), rtol=1e-13)
