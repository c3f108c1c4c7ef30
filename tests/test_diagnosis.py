"""gradcheck.diagnosis and gradcheck.errormap: every known mistake, planted into the kit's right
answer on realistic shapes, is named by the first line of the diagnosis.

The right answers come from nnlayers; the planted mistakes are written here, several with an
independent reference (scipy.signal's convolve and correlate, naive loops over pool windows).
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

import nnlayers as nl
from gradcheck.diagnosis import diagnose, diagnose_result, localise, worst_elements
from gradcheck.errormap import MAX_PANELS, error_maps, plot_error_map
from gradcheck.numeric import check_layer

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


class Conv:
    """The kit's conv layer on an input, with a random bias and upstream gradient."""

    def __init__(self, shape, kernel, filters, stride=1, padding=0, seed=0):
        rng = np.random.default_rng(seed)
        n, c, h, _ = shape
        layer = nl.nn_convolutional_layer(kernel[0], kernel[1], h, c, filters, stride=stride,
                                          padding=padding, rng=seed)
        self.W = layer.get_weights()[0]
        self.b = rng.normal(size=(1, filters, 1, 1))
        layer.set_weights(self.W, self.b)
        self.x = rng.normal(size=shape)
        self.y = layer.forward(self.x)
        self.dy = rng.normal(size=self.y.shape)
        self.dx, self.dW, self.db = layer.backprop(self.x, self.dy)
        self.context = {"kind": "conv2d", "x": self.x, "dy": self.dy,
                        "params": {"W": self.W, "b": self.b},
                        "config": {"kernel": kernel, "stride": stride, "padding": padding}}


class MaxPool:
    """The kit's max-pool on a shuffled tie-free input (or one full of ties)."""

    def __init__(self, shape, pool, stride, ties=False, seed=0):
        rng = np.random.default_rng(seed)
        self.pool, self.stride = pool, stride
        self.x = (rng.integers(0, 3, shape).astype(np.float64) if ties else
                  rng.permutation(np.arange(int(np.prod(shape))) * 0.01).reshape(shape))
        layer = nl.nn_maxpool_layer(pool, stride)
        self.dy = rng.normal(size=layer.forward(self.x).shape)
        self.dx = layer.backprop(self.x, self.dy)
        self.context = {"kind": "maxpool2d", "x": self.x, "dy": self.dy,
                        "config": {"pool": pool, "stride": stride}}

    def windows(self):
        """(i, j, rows, columns) of every window, by a plain loop."""
        _, _, oh, ow = self.dy.shape
        for i in range(oh):
            for j in range(ow):
                rows = slice(i * self.stride, i * self.stride + self.pool)
                cols = slice(j * self.stride, j * self.stride + self.pool)
                yield i, j, rows, cols


@pytest.fixture(scope="module")
def conv():
    return Conv((8, 3, 32, 32), (3, 3), 8)


@pytest.fixture(scope="module")
def odd_conv():
    """Non-square input and filters, stride 2, padding 1."""
    return Conv((2, 3, 11, 9), (3, 2), 4, stride=2, padding=1, seed=1)


def first_line(row, expected, got, context):
    lines, _ = diagnose(row, expected, got, context)
    assert lines, "a wrong array must get a diagnosis"
    return lines[0]


def shifted(a, axis, step):
    """a moved by ``step`` pixels along ``axis``, zeros where nothing moved in."""
    out = np.zeros_like(a)
    src = [slice(None)] * a.ndim
    dst = [slice(None)] * a.ndim
    src[axis] = slice(0, a.shape[axis] - step) if step > 0 else slice(-step, None)
    dst[axis] = slice(step, None) if step > 0 else slice(0, a.shape[axis] + step)
    out[tuple(dst)] = a[tuple(src)]
    return out


# --------------------------------------------------------------------------------------------
# right arrays, unrelated errors, worst elements

def test_a_right_array_gives_no_lines(conv):
    for row, array in (("forward", conv.y), ("dLdx", conv.dx), ("dLdW", conv.dW),
                       ("dLdb", conv.db)):
        lines, worst = diagnose(row, array, array.copy(), conv.context)
        assert lines == []
        assert len(worst) == 3


def test_an_unrelated_random_error_matches_no_known_mistake(conv):
    noise = np.random.default_rng(5).normal(size=conv.dx.shape)
    lines, _ = diagnose("dLdx", conv.dx, conv.dx + 0.1 * noise, conv.context)
    assert "matches no known mistake" in lines[0]
    assert lines[1].startswith("wrong at ")
    assert f"of {conv.dx.size} elements (100 %): axis 0 at 0-7; axis 1 at 0-2" in lines[1]


