"""The 1-D transposed convolution: torch's conv_transpose1d, a naive scatter loop, HW2P1's
upsample-then-convolve recipe, and one test per raise."""

from pathlib import Path

import numpy as np
import pytest

import nnlayers as nl
from naive import relative_error

Z = np.zeros


def scatter_loop(x, W, b, stride, padding):
    """y[n, f, i*stride + a - padding] += x[n, c, i] * W[c, f, a], one term at a time."""
    n, c, width = x.shape
    _, f, k = W.shape
    full = np.zeros((n, f, (width - 1) * stride + k))
    for s in range(n):
        for ch in range(c):
            for i in range(width):
                for a in range(k):
                    full[s, :, i * stride + a] += x[s, ch, i] * W[ch, :, a]
    return full[:, :, padding:full.shape[2] - padding] + b.reshape(1, -1, 1)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (3, 2), (4, 0)])
def test_forward_against_the_scatter_loop(stride, padding, rng):
    layer = nl.nn_transposed_conv1d_layer(3, 2, 4, stride=stride, padding=padding, rng=0)
    x = rng.normal(size=(2, 2, 6))
    assert relative_error(layer.forward(x), scatter_loop(x, layer.W, layer.b, stride, padding)) < 1e-14


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (3, 2), (2, 3)])
def test_matches_torch_conv_transpose1d(stride, padding, rng):
    torch = pytest.importorskip("torch")
    layer = nl.nn_transposed_conv1d_layer(4, 3, 5, stride=stride, padding=padding, rng=1)
    x = rng.normal(size=(2, 3, 9))
    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, layer.W, layer.b.reshape(-1)))
    yt = torch.nn.functional.conv_transpose1d(xt, Wt, bt, stride=stride, padding=padding)
    dy = rng.normal(size=tuple(yt.shape))
    yt.backward(torch.tensor(dy))
    assert relative_error(layer.forward(x), yt.detach().numpy()) < 1e-12
    dx, dW, db = layer.backprop(x, dy)
    assert relative_error(dx, xt.grad.numpy()) < 1e-12
    assert relative_error(dW, Wt.grad.numpy()) < 1e-12
    assert relative_error(db.reshape(-1), bt.grad.numpy()) < 1e-12


def test_hw2p1_upsample_then_convolve_is_this_layer(rng):
    """HW2P1's ConvTranspose1d: upsample by k (k-1 zeros between samples), then a stride-1
    correlation with W_mt (F, C, K): the layer with stride k, padding K-1 and W_mt transposed
    and flipped, as the module docstring says."""
    k_up, K = 3, 4
    W_mt, b = rng.normal(size=(5, 2, K)), rng.normal(size=5)
    x = rng.normal(size=(2, 2, 7))
    up = np.zeros((2, 2, k_up * (7 - 1) + 1))
    up[:, :, ::k_up] = x
    out = up.shape[2] - K + 1
    expected = np.zeros((2, 5, out))
    for j in range(out):
        expected[:, :, j] = np.einsum("nca,fca->nf", up[:, :, j:j + K], W_mt) + b
    layer = nl.nn_transposed_conv1d_layer(K, 2, 5, stride=k_up, padding=K - 1)
    layer.set_weights(W_mt.transpose(1, 0, 2)[:, :, ::-1], b.reshape(1, 5, 1))
    assert relative_error(layer.forward(x), expected) < 1e-14


COURSES = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "courses"


@pytest.mark.skipif(not (COURSES / "hw2p1").is_dir(), reason="no ../shared/reference-data")
@pytest.mark.parametrize("index, seed", [(0, 11485), (1, 11685), (2, 11785)])
def test_hw2p1_convtranspose1d_references(index, seed):
    """The HW2P1 grader's ConvTranspose1d test (its seeds and draw order; its weight init
    re-seeds with 11785), with the layer translated as the module docstring says."""
    np.random.seed(seed)
    in_c, out_c = np.random.randint(5, 15), np.random.randint(5, 15)
    batch, width = np.random.randint(1, 4), np.random.randint(20, 300)
    kernel, factor = np.random.randint(1, 10), np.random.randint(1, 10)
    x = np.random.randn(batch, in_c, width)
    np.random.seed(11785)
    W_mt = np.random.normal(0, 1.0, (out_c, in_c, kernel))
    layer = nl.nn_transposed_conv1d_layer(kernel, in_c, out_c, stride=factor, padding=kernel - 1)
    layer.set_weights(W_mt.transpose(1, 0, 2)[:, :, ::-1], np.zeros(out_c))
    y = layer.forward(x)
    delta = np.random.randn(*y.shape)
    with np.load(COURSES / "hw2p1" / "convTranspose_1d_res.npz", allow_pickle=False) as ref:
        assert relative_error(y, ref[f"forward_{index}"]) < 1e-12
        assert relative_error(layer.backprop(x, delta)[0], ref[f"backward_{index}"]) < 1e-12


