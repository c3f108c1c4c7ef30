"""conv4d and its adjoints against a naive loop, scipy.signal and torch; shapes, dtypes, errors."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import naive
from nnlayers import conv4d, conv4d_grad_input, conv4d_grad_weight, conv_output_size

# (x shape, w shape, stride, padding, dilation): non-square inputs and filters, 1x1 filters,
# filter equal to the input, batch 1, odd sizes, stride 2 and 3, padding, dilation, pairs.
CASES = [
    ((2, 3, 7, 5), (4, 3, 3, 3), 1, 0, 1),
    ((1, 2, 6, 9), (3, 2, 2, 4), 1, 0, 1),
    ((2, 3, 5, 5), (2, 3, 1, 1), 1, 0, 1),
    ((2, 2, 4, 3), (3, 2, 4, 3), 1, 0, 1),   # filter equal to the input
    ((1, 1, 1, 1), (1, 1, 1, 1), 1, 0, 1),
    ((2, 3, 9, 8), (2, 3, 3, 2), 2, 0, 1),
    ((2, 2, 10, 11), (3, 2, 3, 3), 3, 1, 1),
    ((1, 3, 7, 9), (2, 3, 3, 3), 1, 2, 1),
    ((2, 2, 9, 10), (2, 2, 3, 2), 1, 0, 2),
    ((2, 2, 11, 9), (3, 2, 3, 3), 2, 1, 2),
    ((1, 2, 8, 13), (2, 2, 2, 3), (2, 3), (1, 2), (2, 1)),
    ((2, 1, 3, 3), (1, 1, 3, 3), 1, 1, 1),
    ((1, 2, 5, 5), (2, 2, 3, 3), 4, 0, 1),   # remainder rows and columns dropped
]


def _case(case, rng):
    xs, ws, s, p, d = case
    return rng.normal(size=xs), rng.normal(size=ws), s, p, d


@pytest.mark.parametrize("case", CASES)
def test_forward_matches_naive_loop(case, rng):
    x, w, s, p, d = _case(case, rng)
    y = conv4d(x, w, stride=s, padding=p, dilation=d)
    expected = naive.conv_forward(x, w, s, p, d)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_gradients_match_naive_loop(case, rng):
    x, w, s, p, d = _case(case, rng)
    dy = rng.normal(size=naive.conv_forward(x, w, s, p, d).shape)
    dx_expected, dw_expected = naive.conv_backward(x, w, dy, s, p, d)
    dx = conv4d_grad_input(dy, w, x.shape, stride=s, padding=p, dilation=d)
    dw = conv4d_grad_weight(x, dy, w.shape, stride=s, padding=p, dilation=d)
    np.testing.assert_allclose(dx, dx_expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, dw_expected, rtol=1e-12, atol=1e-12)


def test_course_worked_example():
    # The course's example: a 3x3 input 1..9 correlated with a 2x2 filter of ones.
    x = np.arange(1, 10).reshape(1, 1, 3, 3)
    y = conv4d(x, np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(y, [[[[12, 16], [24, 28]]]])


def test_against_scipy_correlate(rng):
    signal = pytest.importorskip("scipy.signal")
    x, w = rng.normal(size=(3, 4, 9, 7)), rng.normal(size=(5, 4, 3, 2))
    y = conv4d(x, w)
    dy = rng.normal(size=y.shape)
    for n in range(3):
        for f in range(5):
            expected = sum(signal.correlate(x[n, c], w[f, c], mode="valid") for c in range(4))
            np.testing.assert_allclose(y[n, f], expected, rtol=1e-12, atol=1e-12)
    dx = conv4d_grad_input(dy, w, x.shape)
    dw = conv4d_grad_weight(x, dy, w.shape)
    for n in range(3):
        for c in range(4):
            # dL/dx is a full convolution of dy with the (unflipped-in-convolve) filter
            expected = sum(signal.convolve(dy[n, f], w[f, c], mode="full") for f in range(5))
            np.testing.assert_allclose(dx[n, c], expected, rtol=1e-12, atol=1e-12)
    for f in range(5):
        for c in range(4):
            expected = sum(signal.correlate(x[n, c], dy[n, f], mode="valid") for n in range(3))
            np.testing.assert_allclose(dw[f, c], expected, rtol=1e-12, atol=1e-12)


TORCH_CASES = [
    (stride, padding, dilation)
    for stride in (1, 2, (2, 3))
    for padding in (0, 1, (2, 1))
    for dilation in (1, 2, (1, 2))
]


@pytest.mark.parametrize("stride,padding,dilation", TORCH_CASES)
def test_matches_torch_float64(stride, padding, dilation, rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, w = rng.normal(size=(3, 4, 13, 10)), rng.normal(size=(5, 4, 3, 2))
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    yt = F.conv2d(xt, wt, stride=stride, padding=padding, dilation=dilation)
    dy = rng.normal(size=tuple(yt.shape))
    yt.backward(torch.tensor(dy))
    y = conv4d(x, w, stride, padding, dilation)
    dx = conv4d_grad_input(dy, w, x.shape, stride, padding, dilation)
    dw = conv4d_grad_weight(x, dy, w.shape, stride, padding, dilation)
    assert naive.relative_error(y, yt.detach().numpy()) < 1e-12
    assert naive.relative_error(dx, xt.grad.numpy()) < 1e-12
    assert naive.relative_error(dw, wt.grad.numpy()) < 1e-12


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), f=st.integers(1, 3),
       h=st.integers(1, 9), w=st.integers(1, 9), kh=st.integers(1, 4), kw=st.integers(1, 4),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       seed=st.integers(0, 2**32 - 1))
def test_property_random_shapes(n, c, f, h, w, kh, kw, stride, padding, dilation, seed):
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, (kh, kw))]
    if spans[0] > h + 2 * padding[0] or spans[1] > w + 2 * padding[1]:
        with pytest.raises(ValueError, match="larger than the padded input"):
            conv4d(np.zeros((n, c, h, w)), np.zeros((f, c, kh, kw)), stride, padding, dilation)
        return
    rng = np.random.default_rng(seed)
    x, wt = rng.normal(size=(n, c, h, w)), rng.normal(size=(f, c, kh, kw))
    y = conv4d(x, wt, stride, padding, dilation)
    np.testing.assert_allclose(y, naive.conv_forward(x, wt, stride, padding, dilation),
                               rtol=1e-12, atol=1e-12)
    # The two adjoints: <conv(x), dy> = <x, grad_input(dy)> = <w, grad_weight(x, dy)>.
    dy = rng.normal(size=y.shape)
    dx = conv4d_grad_input(dy, wt, x.shape, stride, padding, dilation)
    dw = conv4d_grad_weight(x, dy, wt.shape, stride, padding, dilation)
    inner = np.sum(y * dy)
    assert np.sum(x * dx) == pytest.approx(inner, rel=1e-10, abs=1e-10)
    assert np.sum(wt * dw) == pytest.approx(inner, rel=1e-10, abs=1e-10)


@settings(max_examples=300, deadline=None)
@given(size=st.integers(1, 60), kernel=st.integers(1, 9), stride=st.integers(1, 7),
       padding=st.integers(0, 5), dilation=st.integers(1, 4))
def test_output_size_defining_property(size, kernel, stride, padding, dilation):
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * padding:
        with pytest.raises(ValueError):
            conv_output_size(size, kernel, stride, padding, dilation)
        return
    out = conv_output_size(size, kernel, stride, padding, dilation)
    # The last window lies inside the padded input, and one more would not.
    assert out >= 1
    assert (out - 1) * stride + span <= size + 2 * padding
    assert out * stride + span > size + 2 * padding


@pytest.mark.parametrize("x_dtype,w_dtype,expected", [
    (np.float32, np.float32, np.float32),
    (np.float64, np.float64, np.float64),
    (np.float32, np.float64, np.float64),
    (np.int64, np.int64, np.float64),
    (np.int32, np.float32, np.float64),
    (np.bool_, np.float32, np.float32),
    (np.uint8, np.float32, np.float32),
])
def test_dtype_rules(x_dtype, w_dtype, expected, rng):
    x = (rng.normal(size=(2, 2, 5, 5)) * 3).astype(x_dtype)
    w = (rng.normal(size=(3, 2, 2, 2)) * 3).astype(w_dtype)
    y = conv4d(x, w)
    dy = np.ones(y.shape, dtype=x_dtype)  # grad_weight's dtype follows x and dy only
    assert y.dtype == expected
    reference = naive.conv_forward(x.astype(np.float64), w.astype(np.float64))
    rtol = 1e-5 if expected == np.float32 else 1e-12
    np.testing.assert_allclose(y, reference, rtol=rtol, atol=rtol * 10)
    assert conv4d_grad_weight(x, dy, w.shape).dtype == (
        np.float32 if x_dtype == np.float32 else np.float64)


def test_float32_in_float32_out_everywhere(rng):
    x = rng.normal(size=(2, 3, 8, 8)).astype(np.float32)
    w = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    y = conv4d(x, w, padding=1)
    dy = rng.normal(size=y.shape).astype(np.float32)
    assert y.dtype == np.float32
    assert conv4d_grad_input(dy, w, x.shape, padding=1).dtype == np.float32
    assert conv4d_grad_weight(x, dy, w.shape, padding=1).dtype == np.float32


def test_inputs_not_mutated_and_output_not_aliased(rng):
    x, w = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(2, 3, 3, 3))
    x0, w0 = x.copy(), w.copy()
    y = conv4d(x, w, padding=1)
    dy = rng.normal(size=y.shape)
    dy0 = dy.copy()
    dx = conv4d_grad_input(dy, w, x.shape, padding=1)
    conv4d_grad_weight(x, dy, w.shape, padding=1)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(dy, dy0)
    assert not np.shares_memory(y, x) and not np.shares_memory(dx, dy)
    assert y.flags.c_contiguous


def test_nan_propagates_like_arithmetic():
    x = np.ones((1, 1, 3, 3))
    x[0, 0, 0, 0] = np.nan
    y = conv4d(x, np.ones((1, 1, 2, 2)))
    assert np.isnan(y[0, 0, 0, 0]) and np.isfinite(y[0, 0, 1, 1])


# ---- one test per raise -------------------------------------------------------------------

def test_raises_x_not_4d():
    with pytest.raises(ValueError, match=r"conv4d: x must be 4-D, got a 3-D array of shape \(3, 5, 5\)"):
        conv4d(np.zeros((3, 5, 5)), np.zeros((1, 3, 2, 2)))


def test_raises_w_not_4d():
    with pytest.raises(ValueError, match=r"conv4d: w must be 4-D, got a 2-D array"):
        conv4d(np.zeros((1, 3, 5, 5)), np.zeros((2, 2)))


def test_raises_x_strings():
    with pytest.raises(TypeError, match=r"conv4d: x must hold real numbers .* got ndarray of dtype <U1"):
        conv4d(np.full((1, 1, 3, 3), "a"), np.zeros((1, 1, 2, 2)))


def test_raises_x_objects():
    with pytest.raises(TypeError, match=r"conv4d: x must hold real numbers .* got ndarray of dtype object"):
        conv4d(np.full((1, 1, 3, 3), None), np.zeros((1, 1, 2, 2)))


def test_raises_x_complex():
    with pytest.raises(TypeError, match=r"conv4d: x must hold real numbers .* complex128"):
        conv4d(np.zeros((1, 1, 3, 3), complex), np.zeros((1, 1, 2, 2)))


def test_raises_x_ragged():
    with pytest.raises(TypeError, match=r"conv4d: x must be an array of real numbers"):
        conv4d([[1, 2], [3]], np.zeros((1, 1, 2, 2)))


def test_raises_x_ragged_where_numpy_only_warns(monkeypatch):
    # numpy < 1.24 warns (VisibleDeprecationWarning) and makes an object array: still our TypeError
    warning = getattr(np, "exceptions", np).VisibleDeprecationWarning
    real_asarray = np.asarray

    def old_numpy_asarray(value, *args, **kwargs):
        if isinstance(value, list):
            warnings.warn("Creating an ndarray from ragged nested sequences", warning)
            return real_asarray(value, dtype=object)
        return real_asarray(value, *args, **kwargs)

    monkeypatch.setattr(np, "asarray", old_numpy_asarray)
    with pytest.raises(TypeError, match=r"conv4d: x must be an array of real numbers; NumPy could "
                                        r"not convert it \(Creating an ndarray from ragged"):
        conv4d([[1, 2], [3]], np.zeros((1, 1, 2, 2)))


def test_raises_channel_mismatch():
    message = (r"conv4d: x has 3 input channels, w expects 4 "
               r"\(x.shape = \(8, 3, 32, 32\), w.shape = \(16, 4, 3, 3\)\)")
    with pytest.raises(ValueError, match=message):
        conv4d(np.zeros((8, 3, 32, 32)), np.zeros((16, 4, 3, 3)))


def test_raises_filter_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"conv4d: the 5x5 filter spans \(5, 5\) positions, "
                                         r"larger than the padded input \(4, 6\)"):
        conv4d(np.zeros((1, 1, 2, 4)), np.zeros((1, 1, 5, 5)), padding=1)


def test_raises_dilated_filter_larger_than_input():
    with pytest.raises(ValueError, match=r"dilation \(3, 3\) spans \(7, 7\) positions"):
        conv4d(np.zeros((1, 1, 6, 9)), np.zeros((1, 1, 3, 3)), dilation=3)


def test_empty_batch_gives_an_empty_result_and_other_empty_axes_raise():
    assert conv4d(np.zeros((0, 1, 3, 3)), np.zeros((2, 1, 2, 2))).shape == (0, 2, 2, 2)
    with pytest.raises(ValueError, match=r"conv4d: x has an empty axis, shape \(1, 0, 3, 3\)"):
        conv4d(np.zeros((1, 0, 3, 3)), np.zeros((1, 0, 2, 2)))


@pytest.mark.parametrize("name,value,error,message", [
    ("stride", 0, ValueError, r"conv4d: stride must be >= 1, got 0"),
    ("stride", -2, ValueError, r"conv4d: stride must be >= 1, got -2"),
    ("stride", 1.5, TypeError, r"conv4d: stride must be an integer or a pair of integers, got 1.5"),
    ("stride", 2.0, TypeError, r"conv4d: stride must be an integer or a pair of integers, got 2.0"),
    ("stride", (1, 2, 3), TypeError, r"conv4d: stride must be an integer or a pair"),
    ("stride", True, TypeError, r"conv4d: stride must be an integer or a pair of integers, got True"),
    ("padding", -1, ValueError, r"conv4d: padding must be >= 0, got -1"),
    ("padding", "1", TypeError, r"conv4d: padding must be an integer or a pair of integers, got '1'"),
    ("padding", (1, 0.5), TypeError, r"conv4d: padding must be an integer or a pair"),
    ("dilation", 0, ValueError, r"conv4d: dilation must be >= 1, got 0"),
    ("dilation", (1, -1), ValueError, r"conv4d: dilation must be >= 1, got \(1, -1\)"),
])
def test_raises_bad_hyperparameter(name, value, error, message):
    with pytest.raises(error, match=message):
        conv4d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 2, 2)), **{name: value})


def test_raises_grad_input_dy_wrong_shape():
    with pytest.raises(ValueError, match=r"conv4d_grad_input: dy must have shape \(1, 2, 4, 4\) "
                                         r"\(the output of conv4d .*\), got \(1, 2, 5, 5\)"):
        conv4d_grad_input(np.zeros((1, 2, 5, 5)), np.zeros((2, 3, 2, 2)), (1, 3, 5, 5))


def test_raises_grad_weight_dy_wrong_shape():
    with pytest.raises(ValueError, match=r"conv4d_grad_weight: dy must have shape \(1, 2, 4, 4\)"):
        conv4d_grad_weight(np.zeros((1, 3, 5, 5)), np.zeros((1, 3, 4, 4)), (2, 3, 2, 2))


def test_raises_grad_input_bad_x_shape():
    with pytest.raises(ValueError, match=r"conv4d_grad_input: x_shape must have 4 entries, got \(3, 5, 5\)"):
        conv4d_grad_input(np.zeros((1, 2, 4, 4)), np.zeros((2, 3, 2, 2)), (3, 5, 5))


def test_raises_grad_weight_bad_w_shape_entry():
    with pytest.raises(TypeError, match=r"conv4d_grad_weight: w_shape must be an integer, got 2.5"):
        conv4d_grad_weight(np.zeros((1, 3, 5, 5)), np.zeros((1, 2, 4, 4)), (2, 3, 2.5, 2))


def test_raises_output_size_window_too_large():
    with pytest.raises(ValueError, match=r"conv_output_size: a window of kernel_size 4 and dilation 2 "
                                         r"spans 7 positions, more than the padded input size 3 \+ 2\*1 = 5"):
        conv_output_size(3, 4, padding=1, dilation=2)