def test_the_worst_elements_are_the_truly_worst(conv):
    got = conv.dx + 1e-3 * np.random.default_rng(6).normal(size=conv.dx.shape)
    planted = {(1, 2, 3, 4): 5.0, (7, 0, 31, 0): -4.0, (0, 1, 0, 17): 3.0}
    for index, error in planted.items():
        got[index] = conv.dx[index] + error
    lines, worst = diagnose("dLdx", conv.dx, got, conv.context)
    assert [w[0] for w in worst] == list(planted)
    for (index, expected, value), error in zip(worst, planted.values()):
        assert expected == conv.dx[index] and value == got[index]
        assert value - expected == pytest.approx(error, abs=1e-2)
    assert "matches no known mistake" in lines[0]
    assert "wrong at" in lines[1]


def test_one_number_is_no_evidence_of_a_factor():
    lines, worst = diagnose("forward", np.array(2.0), np.array(3.0))
    assert "matches no known mistake" in lines[0]
    assert worst == [((), 2.0, 3.0)]
    assert "wrong sign" in diagnose("forward", np.array(2.0), np.array(-2.0))[0][0]


def test_nan_is_named_first(conv):
    got = conv.dx.copy()
    got[0, 0, 5, 5] = np.nan
    lines, worst = diagnose("dLdx", conv.dx, got, conv.context)
    assert "NaN or inf at 1 of" in lines[0]
    assert worst[0][0] == (0, 0, 5, 5)


def test_zero_everywhere(conv):
    assert "zero everywhere" in first_line("dLdx", conv.dx, np.zeros_like(conv.dx), conv.context)


# --------------------------------------------------------------------------------------------
# sign and constant factors

def test_wrong_sign(conv):
    line = first_line("dLdx", conv.dx, -conv.dx, conv.context)
    assert line.startswith("dLdx has the wrong sign")
    assert "relative error 0" in line


@pytest.mark.parametrize("row, factor, words", [
    ("dLdb", 1 / 8, "1/8 of the right one: a constant factor 0.125 = 1/batch size (8"),
    ("dLdW", 1 / 3, "= 1/number of input channels (3)"),
    ("dLdx", 2.0, "2 times the right one: a constant factor 2 = 2"),
    ("dLdx", -0.5, "a constant factor -0.5 = -1/2"),
])
def test_a_constant_factor_is_named(conv, row, factor, words):
    right = {"dLdb": conv.db, "dLdW": conv.dW, "dLdx": conv.dx}[row]
    line = first_line(row, right, factor * right, conv.context)
    assert line.startswith(row) and words in line


def test_a_factor_of_the_window_area(conv):
    for pool, stride, area in ((2, 2, 4), (3, 2, 9)):
        case = MaxPool((4, 3, 12, 10), pool, stride)
        line = first_line("dLdx", case.dx, area * case.dx, case.context)
        assert f"a constant factor {area} = window area ({area}" in line


def test_an_unknown_factor_is_given_as_a_number(conv):
    line = first_line("dLdx", conv.dx, 0.37 * conv.dx, conv.context)
    assert "a constant factor 0.37, not a count the grader knows" in line


# --------------------------------------------------------------------------------------------
# flips, swapped axes, shifts

def test_filters_flipped_in_both_spatial_axes(conv):
    line = first_line("dLdW", conv.dW, conv.dW[..., ::-1, ::-1], conv.context)
    assert line.startswith("dLdW is the right one flipped in both spatial axes")


def test_a_flip_along_one_axis_with_a_factor(odd_conv):
    got = odd_conv.dW[:, :, ::-1, :] / 2
    line = first_line("dLdW", odd_conv.dW, got, odd_conv.context)
    assert "flipped along axis 2" in line and "scaled by 0.5 = 1/" in line


def test_forward_with_flipped_filters(conv):
    """A convolution (scipy.signal.convolve) where the course asks for the cross-correlation."""
    got = np.zeros_like(conv.y)
    for n in range(conv.x.shape[0]):
        for f in range(conv.W.shape[0]):
            got[n, f] = sum(signal.convolve(conv.x[n, c], conv.W[f, c], mode="valid")
                            for c in range(conv.x.shape[1])) + conv.b[0, f, 0, 0]
    line = first_line("forward", conv.y, got, conv.context)
    assert line.startswith("forward uses the filters flipped in both spatial axes")


