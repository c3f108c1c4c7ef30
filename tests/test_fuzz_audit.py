"""Regression tests for the fuzz audit of every public function (one test per finding).

Each test names what the fuzzer fed in and what escaped before the fix: a NumPy or
Python error from deep inside, a message that did not name the function the user called,
a huge allocation, or a half-applied update.  Results are compared with the naive loops
of ``naive.py``.
"""

import numpy as np
import pytest

import nnlayers as nl
from nnlayers.torch_bridge import from_torch, to_torch
from naive import conv_backward, conv_forward, relative_error

BYTES = r"would need [\d,]+ bytes"


# -- real-valued hyper-parameters ------------------------------------------------------------
@pytest.mark.parametrize("call,message", [
    (lambda: nl.nn_linear_layer(3, 2, std=10**400), r"^nn_linear_layer: std must be >= 0, got 1000"),
    (lambda: nl.nn_convolutional_layer(3, 3, 8, 1, 2, std=10**400), r"^nn_convolutional_layer: std must be"),
    (lambda: nl.nn_sgd_optimizer(10**400), r"^nn_sgd_optimizer: lr must be > 0, got 1000"),
    (lambda: nl.nn_adam_optimizer(eps=10**400), r"^nn_adam_optimizer: eps must be > 0, got 1000"),
    (lambda: nl.nn_batchnorm_layer(3, eps=10**400), r"^nn_batchnorm_layer: eps must be > 0, got 1000"),
    (lambda: nl.nn_dropout_layer(-10**400), r"^nn_dropout_layer: p must be in \[0, 1\), got -1000"),
])
def test_an_int_too_large_for_a_float_is_a_clear_value_error(call, message):
    # was: OverflowError: int too large to convert to float
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("make", [
    lambda std: nl.nn_linear_layer(3, 2, std=std),
    lambda std: nl.nn_conv1d_layer(3, 2, 4, std=std),
    lambda std: nl.nn_transposed_conv_layer(3, 3, 2, 4, std=std),
])
def test_an_infinite_std_is_refused(make):
    # was: accepted, every weight inf or NaN
    with pytest.raises(ValueError, match=r"std must be >= 0, got inf \(it must be finite\)"):
        make(float("inf"))


def test_a_negative_zero_std_gives_zero_weights():
    # was: ValueError "scale < 0" from numpy.random.Generator.normal
    assert not nl.nn_linear_layer(3, 2, std=-0.0, rng=0).W.any()
    assert not nl.nn_convolutional_layer(3, 3, 8, 2, 2, std=-0.0, rng=0).W.any()


# -- strides beyond int64 ----------------------------------------------------------------------
def test_a_stride_beyond_int64_gives_one_window_per_axis(rng):
    # was: TypeError "'numpy.float64' object cannot be interpreted as an integer" from
    # numpy's as_strided (the byte stride overflowed)
    x, w = rng.normal(size=(2, 3, 5, 6)), rng.normal(size=(4, 3, 3, 2))
    stride = (2**63, 2**64)
    y = nl.conv4d(x, w, stride=stride, padding=1)
    assert y.shape == (2, 4, 1, 1)
    assert relative_error(y, conv_forward(x, w, stride, 1)) < 1e-13
    dy = rng.normal(size=y.shape)
    dx, dw = conv_backward(x, w, dy, stride, 1)
    assert relative_error(nl.conv4d_grad_input(dy, w, x.shape, stride, 1), dx) < 1e-13
    assert relative_error(nl.conv4d_grad_weight(x, dy, w.shape, stride, 1), dw) < 1e-13
    layer = nl.nn_convolutional_layer(3, 2, 5, 3, 4, stride=2**63, rng=0)
    gx, gW, gb = layer.backprop(x, dy)
    assert relative_error(gx, conv_backward(x, layer.W, dy, 2**63)[0]) < 1e-13
    assert nl.im2col(x, 2, stride=2**63).shape == (2, 12, 1)


