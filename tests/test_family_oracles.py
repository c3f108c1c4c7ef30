"""The layer family against naive loops and defining identities (no torch needed), and the
protocol every layer keeps: inputs untouched, float32 in float32 out, one gradient per array."""

import numpy as np
import pytest

import naive
import nnlayers as nl


def naive_upsample(x, k):
    out = np.zeros(x.shape[:2] + tuple(s * k - (k - 1) for s in x.shape[2:]))
    for index in np.ndindex(*x.shape):
        out[index[:2] + tuple(i * k for i in index[2:])] = x[index]
    return out


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 2, 4, 7), (1, 1, 1, 1)])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_upsample_and_downsample_against_loops(shape, k, rng):
    x = rng.normal(size=shape)
    up, down = nl.nn_upsample_layer(k), nl.nn_downsample_layer(k)
    y = up.forward(x)
    np.testing.assert_array_equal(y, naive_upsample(x, k))
    np.testing.assert_array_equal(up.backprop(x, y), x)        # backprop = the other's forward
    np.testing.assert_array_equal(down.forward(y), x)
    z = rng.normal(size=(2, 3, 7, 8) if len(shape) == 4 else (2, 3, 8))   # sizes not 1 mod k
    kept = down.forward(z)
    back = down.backprop(z, kept)
    assert back.shape == z.shape                               # odd sizes round-trip
    expected = np.zeros(z.shape)
    for index in np.ndindex(*kept.shape):
        position = index[:2] + tuple(i * k for i in index[2:])
        assert kept[index] == z[position]
        expected[position] = kept[index]
    np.testing.assert_array_equal(back, expected)


@pytest.mark.parametrize("k", [2, 3])
def test_stride_k_convolution_is_stride_1_then_downsample(k, rng):
    x = rng.normal(size=(2, 3, 13, 10))
    strided = nl.nn_convolutional_layer(3, 3, 13, 3, 4, stride=k, rng=0)
    plain = nl.nn_convolutional_layer(3, 3, 13, 3, 4, stride=1, rng=0)
    down = nl.nn_downsample_layer(k)
    np.testing.assert_allclose(strided.forward(x), down.forward(plain.forward(x)), rtol=1e-12)
    # and so are the gradients: backprop through downsample, then the stride-1 conv
    dy = rng.normal(size=strided.forward(x).shape)
    grads = strided.backprop(x, dy)
    chained = plain.backprop(x, down.backprop(plain.forward(x), dy))
    for a, b in zip(grads, chained):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_transposed_conv_is_upsample_then_flipped_convolution(k, rng):
    # The course's construction: insert k-1 zeros, pad by K-1, correlate with the flipped
    # filters whose in/out channels are swapped.
    layer = nl.nn_transposed_conv_layer(3, 2, 4, 5, stride=k, rng=0)
    W, b = layer.get_weights()
    x = rng.normal(size=(2, 4, 5, 6))
    up = nl.nn_upsample_layer(k).forward(x)
    flipped = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    expected = nl.conv4d(up, flipped, padding=(2, 1)) + b
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


def test_conv1d_is_the_2d_oracle_on_height_1(rng):
    layer = nl.nn_conv1d_layer(3, 2, 4, stride=2, padding=1, dilation=2, rng=0)
    W, b = layer.get_weights()
    x = rng.normal(size=(3, 2, 15))
    expected = naive.conv_forward(x[:, :, None], W[:, :, None], (1, 2), (0, 1), (1, 2))[:, :, 0] + b
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)
    dy = rng.normal(size=expected.shape)
    dx, dW = naive.conv_backward(x[:, :, None], W[:, :, None], dy[:, :, None], (1, 2), (0, 1), (1, 2))
    got = layer.backprop(x, dy)
    np.testing.assert_allclose(got[0], dx[:, :, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], dW[:, :, 0], rtol=1e-12, atol=1e-12)


def test_im2col_against_a_loop(rng):
    x = rng.normal(size=(2, 2, 6, 5))
    cols = nl.im2col(x, (2, 3), stride=(2, 1), padding=1, dilation=(1, 2))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    oh, ow = (6 + 2 - 2) // 2 + 1, (5 + 2 - 5) // 1 + 1
    for n in range(2):
        for c in range(2):
            for a in range(2):
                for b in range(3):
                    for i in range(oh):
                        for j in range(ow):
                            assert cols[n, c * 6 + a * 3 + b, i * ow + j] == xp[n, c, i * 2 + a, j + 2 * b]
    # col2im is im2col's adjoint: <im2col(x), C> = <x, col2im(C)>
    C = rng.normal(size=cols.shape)
    back = nl.col2im(C, (6, 5), (2, 3), stride=(2, 1), padding=1, dilation=(1, 2))
    assert np.sum(cols * C) == pytest.approx(np.sum(x * back), rel=1e-12)


@pytest.mark.parametrize("pool,stride", [(2, 2), (3, 2), (2, 1), ((2, 3), (3, 1))])
def test_meanpool_against_a_loop(pool, stride, rng):
    x = rng.normal(size=(2, 2, 9, 8))
    layer = nl.nn_meanpool_layer(pool, stride)
    (ph, pw), (sh, sw) = [(v, v) if isinstance(v, int) else v for v in (pool, stride)]
    y = layer.forward(x)
    dy = rng.normal(size=y.shape)
    expected_dx = np.zeros_like(x)
    for index in np.ndindex(*y.shape):
        n, c, i, j = index
        window = (n, c, slice(i * sh, i * sh + ph), slice(j * sw, j * sw + pw))
        assert y[index] == pytest.approx(x[window].mean(), rel=1e-13)
        expected_dx[window] += dy[index] / (ph * pw)
    np.testing.assert_allclose(layer.backprop(x, dy), expected_dx, rtol=1e-13, atol=1e-15)