def test_conv1d_forward_with_reversed_filters():
    rng = np.random.default_rng(10)
    layer = nl.nn_conv1d_layer(3, 2, 4, rng=10)
    W, b = layer.get_weights()
    x = rng.normal(size=(4, 2, 15))
    got = np.stack([[sum(signal.convolve(x[n, c], W[f, c], mode="valid") for c in range(2))
                     + b[0, f, 0] for f in range(4)] for n in range(4)])
    context = {"kind": "conv1d", "x": x, "params": {"W": W, "b": b}, "config": {"kernel": 3}}
    line = first_line("forward", layer.forward(x), got, context)
    assert line.startswith("forward uses the filters reversed (W[..., ::-1])")


def test_dLdx_with_unflipped_filters(conv):
    """dLdx as the full correlation of dy with W (scipy.signal.correlate): the flip is missing."""
    got = np.zeros_like(conv.dx)
    for n in range(conv.x.shape[0]):
        for c in range(conv.x.shape[1]):
            got[n, c] = sum(signal.correlate(conv.dy[n, f], conv.W[f, c], mode="full")
                            for f in range(conv.W.shape[0]))
    line = first_line("dLdx", conv.dx, got, conv.context)
    assert line.startswith("dLdx is computed with the filters flipped in both spatial axes")


def test_dLdx_with_unflipped_filters_stride_and_padding(odd_conv):
    c = odd_conv
    got = nl.conv4d_grad_input(c.dy, c.W[..., ::-1, ::-1], c.x.shape, stride=2, padding=1)
    assert "filters flipped" in first_line("dLdx", c.dx, got, c.context)


@pytest.mark.parametrize("case", ["conv", "odd_conv"])
def test_dLdx_where_overlapping_windows_overwrite(case, request):
    """A student's col2im that assigns each window's share (=) where it must add (+=), written
    as the naive loop over windows and pixels."""
    c = request.getfixturevalue(case)
    stride, padding = c.context["config"]["stride"], c.context["config"]["padding"]
    n, channels, h, w = c.x.shape
    kh, kw = c.W.shape[2:]
    padded = np.zeros((n, channels, h + 2 * padding, w + 2 * padding))
    for i in range(c.dy.shape[2]):
        for j in range(c.dy.shape[3]):
            for a in range(kh):
                for b in range(kw):
                    padded[:, :, i * stride + a, j * stride + b] = \
                        c.dy[:, :, i, j] @ c.W[:, :, a, b]
    got = padded[:, :, padding:padding + h, padding:padding + w]
    line = first_line("dLdx", c.dx, got, c.context)
    assert line.startswith("overlapping windows overwrite each other's share of dLdx"), line


def test_spatial_axes_swapped(conv):
    line = first_line("dLdx", conv.dx, conv.dx.swapaxes(2, 3), conv.context)
    assert "axes 2 and 3 swapped (transposed)" in line


def test_filter_and_channel_axes_swapped():
    case = Conv((4, 3, 10, 10), (3, 3), 3, seed=2)
    line = first_line("dLdW", case.dW, case.dW.swapaxes(0, 1), case.context)
    assert "axes 0 and 1 swapped" in line


@pytest.mark.parametrize("axis, step, source", [(3, 1, "i - 1"), (2, -1, "i + 1")])
def test_shifted_by_one_pixel(conv, axis, step, source):
    line = first_line("dLdx", conv.dx, shifted(conv.dx, axis, step), conv.context)
    assert f"shifted by one pixel along axis {axis}" in line
    assert f"element {source}" in line and "is zero" in line


def test_shift_on_a_non_square_stride_case(odd_conv):
    line = first_line("dLdx", odd_conv.dx, shifted(odd_conv.dx, 2, 1), odd_conv.context)
    assert "shifted by one pixel along axis 2" in line


# --------------------------------------------------------------------------------------------
# pool rules

@pytest.mark.parametrize("pool, stride", [(2, 2), (3, 2)])
def test_max_pool_gradient_spread_over_the_window(pool, stride):
    case = MaxPool((4, 3, 12, 10), pool, stride)
    got = np.zeros_like(case.x)
    for i, j, rows, cols in case.windows():
        got[:, :, rows, cols] += case.dy[:, :, i, j][:, :, None, None] / pool ** 2
    line = first_line("dLdx", case.dx, got, case.context)
    assert line.startswith("the max-pool gradient is spread evenly over each window")