# -- scratch memory the machine cannot hold ------------------------------------------------------
@pytest.mark.parametrize("call,where", [
    # was: MemoryError allocating the padded input (103 GB here)
    (lambda: nl.nn_conv1d_layer(3, 3, 2, padding=2**40, stride=2**40).forward(np.ones((2, 3, 9))),
     "nn_conv1d_layer.forward"),
    # was: MemoryError allocating the padded output, or numpy's "array is too big"
    (lambda: nl.nn_transposed_conv1d_layer(3, 3, 2, padding=2**40 - 1, stride=2**41).forward(
        np.ones((1, 3, 2))), "nn_transposed_conv1d_layer.forward"),
    (lambda: nl.nn_transposed_conv1d_layer(3, 3, 2, stride=2**40).forward(np.ones((1, 3, 3))),
     "nn_transposed_conv1d_layer.forward"),
    (lambda: nl.nn_transposed_conv_layer(3, 3, 3, 2, padding=2**40 - 1, stride=2**41).forward(
        np.ones((1, 3, 2, 2))), "nn_transposed_conv_layer.forward"),
    (lambda: nl.nn_transposed_conv_layer(3, 3, 3, 2, padding=2**40 - 1, stride=2**41).output_shape(
        (1, 3, 2, 2)), "nn_transposed_conv_layer.output_shape"),
])
def test_padding_that_no_machine_holds_is_refused_before_allocating(call, where):
    with pytest.raises(ValueError, match=rf"^{where}: the padded (input|output) of one image .* {BYTES}"):
        call()


# -- containers name themselves and the inner layer ----------------------------------------------
def block():
    return nl.nn_residual_block([nl.nn_convolutional_layer(3, 3, 5, 3, 3, padding=1, rng=0),
                                 nl.nn_batchnorm_layer(3),
                                 nl.nn_convolutional_layer(1, 1, 5, 3, 3, rng=1)])


INNER = r"body\[0\] \(nn_convolutional_layer\): nn_convolutional_layer"