def test_float32_stays_float32_and_repr(rng):
    layer = nl.nn_transposed_conv1d_layer(3, 2, 4, stride=2, padding=1, rng=0)
    x = rng.normal(size=(1, 2, 5)).astype(np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32 and y.shape == (1, 4, 9)
    assert all(g.dtype == np.float32 for g in layer.backprop(x, np.ones_like(y)))
    assert repr(layer) == ("nn_transposed_conv1d_layer(filter_size=3, in_ch_size=2, num_filters=4, "
                           "stride=2, padding=1)")


def tconv1d():
    return nl.nn_transposed_conv1d_layer(3, 2, 4, stride=2, padding=1, rng=0)


ERRORS = {
    "filter_size 0": (lambda: nl.nn_transposed_conv1d_layer(0, 2, 4), ValueError,
                      r"nn_transposed_conv1d_layer: filter_size must be >= 1, got 0"),
    "in_ch_size float": (lambda: nl.nn_transposed_conv1d_layer(3, 2.0, 4), TypeError,
                         r"nn_transposed_conv1d_layer: in_ch_size must be an integer, got 2.0"),
    "num_filters 0": (lambda: nl.nn_transposed_conv1d_layer(3, 2, 0), ValueError,
                      r"nn_transposed_conv1d_layer: num_filters must be >= 1, got 0"),
    "std negative": (lambda: nl.nn_transposed_conv1d_layer(3, 2, 4, -1.0), ValueError,
                     r"nn_transposed_conv1d_layer: std must be >= 0, got -1.0"),
    "stride 0": (lambda: nl.nn_transposed_conv1d_layer(3, 2, 4, stride=0), ValueError,
                 r"nn_transposed_conv1d_layer: stride must be >= 1, got 0"),
    "padding pair": (lambda: nl.nn_transposed_conv1d_layer(3, 2, 4, padding=(1, 1)), TypeError,
                     r"nn_transposed_conv1d_layer: padding must be an integer, got \(1, 1\)"),
    "rng": (lambda: nl.nn_transposed_conv1d_layer(3, 2, 4, rng=1.5), TypeError,
            r"nn_transposed_conv1d_layer: rng must be None"),
    "x 4-D": (lambda: tconv1d().forward(Z((1, 2, 3, 3))), ValueError,
              r"nn_transposed_conv1d_layer.forward: x must be 3-D, got a 4-D array"),
    "x channels": (lambda: tconv1d().forward(Z((1, 3, 5))), ValueError,
                   r"nn_transposed_conv1d_layer.forward: x has 3 input channels, W expects 2"),
    "output empty": (lambda: nl.nn_transposed_conv1d_layer(1, 2, 4, padding=1).forward(Z((1, 2, 1))),
                     ValueError, r"nn_transposed_conv1d_layer.forward: x of shape \(1, 2, 1\) gives an "
                                 r"output of length -1 with filter_size 1, stride 1 and padding 1"),
    "dLdy shape": (lambda: tconv1d().backprop(Z((1, 2, 5)), Z((1, 4, 8))), ValueError,
                   r"nn_transposed_conv1d_layer.backprop: dLdy must have shape \(1, 4, 9\)"),
    "set_weights W": (lambda: tconv1d().set_weights(Z((4, 2, 3)), Z((1, 4, 1))), ValueError,
                      r"nn_transposed_conv1d_layer.set_weights: W must have shape \(2, 4, 3\)"),
    "update_weights db": (lambda: tconv1d().update_weights(Z((2, 4, 3)), Z((1, 3, 1))), ValueError,
                          r"nn_transposed_conv1d_layer.update_weights: db must have shape \(1, 4, 1\)"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_transposed_conv1d_errors(case):
    call, error, pattern = ERRORS[case]
    with pytest.raises(error, match=pattern):
        call()


def test_transposed_conv1d_empty_batch_gives_empty_output():
    # the layer contract: the batch axis may be empty (every kit layer, see tests/layer_table.py)
    layer = tconv1d()
    assert layer.forward(Z((0, 2, 5))).shape == (0, 4, 9)
    dx, dW, db = layer.backprop(Z((0, 2, 5)), Z((0, 4, 9)))
    assert dx.shape == (0, 2, 5) and not dW.any() and not db.any()