@pytest.mark.parametrize("pool, stride", [(2, 2), (3, 2)])
def test_max_pool_gradient_given_to_every_tied_maximum(pool, stride):
    case = MaxPool((4, 3, 12, 10), pool, stride, ties=True)
    got = np.zeros_like(case.x)
    for n in range(case.x.shape[0]):
        for c in range(case.x.shape[1]):
            for i, j, rows, cols in case.windows():
                window = case.x[n, c, rows, cols]
                got[n, c, rows, cols] += (window == window.max()) * case.dy[n, c, i, j]
    assert not np.allclose(got, case.dx), "the input must hold ties that matter"
    line = first_line("dLdx", case.dx, got, case.context)
    assert line.startswith("every tied maximum receives the window's gradient")


@pytest.mark.parametrize("pool, stride", [(2, 2), (3, 2)])
def test_max_pool_argmax_transposed_inside_the_window(pool, stride):
    case = MaxPool((4, 3, 12, 10), pool, stride)
    got = np.zeros_like(case.x)
    for n in range(case.x.shape[0]):
        for c in range(case.x.shape[1]):
            for i, j, rows, cols in case.windows():
                r, q = np.unravel_index(np.argmax(case.x[n, c, rows, cols]), (pool, pool))
                got[n, c, rows.start + q, cols.start + r] += case.dy[n, c, i, j]
    line = first_line("dLdx", case.dx, got, case.context)
    assert line.startswith("each window's gradient goes to the maximum's position transposed")


def test_max_pool_overlapping_windows_overwrite():
    case = MaxPool((4, 3, 11, 10), 3, 2)
    got = np.zeros_like(case.x)
    for n in range(case.x.shape[0]):
        for c in range(case.x.shape[1]):
            for i, j, rows, cols in case.windows():
                window = case.x[n, c, rows, cols]
                got[n, c, rows, cols] = (window == window.max()) * case.dy[n, c, i, j]
    line = first_line("dLdx", case.dx, got, case.context)
    assert line.startswith("overlapping windows overwrite each other's gradient")


# --------------------------------------------------------------------------------------------
# bias, part of the batch, border

def test_forward_missing_the_bias(conv):
    got = nl.conv4d(conv.x, conv.W)
    line = first_line("forward", conv.y, got, conv.context)
    assert line.startswith("forward is missing the bias: got - expected equals -b")


def test_forward_missing_the_bias_with_stride(odd_conv):
    got = nl.conv4d(odd_conv.x, odd_conv.W, stride=2, padding=1)
    assert "missing the bias" in first_line("forward", odd_conv.y, got, odd_conv.context)


def test_only_image_0_receives_a_gradient(conv):
    got = np.zeros_like(conv.dx)
    got[0] = conv.dx[0]
    line = first_line("dLdx", conv.dx, got, conv.context)
    assert line.startswith("only image 0 of the batch receives a gradient")


def test_dLdW_from_the_last_image_only(conv):
    got = nl.conv4d_grad_weight(conv.x[-1:], conv.dy[-1:], conv.W.shape)
    line = first_line("dLdW", conv.dW, got, conv.context)
    assert "only image 7 of the batch of 8 (the last one" in line


def test_dLdb_from_the_first_half_of_a_batch_of_4():
    case = Conv((4, 3, 9, 9), (3, 3), 6, seed=3)
    got = case.dy[:2].sum(axis=(0, 2, 3)).reshape(case.db.shape)
    assert "only images 0-1 of the batch of 4" in first_line("dLdb", case.db, got, case.context)


@pytest.mark.parametrize("layout", ["(out, in)", "(in, out)"])
def test_linear_dLdW_from_the_first_image_only(layout):
    """W as the kit holds it (out, in), or as deep-learning-from-scratch does (in, out)."""
    rng = np.random.default_rng(4)
    layer = nl.nn_linear_layer(7, 5, rng=4)
    x = rng.normal(size=(4, 7))
    dy = rng.normal(size=(4, 5))
    dW = layer.backprop(x, dy)[1]
    got = np.outer(dy[0], x[0])
    if layout == "(in, out)":
        dW, got = dW.T, got.T
    context = {"kind": "linear", "x": x, "dy": dy}
    assert "only image 0 of the batch of 4" in first_line("dLdW", dW, got, context)