@pytest.mark.parametrize("call,error,message", [
    # was: the message named only nn_convolutional_layer.forward (or .set_weights, ...)
    (lambda: block().forward(np.zeros((2, 4, 5, 5))), ValueError,
     rf"^nn_residual_block.forward: {INNER}.forward: x has 4 input channels, W expects 3"),
    (lambda: block().forward(np.zeros((2, 3, 5))), ValueError,
     rf"^nn_residual_block.forward: {INNER}.forward: x must be 4-D, got a 3-D array"),
    (lambda: block().backprop(np.zeros((2, 4, 5, 5)), np.zeros((2, 3, 5, 5))), ValueError,
     rf"^nn_residual_block.backprop: {INNER}.replay|^nn_residual_block.backprop: {INNER}.forward"),
    (lambda: block().output_shape((2, 4, 5, 5)), ValueError,
     rf"^nn_residual_block.output_shape: {INNER}.output_shape: x has 4 input channels"),
    (lambda: block().forward(np.zeros((0, 3, 5, 5))), ValueError,
     r"^nn_residual_block.forward: body\[1\] \(nn_batchnorm_layer\): nn_batchnorm_layer.forward: "
     r"training needs more than one value"),
    (lambda: block().set_weights(*[np.zeros(3)] * 6), ValueError,
     r"^nn_residual_block.set_weights: body.0 \(nn_convolutional_layer\): "
     r"nn_convolutional_layer.set_weights: W must have shape \(3, 3, 3, 3\)"),
    (lambda: block().update_weights(*[None] * 6), TypeError,
     r"^nn_residual_block.update_weights: body.0 \(nn_convolutional_layer\): "
     r"nn_convolutional_layer.update_weights: dW must hold real numbers"),
])
def test_residual_block_errors_name_the_block_and_the_inner_layer(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_residual_block_update_weights_changes_all_or_nothing():
    # was: the layers before the refused delta had already been updated
    b = block()
    before = [p.copy() for p in b.get_weights()]
    deltas = [np.ones(p.shape) for p in before]
    deltas[-1] = np.ones(7)                    # the last convolution refuses its bias delta
    with pytest.raises(ValueError, match=r"^nn_residual_block.update_weights: body.2 "):
        b.update_weights(*deltas)
    for got, want in zip(b.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def cnn():
    return nl.nn_sequential_model([nl.nn_convolutional_layer(3, 3, 8, 1, 2, rng=0), nl.nn_relu_layer(),
                                   nl.nn_maxpool_layer(2), nl.nn_flatten_layer(),
                                   nl.nn_linear_layer(18, 3, rng=1)], nl.nn_cross_entropy_loss())


X = np.random.default_rng(5).normal(size=(4, 1, 8, 8))


@pytest.mark.parametrize("call,error,message", [
    # was: IndexError "too many indices for array" from the fused training step
    (lambda: cnn().train_step(X, None), TypeError,
     r"^nn_sequential_model.train_step: loss \(nn_cross_entropy_loss\): "
     r"nn_cross_entropy_loss.forward: labels must hold real numbers"),
    # was: numpy's "setting an array element with a sequence" ValueError
    (lambda: cnn().train_step(X, [[0], [1, 2], 0, 1]), TypeError,
     r"^nn_sequential_model.train_step: loss \(nn_cross_entropy_loss\): .*labels must be an array"),
    # was: the message named only the layer
    (lambda: cnn().train_step(X[:, :, :, :5], [0, 1, 2, 0]), ValueError,
     r"^nn_sequential_model.train_step: layers\[4\] \(nn_linear_layer\): nn_linear_layer.forward: "
     r"x has 6 features, W expects 18"),
    (lambda: cnn().predict(X[:, 0]), ValueError,
     r"^nn_sequential_model.predict_logits: layers\[0\] \(nn_convolutional_layer\): "
     r"nn_convolutional_layer.forward: x must be 4-D"),
    (lambda: cnn().forward("x"), TypeError,
     r"^nn_sequential_model.forward: layers\[0\] \(nn_convolutional_layer\): "
     r"nn_convolutional_layer.forward: x must hold real numbers"),
])
def test_model_errors_name_the_model_and_the_layer(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_fused_step_still_equals_the_layerwise_step():
    labels = np.array([0, 1, 2, 0])
    fused, layerwise = cnn().train_step(X, labels), cnn().train_step_layerwise(X, labels)
    assert abs(fused.loss - layerwise.loss) < 1e-12
    for a, b in zip(fused.grads, layerwise.grads):
        for g, h in zip(a, b):
            assert relative_error(g, h) < 1e-12


# -- the torch bridge --------------------------------------------------------------------------
@pytest.mark.parametrize("input_ndim,error", [(3.0, TypeError), (np.array([2, 3]), TypeError),
                                              (True, TypeError), (6, ValueError)])
def test_to_torch_input_ndim_must_be_an_integer(input_ndim, error):
    # was: AttributeError "torch.nn has no attribute MaxPool1.0d", numpy's "truth value of
    # an array is ambiguous"
    with pytest.raises(error, match=r"^to_torch: input_ndim must be"):
        to_torch(nl.nn_maxpool_layer(2), input_ndim)


def test_from_torch_refuses_weights_numpy_cannot_hold():
    torch = pytest.importorskip("torch")
    # was: TypeError "Got unsupported ScalarType BFloat16" from torch
    with pytest.raises(TypeError, match=r"^from_torch: the module's weights are torch.bfloat16"):
        from_torch(torch.nn.Linear(3, 2).to(torch.bfloat16))
    # was: NotImplementedError "Cannot copy out of meta tensor"
    with pytest.raises(ValueError, match=r"^from_torch: .* meta device"):
        from_torch(torch.nn.Linear(3, 2, device="meta"))
    # was: the message named only nn_batchnorm_layer
    with pytest.raises(ValueError, match=r"^from_torch: BatchNorm2d \(module 0\): nn_batchnorm_layer: "
                                         r"eps must be > 0, got 0"):
        from_torch(torch.nn.BatchNorm2d(3, eps=0))
    # was: the message named only nn_sequential_model
    with pytest.raises(TypeError, match=r"^from_torch: loss: nn_sequential_model: loss \(str\) has no "
                                        r"forward/backprop"):
        from_torch(torch.nn.Linear(3, 2), loss="cross-entropy")


# -- gradcheck's public checks -----------------------------------------------------------------
from gradcheck import check_layer, check_tie_rule, relative_error as gc_relative_error, relative_errors  # noqa: E402

RELU_X = np.array([[1.0, -2.0, 3.0]])


@pytest.mark.parametrize("call,error,message", [
    # was: "gradcheck: ..." (not the function's name), or a NumPy error from inside
    (lambda: check_layer(nl.nn_relu_layer(), RELU_X, trials=2.0), TypeError, r"^check_layer: trials must be an integer"),
    (lambda: check_layer(nl.nn_relu_layer(), RELU_X, step=float("nan")), ValueError, r"^check_layer: step must be"),
    (lambda: check_layer(nl.nn_relu_layer(), RELU_X, method=["central"]), TypeError, r"^check_layer: method must be one of"),
    (lambda: check_layer(nl.nn_relu_layer(), RELU_X, upstream=np.array([1, 2])), TypeError,
     r"^check_layer: upstream must be one of"),
    (lambda: check_layer(nl.nn_relu_layer(), RELU_X, dtype="int64"), TypeError, r"^check_layer: dtype must be a floating"),
    (lambda: check_layer(nl.nn_relu_layer(), RELU_X, dtype={}), TypeError, r"^check_layer: dtype must be a floating"),
    (lambda: check_layer(nl.nn_relu_layer(), RELU_X, seed=-1), ValueError, r"^check_layer: seed seed must be >= 0"),
    (lambda: check_layer(nl.nn_relu_layer(), RELU_X, seed=1.5), TypeError, r"^check_layer: seed must be None, an integer"),
    (lambda: check_layer(nl.nn_relu_layer(), RELU_X, refinements=-1), ValueError, r"^check_layer: refinements must be >= 0"),
    (lambda: check_layer(nl.nn_relu_layer(), "abc"), TypeError, r"^check_layer: x must hold real numbers"),
    (lambda: check_layer(nl.nn_relu_layer(), [[1.0], [1.0, 2.0]]), TypeError, r"^check_layer: x must be an array"),
    (lambda: check_tie_rule(nl.nn_maxpool_layer(2), np.zeros((1, 1, 0, 2))), ValueError,
     r"^check_tie_rule: x must hold at least one value"),          # was: ZeroDivisionError
    (lambda: check_tie_rule(nl.nn_maxpool_layer(2), np.zeros((1, 1, 2, 2)), trials=0), ValueError,
     r"^check_tie_rule: trials must be >= 1"),
    # was: ran for ever
    (lambda: check_layer(nl.nn_relu_layer(), RELU_X, trials=2**63), ValueError,
     r"^check_layer: trials must be <= 10000, got 9223372036854775808"),
    (lambda: check_tie_rule(nl.nn_maxpool_layer(2), np.zeros((1, 1, 2, 2)), refinements=10**9),
     ValueError, r"^check_tie_rule: refinements must be <= 30"),
    (lambda: gc_relative_error(np.zeros(3), np.zeros(4)), ValueError,
     r"^relative_error: expected and got must have the same shape, got \(3,\) and \(4,\)"),
    (lambda: relative_errors(np.zeros(3), "abc"), TypeError, r"^relative_errors: approx must hold real numbers"),
])
def test_gradcheck_checks_name_themselves_and_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_gradient_script_refuses_endless_trials(capsys):
    from gradcheck.cli import main
    with pytest.raises(SystemExit) as stop:
        main(["--trials", str(2**63)])
    assert stop.value.code == 2 and "must be <= 10000" in capsys.readouterr().err


def test_gradcheck_still_passes_a_right_layer_with_infinite_tolerances():
    report = check_layer(nl.nn_relu_layer(), RELU_X, kink_tol=float("inf"), tolerance=float("inf"),
                         reference=nl.nn_relu_layer())
    assert report.passed


# -- mnist_demo ---------------------------------------------------------------------------------
from mnist_demo import load_mnist, pick_indices, plot_digits, read_labels  # noqa: E402

DIGITS = np.zeros((3, 1, 4, 4), np.uint8)
LABELS = np.array([1, 2, 3], np.uint8)


@pytest.mark.parametrize("call,error,message", [
    # was: OverflowError from numpy's choice
    (lambda: pick_indices(2**63, 2), ValueError, r"^pick_indices: count must fit in int64"),
    # was: numpy's "SeedSequence expects int or sequence of ints"
    (lambda: pick_indices(10, 2, seed=2.0), TypeError, r"^pick_indices: seed must be an integer >= 0"),
    (lambda: pick_indices(10, 2.0), TypeError, r"^pick_indices: n must be an integer >= 1, got 2.0"),
    # was: matplotlib's "Number of columns must be a positive integer" / OverflowError
    (lambda: plot_digits(DIGITS, LABELS, 2, ncols=2.0), TypeError, r"^plot_digits: ncols must be an integer"),
    (lambda: plot_digits(DIGITS, LABELS, 2, ncols=0), ValueError, r"^plot_digits: ncols must be an integer >= 1"),
    # was: OverflowError "cannot convert float infinity to integer"; 0.5 was silently 0
    (lambda: plot_digits(DIGITS, LABELS, indices=[np.inf]), TypeError, r"^plot_digits: indices must be integers"),
    (lambda: plot_digits(DIGITS, LABELS, indices=[0.5]), TypeError, r"^plot_digits: indices must be integers"),
    (lambda: plot_digits(DIGITS, LABELS, indices=[10**30]), TypeError, r"^plot_digits: indices must be integers"),
    (lambda: plot_digits(DIGITS, LABELS, 2, title=np.array([1, 2])), TypeError, r"^plot_digits: title must be a str"),
    (lambda: plot_digits(DIGITS.astype(complex), LABELS, 2), TypeError, r"^plot_digits: images must hold real numbers"),
    (lambda: plot_digits(DIGITS, LABELS, n=None), TypeError, r"^plot_digits: n must be an integer >= 1"),
    # was: "invalid literal for int() with base 10: 'a'", numpy's inhomogeneous-shape error
    (lambda: plot_digits(DIGITS, np.array(["a", "b", "c"]), 2), TypeError, r"^plot_digits: labels must hold real numbers"),
    (lambda: plot_digits(DIGITS, LABELS, 2, predictions=["1", "2", "3"]), TypeError,
     r"^plot_digits: predictions must hold real numbers"),
    (lambda: plot_digits([[[0]], [[0, 1]]], LABELS[:2], 1), TypeError, r"^plot_digits: images must hold real numbers"),
    # was: "expected str, bytes or os.PathLike object, not NoneType" from os
    (lambda: read_labels(None), TypeError, r"^read_labels: path must be a str or os.PathLike"),
    (lambda: load_mnist(data_dir=3, fallback=False), TypeError, r"^load_mnist: data_dir must be a folder path"),
    # was: "'int' object is not iterable", "dictionary update sequence element #0 ..."
    (lambda: load_mnist(mirrors=3, fallback=False), TypeError, r"^load_mnist: mirrors must be a URL"),
    (lambda: load_mnist(mirrors=["ftp://x"], fallback=False), ValueError, r"^load_mnist: each mirror must be an http"),
    (lambda: load_mnist(registry="abc", fallback=False), TypeError, r"^load_mnist: registry must be a dict"),
    # was: OverflowError "timestamp out of range for platform time_t" from urllib3
    (lambda: load_mnist(timeout=2**63, fallback=False), ValueError, r"^load_mnist: timeout must be seconds > 0"),
])
def test_mnist_demo_functions_name_themselves_and_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_more_columns_than_digits_draws_one_row_of_the_digits():
    figure = plot_digits(DIGITS, LABELS, indices=[0, 2], ncols=10**30)   # was: OverflowError
    assert len([ax for ax in figure.axes if ax.images]) == 2
    np.testing.assert_array_equal(figure.indices, [0, 2])


def test_a_file_that_is_not_gzip_is_closed_after_the_error(tmp_path, monkeypatch):
    import mnist_demo.gunzip
    opened = []

    def tracking_open(*args, **kwargs):
        opened.append(open(*args, **kwargs))
        return opened[-1]
    monkeypatch.setattr(mnist_demo.gunzip, "open", tracking_open, raising=False)
    path = tmp_path / "labels.gz"
    path.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="not a gzip file"):
        read_labels(path)
    assert len(opened) == 1 and opened[0].closed      # was: left open until collected


# -- optimizers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", [nl.nn_adam_optimizer(), nl.nn_sgd_optimizer(0.1, momentum=0.9)],
                         ids=["adam", "sgd"])
def test_an_optimizer_reused_on_another_model_says_so_and_changes_nothing(optimizer):
    # was: numpy's "operands could not be broadcast together" after the first layers moved
    first = nl.nn_sequential_model([nl.nn_linear_layer(4, 3, rng=0)], nl.nn_cross_entropy_loss())
    optimizer.step(first, first.train_step(np.ones((2, 4)), [0, 1]).grads)
    other = nl.nn_sequential_model([nl.nn_linear_layer(5, 2, rng=0)], nl.nn_cross_entropy_loss())
    before = [p.copy() for p in other.parameters()]
    with pytest.raises(ValueError, match=rf"^{type(optimizer).__name__}.step: layer 0's parameter 0 has "
                                         r"shape \(2, 5\), but this optimizer's state for it has shape \(3, 4\)"):
        optimizer.step(other, other.train_step(np.ones((2, 5)), [0, 1]).grads)
    for got, want in zip(other.parameters(), before):
        np.testing.assert_array_equal(got, want)


def test_confusion_matrix_counts_like_a_loop_and_checks_its_arguments():
    from mnist_demo.plot import confusion_matrix
    labels, predictions = np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 2, 1])
    expected = np.zeros((3, 3), int)
    for label, guess in zip(labels, predictions):
        expected[label, guess] += 1
    np.testing.assert_array_equal(confusion_matrix(labels, predictions, classes=3), expected)
    # was: IndexError from np.add.at, numpy's broadcast error, floats truncated silently
    with pytest.raises(ValueError, match=r"^confusion_matrix: predictions must be in 0..2, got values from 0 to 3"):
        confusion_matrix(labels, [0, 1, 2, 3, 0], classes=3)
    with pytest.raises(ValueError, match=r"^confusion_matrix: labels and predictions must have the same shape"):
        confusion_matrix(labels, [0, 1], classes=3)
    with pytest.raises(TypeError, match=r"^confusion_matrix: labels must hold integers \(class indices\), "
                                        r"got list of dtype float64"):
        confusion_matrix([0.5, 1.0], [0, 1])
    with pytest.raises(ValueError, match=r"^confusion_matrix: predictions must be 1-D \(N,\), got shape \(1, 2\)"):
        confusion_matrix([0, 1], [[0, 1]])
    with pytest.raises(TypeError, match=r"^confusion_matrix: classes must be an integer"):
        confusion_matrix(labels, predictions, classes=3.0)