def test_global_max_sends_ties_to_the_first_and_mean_spreads(rng):
    x = np.zeros((1, 2, 2, 3))
    x[0, 0, 1, 0] = x[0, 0, 1, 2] = 5.0    # a tie: the first in row-major order wins
    x[0, 1] = rng.normal(size=(2, 3))
    dy = np.array([[2.0, 3.0]])
    dx = nl.nn_global_pool_layer("max").backprop(x, dy)
    assert dx[0, 0, 1, 0] == 2.0 and dx[0, 0].sum() == 2.0
    assert dx[0, 1].ravel()[np.argmax(x[0, 1])] == 3.0 and dx[0, 1].sum() == 3.0
    mean = nl.nn_global_pool_layer("mean")
    np.testing.assert_allclose(mean.forward(x), x.mean(axis=(2, 3)))
    np.testing.assert_allclose(mean.backprop(x, dy), np.broadcast_to(dy[:, :, None, None] / 6, x.shape))
    for size in [(5, 5), (9, 13)]:   # any resolution, same output shape
        assert nl.nn_global_pool_layer("max").forward(rng.normal(size=(3, 2) + size)).shape == (3, 2)


def test_linear_and_flatten_against_loops(rng):
    layer = nl.nn_linear_layer(4, 3, rng=0)
    W, b = layer.get_weights()
    x = rng.normal(size=(5, 4))
    y = layer.forward(x)
    for n in range(5):
        for o in range(3):
            assert y[n, o] == pytest.approx(sum(x[n, i] * W[o, i] for i in range(4)) + b[0, o], rel=1e-13)
    flat = nl.nn_flatten_layer()
    x4 = rng.normal(size=(2, 3, 4, 5))
    np.testing.assert_array_equal(flat.forward(x4)[1], x4[1].ravel())
    np.testing.assert_array_equal(flat.backprop(x4, flat.forward(x4)), x4)


def test_batchnorm_forward_against_the_formula(rng):
    x = rng.normal(size=(6, 3, 2, 2)) * 4 + 1
    layer = nl.nn_batchnorm_layer(3)
    y = layer.forward(x)
    for c in range(3):
        values = x[:, c]
        expected = (values - values.mean()) / np.sqrt(values.var() + 1e-5)
        np.testing.assert_allclose(y[:, c], expected, rtol=1e-12, atol=1e-12)
        assert layer.running_var[c] == pytest.approx(0.9 + 0.1 * values.var(ddof=1), rel=1e-12)


def test_cross_entropy_against_the_definition(rng):
    logits = rng.normal(size=(4, 5))
    labels = np.array([0, 4, 2, 2])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss = nl.nn_cross_entropy_loss()
    assert loss.forward(logits, labels) == pytest.approx(-np.mean(np.log(p[range(4), labels])), rel=1e-13)
    onehot = np.eye(5)[labels]
    np.testing.assert_allclose(loss.backprop(logits, labels), (p - onehot) / 4, rtol=1e-12, atol=1e-15)


# ---- the protocol, for every layer --------------------------------------------------------

LAYERS = [
    (lambda: nl.nn_conv1d_layer(3, 2, 4, rng=0), (2, 2, 9)),
    (lambda: nl.nn_transposed_conv_layer(3, 3, 2, 4, stride=2, rng=0), (2, 2, 4, 5)),
    (lambda: nl.nn_upsample_layer(2), (2, 2, 4, 5)),
    (lambda: nl.nn_downsample_layer(2), (2, 2, 5)),
    (lambda: nl.nn_meanpool_layer(2, 1), (2, 2, 5, 4)),
    (lambda: nl.nn_maxpool_layer(3, 2), (2, 2, 9)),
    (lambda: nl.nn_global_pool_layer("max"), (2, 2, 5, 4)),
    (lambda: nl.nn_global_pool_layer("mean"), (2, 2, 5)),
    (lambda: nl.nn_flatten_layer(), (2, 2, 5, 4)),
    (lambda: nl.nn_linear_layer(6, 3, rng=0), (4, 6)),
    (lambda: nl.nn_relu_layer(), (2, 3, 4)),
    (lambda: nl.nn_tanh_layer(), (2, 3)),
    (lambda: nl.nn_sigmoid_layer(), (2, 3, 4, 5)),
    (lambda: nl.nn_softmax_layer(), (4, 6)),
    (lambda: nl.nn_batchnorm_layer(2), (4, 2, 3, 3)),
]


@pytest.mark.parametrize("make,shape", LAYERS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_protocol_no_mutation_float32_and_gradient_shapes(make, shape, rng):
    layer = make()
    params = [p.copy() for p in layer.get_weights()] if hasattr(layer, "get_weights") else []
    x = rng.normal(size=shape)
    y = layer.forward(x)
    dy = rng.normal(size=y.shape)
    x0, dy0 = x.copy(), dy.copy()
    grads = layer.backprop(x, dy)
    grads = grads if isinstance(grads, tuple) else (grads,)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dy, dy0)
    assert [g.shape for g in grads] == [x.shape] + [p.shape for p in params]
    again = layer.backprop(x, dy)                       # a second call gives the same
    for a, b in zip(grads, again if isinstance(again, tuple) else (again,)):
        np.testing.assert_array_equal(a, b)
    x32 = x.astype(np.float32)
    if params:
        layer.set_weights(*(p.astype(np.float32) for p in params))
    y32 = layer.forward(x32)
    assert y32.dtype == np.float32
    grads32 = layer.backprop(x32, y32)
    grads32 = grads32 if isinstance(grads32, tuple) else (grads32,)
    assert grads32[0].dtype == np.float32