def test_the_border_of_width_1_is_missing(conv):
    got = conv.dx.copy()
    got[..., [0, -1], :] = 0
    got[..., :, [0, -1]] = 0
    line = first_line("dLdx", conv.dx, got, conv.context)
    assert "right inside but zero on the border of width 1" in line
    assert "padding" in line


def test_one_side_of_the_border_is_wrong(odd_conv):
    got = odd_conv.dx.copy()
    got[..., :, -1] += 1.0
    line = first_line("dLdx", odd_conv.dx, got, odd_conv.context)
    assert "right inside but wrong on the right 1 columns" in line


# --------------------------------------------------------------------------------------------
# tolerance, validation

def test_float32_homework_is_matched_at_1e_4(conv):
    got = -conv.dx.astype(np.float32) + np.float32(1e-5) * np.random.default_rng(7).normal(
        size=conv.dx.shape).astype(np.float32)
    strict, _ = diagnose("dLdx", conv.dx, got, conv.context)
    loose, _ = diagnose("dLdx", conv.dx, got, dict(conv.context, dtype=np.float32))
    assert "matches no known mistake" in strict[0]
    assert loose[0].startswith("dLdx has the wrong sign")


def test_a_context_that_does_not_fit_is_ignored(conv):
    context = dict(conv.context, x=np.zeros((2, 2)), dy=np.zeros(3), params={"b": np.ones(5)})
    assert "wrong sign" in first_line("dLdx", conv.dx, -conv.dx, context)


def test_the_callers_tolerance_decides(conv):
    got = conv.dx * (1 + 1e-7)
    assert diagnose("dLdx", conv.dx, got, {"tolerance": 1e-6})[0] == []
    line = first_line("dLdx", conv.dx, got, {"tolerance": 1e-9})
    assert "a constant factor 1.0000001, not a count" in line


@pytest.mark.parametrize("args, error, words", [
    ((1, np.zeros(3), np.zeros(3)), TypeError, "diagnose: row must be a str"),
    (("dLdx", np.zeros(3), np.zeros(3), {"tolerance": -1}), ValueError,
     r"diagnose: context\['tolerance'\] must be a number"),
    (("dLdx", np.zeros(3), np.zeros(3), {"dtype": "nonsense"}), TypeError,
     r"diagnose: context\['dtype'\] must be a NumPy dtype"),
    (("dLdx", np.zeros(3), np.zeros(4)), ValueError, "diagnose: expected and got must have"),
    (("dLdx", np.zeros(3), np.array(["a"] * 3)), TypeError, "diagnose: got must be an array"),
    (("dLdx", np.zeros(3), np.zeros(3), [1]), TypeError, "diagnose: context must be a dict"),
])
def test_diagnose_validates_its_arguments(args, error, words):
    with pytest.raises(error, match=words):
        diagnose(*args)


def test_worst_elements_counts_nan_as_worst():
    worst = worst_elements(np.zeros(5), np.array([0.0, 1.0, np.nan, -3.0, 0.5]))
    assert [w[0] for w in worst] == [(2,), (3,), (1,)]


class FlippedWeightGradient(nl.nn_convolutional_layer):
    """A homework conv layer whose dLdW is flipped in both spatial axes."""

    def backprop(self, x, dLdy):
        dx, dW, db = super().backprop(x, dLdy)
        return dx, dW[..., ::-1, ::-1].copy(), db


def test_diagnose_result_fills_a_failed_row_of_check_layer():
    config = {"kernel": (3, 2), "stride": 1, "padding": 0}
    homework = FlippedWeightGradient(3, 2, 9, 3, 4, rng=0)
    reference = nl.nn_convolutional_layer(3, 2, 9, 3, 4)
    reference.set_weights(*homework.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 3, 9, 7))
    report = check_layer(homework, x, reference=reference, trials=2)
    rows = {row.gradient: row for row in report.results}
    assert [rows[name].status for name in ("forward", "dLdx", "dLdW", "dLdb")] == \
        ["ok", "ok", "FAIL", "ok"]
    for row in report.results:
        diagnose_result(row, {"kind": "conv2d", "x": x, "config": config})
    assert rows["dLdW"].diagnosis[0].startswith("dLdW is the right one flipped in both")
    assert len(rows["dLdW"].worst) == 3
    assert rows["dLdx"].diagnosis == [] and rows["dLdx"].worst == []


# --------------------------------------------------------------------------------------------
# localise: no reference, sparse coordinate check