def test_an_empty_batch_whose_one_image_could_not_exist_is_refused():
    # was: numpy's "Maximum allowed dimension exceeded" / "array is too big"
    with pytest.raises(ValueError, match=rf"^nn_upsample_layer.forward: the output of shape \(0, 3, \d+, 1\) {BYTES}"):
        nl.nn_upsample_layer(2**63).forward(np.zeros((0, 3, 5, 1)))
    with pytest.raises(ValueError, match=rf"^nn_upsample_layer.output_shape: the output .* {BYTES}"):
        nl.nn_upsample_layer(2**40).output_shape((0, 3, 5, 5))
    assert nl.nn_upsample_layer(2**40).forward(np.zeros((0, 3, 1, 1))).shape == (0, 3, 1, 1)


def test_a_torch_tensor_that_requires_grad_is_a_type_error_with_torchs_advice():
    torch = pytest.importorskip("torch")
    t = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    # was: RuntimeError "Can't call numpy() on Tensor that requires grad" from torch
    with pytest.raises(TypeError, match=r"^nn_relu_layer.forward: x must be an array of real numbers; "
                                        r"NumPy could not convert it \(.*detach"):
        nl.nn_relu_layer().forward(t)
    with pytest.raises(TypeError, match=r"^nn_linear_layer.set_weights: W must be an array"):
        nl.nn_linear_layer(3, 2).set_weights(t[:2], np.zeros(2))
    with pytest.raises(TypeError, match=r"^relative_error: expected must be an array"):
        gc_relative_error(t, t)
    np.testing.assert_array_equal(nl.nn_relu_layer().forward(t.detach()), np.ones((2, 3)))


# -- model files ---------------------------------------------------------------------------------
def test_a_small_file_declaring_huge_arrays_is_refused_unread(tmp_path, monkeypatch):
    import json
    model = nl.nn_sequential_model([nl.nn_linear_layer(4, 3, rng=0)], nl.nn_cross_entropy_loss())
    reads = []
    real_read_array = np.lib.format.read_array
    def read_array(*args, **kwargs):
        reads.append(real_read_array(*args, **kwargs))
        return reads[-1]
    monkeypatch.setattr(np.lib.format, "read_array", read_array)
    bomb = tmp_path / "bomb.npz"   # 16 kB that inflate to 16 MiB of zeros
    np.savez_compressed(bomb, architecture=np.array(json.dumps(model.architecture())),
                        **{"layer0/W": np.zeros(2**24, np.uint8), "layer0/b": np.zeros((1, 3))})
    # was: the 2**24 values were read (a MemoryError under a memory limit) before the shapes
    # were compared
    with pytest.raises(ValueError, match=r"^nn_sequential_model.load: .*bomb\.npz is damaged: array "
                                         r"'layer0/W' is uint8 \(16777216,\), expected a real array "
                                         r"of shape \(3, 4\)"):
        model.load(bomb)
    assert [a.shape for a in reads] == [()]     # the architecture record only
    huge = tmp_path / "huge.npz"
    np.savez_compressed(huge, architecture=np.array("[" + " " * (17 << 20) + "]"))
    with pytest.raises(ValueError, match=r"^nn_sequential_model.load: cannot load .*huge\.npz: "
                                         r"nn_sequential_model.save did not write it \(its architecture "
                                         r"record is <U\d+ \(\), not a JSON text\)"):
        model.load(huge)
    assert [a.shape for a in reads] == [()]     # nothing more
    model.save(tmp_path / "good.npz")
    model.load(tmp_path / "good.npz")   # a sound file still loads