def _square_layer(seed=8):
    """y = x**2 * a (elementwise): dL/dx = 2 * a * x * V, written independently here."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(2, 3, 5, 4))
    x = rng.normal(size=a.shape)
    V = rng.normal(size=a.shape)
    return (lambda p: p ** 2 * a), x, 2 * a * x * V, V


def test_localise_finds_the_wrong_coordinate():
    evaluate, x, grad, V = _square_layer()
    largest = np.unravel_index(np.argmax(np.abs(grad)), grad.shape)
    grad = grad.copy()
    grad[largest] *= 3.0
    worst = localise(evaluate, x, grad, V, k=5)
    index, numeric, analytic = worst[0]
    assert index == tuple(int(i) for i in largest)
    assert analytic == pytest.approx(3 * numeric, rel=1e-6)
    assert len(worst) == 3


def test_localise_agrees_on_a_right_gradient():
    evaluate, x, grad, V = _square_layer()
    for _, numeric, analytic in localise(evaluate, x, grad, V, k=5, count=10):
        assert analytic == pytest.approx(numeric, rel=1e-7, abs=1e-10)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"evaluate": 3}, TypeError, "localise: evaluate must be callable"),
    ({"grad": np.zeros(2)}, ValueError, "localise: grad must have point's shape"),
    ({"k": 0}, ValueError, "localise: k must be an integer >= 1"),
    ({"step": -1.0}, ValueError, "localise: step must be a finite number > 0"),
    ({"upstream": np.zeros(2)}, ValueError, "localise: evaluate returned shape"),
])
def test_localise_validates_its_arguments(kwargs, error, words):
    evaluate, x, grad, V = _square_layer()
    arguments = dict({"evaluate": evaluate, "point": x, "grad": grad, "upstream": V}, **kwargs)
    with pytest.raises(error, match=words):
        localise(**arguments)


# --------------------------------------------------------------------------------------------
# the error map

def test_plot_error_map_writes_a_png(conv, tmp_path):
    got = conv.dx.copy()
    got[..., 0, :] = 0
    path = plot_error_map(conv.dx, got, "nn_convolutional_layer dLdx (course shapes)",
                          tmp_path / "dLdx.png")
    data = Path(path).read_bytes()
    assert data[:8] == PNG_HEADER
    assert len(data) > 5000


def test_error_maps_sum_over_the_batch_axis():
    expected = np.zeros((3, 2, 4, 5))
    got = expected.copy()
    got[0, 1, 2, 3], got[2, 1, 2, 3] = 1.0, -2.0
    maps = error_maps(expected, got)
    assert maps.shape == (2, 4, 5) and maps[1, 2, 3] == 3.0 and maps.sum() == 3.0
    assert error_maps(np.zeros((3, 2, 7)), np.ones((3, 2, 7))).shape == (2, 1, 7)


def test_plot_error_map_many_channels_and_1d(tmp_path):
    rng = np.random.default_rng(9)
    many = rng.normal(size=(2, MAX_PANELS + 4, 6, 6))
    path = plot_error_map(many, many * 1.1, "forward: 20 channels", tmp_path / "many.png")
    assert Path(path).read_bytes()[:8] == PNG_HEADER
    one_d = rng.normal(size=(2, 3, 17))
    path = plot_error_map(one_d, -one_d, "conv1d dLdx", str(tmp_path / "one_d.png"))
    assert Path(path).read_bytes()[:8] == PNG_HEADER


@pytest.mark.parametrize("args, error, words", [
    ((np.zeros(3), np.zeros(4), "t", "a.png"), ValueError, "plot_error_map: expected and got"),
    ((np.zeros(3), np.zeros(3), 5, "a.png"), TypeError, "plot_error_map: title must be a str"),
    ((np.zeros(3), np.zeros(3), "t", "/no/such/folder/a.png"), ValueError,
     "plot_error_map: the folder of path"),
    ((np.zeros(0), np.zeros(0), "t", "a.png"), ValueError, "plot_error_map: the arrays are empty"),
])
def test_plot_error_map_validates_its_arguments(args, error, words):
    with pytest.raises(error, match=words):
        plot_error_map(*args)


def test_importing_the_diagnosis_does_not_import_matplotlib():
    code = ("import sys, gradcheck.diagnosis, gradcheck.errormap; "
            "print('matplotlib' in sys.modules)")
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert answer.stdout.strip() == "False", answer.stderr
