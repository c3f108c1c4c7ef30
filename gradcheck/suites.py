"""What the grader checks, as data: per course and style, the names to look for, how the
course builds each layer, the course's own shapes, the shapes the course never varies, and the
kit reference (``references.BUILDERS``).  Nothing course-specific lives in the numeric code.

A ``Case`` is one configuration.  ``course=True`` marks the course's own (what its autograder
or test script uses), which decides the verdict by default; the others (non-square maps and
kernels, odd sizes, strides that do not divide, padding, overlapping windows, where the class
takes them) count under ``--strict`` and are warnings otherwise.  Max layers are checked on a
shuffled tie-free input (an ordered ramp ``arange + 1`` puts every window's maximum in its
bottom-right corner, which hides a backprop that routes to the wrong pixel), and separately on
an input full of ties (the tie rule).
"""

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .numeric import LayerReport, describe_error

__all__ = ["COURSE", "CONV_NAMES", "POOL_NAMES", "Case", "Spec", "SPECS", "STYLES",
           "spec_for", "generic_spec", "construct_layer", "course_input", "tie_input"]

COURSE = {"batch_size": 8, "input_size": 32, "in_ch_size": 3, "filter_width": 3,
          "filter_height": 3, "num_filters": 8, "std": 1e0, "pool_size": 2, "pool_stride": 2}
CONV_NAMES = ("nn_convolutional_layer",)
POOL_NAMES = ("nn_maxpool_layer", "nn_max_pooling_layer")  # the course used both names
STYLES = ("course", "course_torch", "mytorch", "cs231n", "dlfs")


@dataclass(frozen=True)
class Case:
    """One configuration: input shape, constructor settings, what it probes."""

    label: str
    shape: tuple
    config: dict
    course: bool = False
    trials: Optional[int] = None  # None: the run's --trials; other shapes use fewer
    probes: str = ""            # what a failure here suggests ("square filters", "padding")


@dataclass(frozen=True)
class Spec:
    """How one kind of homework layer is found, built, fed and judged."""

    kind: str                   # the reference: a key of references.BUILDERS
    label: str                  # the name the course prints ("conv layer")
    names: tuple                # class names (or CS231n forward function names) to look for
    style: str                  # the worker's adapter
    cases: tuple
    calls: object = None        # config -> [(args, kwargs), ...] constructor calls to try
    initial: object = None      # (config, rng) -> [arrays] the grader draws, or None
    options: object = None      # config -> dict for the worker's adapter
    functions: Optional[dict] = None  # CS231n: {"forward": ..., "backward": ...}
    inputs: str = "normal"      # "normal", "tie_free", "away_from_zero", "probabilities"
    ties: Optional[Case] = None
    meaning: object = None      # config -> {what each argument means}: a constructor call by
                                # parameter names, tried before the positional ``calls``
    tolerance: Optional[float] = None  # relative error a reference row allows, when the
                                # course's own formula differs from the exact one by more
                                # than check_layer's default


def _w(i):
    return {"$array": i}


def _fn(i):
    return {"$fn": i}


def _normal(*shapes):
    return lambda config, rng: [rng.normal(0.0, 1.0, shape(config)) for shape in shapes]


# -- the course (nn_convolutional_layer / nn_max_pooling_layer, later nn_fc_layer ...) -------

def _course_conv_calls(c):
    (kh, kw), args = c["kernel"], (c["kernel"][0], c["kernel"][1], c["input_size"], c["channels"],
                                   c["filters"])
    return [(args + (COURSE["std"],), {}), (args, {})]    # the torch edition takes no std


def _course_pool_calls(c):
    return [((), {"pool_size": c["pool"], "stride": c["stride"]}), ((c["pool"], c["stride"]), {})]


def _course_max_pooling_calls(c):
    return [((), {"pool_size": c["pool"], "stride": c["stride"]}), ((c["stride"], c["pool"]), {})]


_COURSE_CONV_CASES = (
    Case("course shapes", (8, 3, 32, 32),
         {"kernel": (3, 3), "channels": 3, "filters": 8, "input_size": 32}, course=True),
    Case("(2, 3, 11, 9) input, 3x2 filters", (2, 3, 11, 9),
         {"kernel": (3, 2), "channels": 3, "filters": 4, "input_size": 11}, trials=4,
         probes="square maps and square filters"),
    Case("(3, 2, 7, 10) input, 2x4 filters", (3, 2, 7, 10),
         {"kernel": (2, 4), "channels": 2, "filters": 3, "input_size": 7}, trials=4,
         probes="square maps and square filters"),
)
_COURSE_POOL_CASES = (
    Case("course shapes", (8, 3, 32, 32), {"pool": 2, "stride": 2}, course=True),
    Case("(2, 3, 9, 7) input: odd sizes, trailing pixels dropped", (2, 3, 9, 7),
         {"pool": 2, "stride": 2}, trials=4, probes="even, square maps"),
    Case("(2, 2, 11, 10) input, overlapping 3x3 pools with stride 2", (2, 2, 11, 10),
         {"pool": 3, "stride": 2}, trials=4, probes="stride == pool_size (no overlap)"),
)
_POOL_TIES = Case("ties", (8, 3, 32, 32), {"pool": 2, "stride": 2})
_LABELS = [3, 0, 7, 1, 9, 4, 4, 2]


def _course_specs(style):
    conv = Spec("conv2d", "conv layer", CONV_NAMES, style, _COURSE_CONV_CASES, _course_conv_calls,
                meaning=lambda c: {"kernel": list(c["kernel"]), "in_channels": c["channels"],
                                   "out_channels": c["filters"], "input_size": c["input_size"],
                                   "std": COURSE["std"]})
    pool = dict(inputs="tie_free", ties=_POOL_TIES)
    specs = {
        "nn_convolutional_layer": conv,
        "nn_maxpool_layer": Spec("maxpool2d", "maxpool layer", POOL_NAMES, style,
                                 _COURSE_POOL_CASES, _course_pool_calls, **pool),
        "nn_max_pooling_layer": Spec("maxpool2d", "maxpool layer", POOL_NAMES, style,
                                     _COURSE_POOL_CASES, _course_max_pooling_calls, **pool),
        "nn_fc_layer": Spec("linear", "fc layer", ("nn_fc_layer",), style, (
            Case("course shapes", (8, 12), {"in": 12, "out": 10}, course=True),),
            lambda c: [((c["in"], c["out"], 1.0), {}), ((c["in"], c["out"]), {})]),
        "nn_activation_layer": Spec("relu", "activation layer", ("nn_activation_layer",), style, (
            Case("course shapes", (8, 3, 6, 6), {}, course=True),), lambda c: [((), {})],
            inputs="away_from_zero"),
        "nn_softmax_layer": Spec("softmax", "softmax layer", ("nn_softmax_layer",), style, (
            Case("course shapes", (8, 10), {}, course=True),), lambda c: [((), {})]),
    }
    if style == "course":
        specs["nn_cross_entropy_layer"] = Spec(
            "loss_of_probabilities", "cross entropy layer", ("nn_cross_entropy_layer",), style,
            (Case("course shapes", (8, 10), {"labels": _LABELS}, course=True),),
            lambda c: [((), {})], options=lambda c: {"labels": c["labels"]},
            inputs="probabilities")
    return specs


# -- CMU 11-785 HW2P1 MyTorch ------------------------------------------------------------------

_MYTORCH_GRADS = {"params": [["W"], ["b"]], "grads": [["dLdW", "dW"], ["dLdb", "db"]]}


def _mytorch_conv_calls(c, leading):
    inits = {"weight_init_fn": _fn(0), "bias_init_fn": _fn(1)}
    calls = []
    if c.get("padding"):
        calls.append((leading, dict(inits, padding=c["padding"])))
        return calls
    calls += [(leading, inits), (leading + (_fn(0), _fn(1)), {}), (leading, dict(inits, padding=0))]
    return calls


def _conv1d_shapes(c):
    return (c["filters"], c["channels"], c["kernel"])


def _conv2d_shapes(c):
    return (c["filters"], c["channels"]) + tuple(c["kernel"])


def _mytorch_conv(kind, name, cases, leading, weight_shape):
    return Spec(kind, name, (name,), "mytorch", cases,
                lambda c: _mytorch_conv_calls(c, leading(c)),
                _normal(weight_shape, lambda c: (c["filters"],)),
                lambda c: dict(_MYTORCH_GRADS))


def _one_d(c):
    return (c["channels"], c["filters"], c["kernel"])


def _two_d(c):
    return (c["channels"], c["filters"], c["kernel"][0])


_MYTORCH_SPECS = {
    "Conv1d_stride1": _mytorch_conv("conv1d", "Conv1d_stride1", (
        Case("course shapes", (2, 5, 40), {"channels": 5, "filters": 6, "kernel": 4}, course=True),
        Case("(3, 2, 17) input, kernel 1", (3, 2, 17), {"channels": 2, "filters": 3, "kernel": 1},
             trials=4, probes="kernels wider than 1"),
    ), _one_d, _conv1d_shapes),
    "Conv1d": _mytorch_conv("conv1d", "Conv1d", (
        Case("course shapes", (2, 5, 41), {"channels": 5, "filters": 6, "kernel": 4, "stride": 3},
             course=True),
        Case("(3, 2, 20) input, stride 2, odd remainder", (3, 2, 20),
             {"channels": 2, "filters": 3, "kernel": 3, "stride": 2}, trials=4,
             probes="widths that the stride divides"),
        Case("(2, 3, 15) input, stride 2, padding 2", (2, 3, 15),
             {"channels": 3, "filters": 2, "kernel": 3, "stride": 2, "padding": 2}, trials=4,
             probes="no padding"),
    ), lambda c: _one_d(c) + (c["stride"],), _conv1d_shapes),
    "Conv2d_stride1": _mytorch_conv("conv2d", "Conv2d_stride1", (
        Case("course shapes", (2, 3, 12, 12), {"channels": 3, "filters": 4, "kernel": (3, 3)},
             course=True),
        Case("(2, 2, 11, 8) input", (2, 2, 11, 8), {"channels": 2, "filters": 3, "kernel": (2, 2)},
             trials=4, probes="square maps"),
    ), _two_d, _conv2d_shapes),
    "Conv2d": _mytorch_conv("conv2d", "Conv2d", (
        Case("course shapes", (2, 3, 13, 13),
             {"channels": 3, "filters": 4, "kernel": (3, 3), "stride": 2}, course=True),
        Case("(2, 2, 12, 9) input, stride 3", (2, 2, 12, 9),
             {"channels": 2, "filters": 3, "kernel": (2, 2), "stride": 3}, trials=4,
             probes="square maps that the stride divides"),
        Case("(2, 2, 9, 9) input, stride 2, padding 1", (2, 2, 9, 9),
             {"channels": 2, "filters": 3, "kernel": (3, 3), "stride": 2, "padding": 1}, trials=4,
             probes="no padding"),
    ), lambda c: _two_d(c) + (c["stride"],), _conv2d_shapes),
    "ConvTranspose1d": _mytorch_conv("transposed1d", "ConvTranspose1d", (
        Case("course shapes", (2, 4, 10), {"channels": 4, "filters": 3, "kernel": 3, "factor": 2},
             course=True),
        Case("(3, 2, 7) input, factor 3", (3, 2, 7),
             {"channels": 2, "filters": 2, "kernel": 2, "factor": 3}, trials=4,
             probes="upsampling factor 2"),
    ), lambda c: _one_d(c) + (c["factor"],), _conv1d_shapes),
    "ConvTranspose2d": _mytorch_conv("transposed2d", "ConvTranspose2d", (
        Case("course shapes", (2, 3, 6, 6),
             {"channels": 3, "filters": 2, "kernel": (3, 3), "factor": 2}, course=True),
        Case("(2, 2, 5, 7) input, factor 3", (2, 2, 5, 7),
             {"channels": 2, "filters": 2, "kernel": (2, 2), "factor": 3}, trials=4,
             probes="square maps, factor 2"),
    ), lambda c: _two_d(c) + (c["factor"],), _conv2d_shapes),
}


def _mytorch_plain(kind, name, cases, calls, **extra):
    return Spec(kind, name, (name,), "mytorch", cases, calls, **extra)


for _name, _kind, _dims, _shape, _varied in (
        ("Upsample1d", "upsample", 1, (2, 3, 20), (2, 2, 21)),
        ("Downsample1d", "downsample", 1, (2, 3, 20), (2, 2, 21)),
        ("Upsample2d", "upsample", 2, (2, 3, 10, 10), (2, 2, 9, 7)),
        ("Downsample2d", "downsample", 2, (2, 3, 10, 10), (2, 2, 9, 7))):
    _MYTORCH_SPECS[_name] = _mytorch_plain(_kind, _name, (
        Case("course shapes", _shape, {"factor": 2, "dims": _dims}, course=True),
        Case(f"{_varied} input, factor 3", _varied, {"factor": 3, "dims": _dims}, trials=4,
             probes="even sizes and factor 2"),
    ), lambda c: [((c["factor"],), {})])

_MAX_TIES = Case("ties", (2, 3, 12, 12), {"pool": 2, "stride": 2})
for _name, _kind, _stride1 in (("MaxPool2d_stride1", "maxpool2d", True),
                                ("MaxPool2d", "maxpool2d", False),
                                ("MeanPool2d_stride1", "meanpool2d", True),
                                ("MeanPool2d", "meanpool2d", False)):
    _course = ({"pool": 3, "stride": 1} if _stride1 else {"pool": 4, "stride": 3})
    _other = ({"pool": 2, "stride": 1} if _stride1 else {"pool": 3, "stride": 2})
    _is_max = _kind == "maxpool2d"
    _MYTORCH_SPECS[_name] = _mytorch_plain(_kind, _name, (
        Case("course shapes", (2, 3, 16, 16), _course, course=True),
        Case("(2, 2, 11, 8) input", (2, 2, 11, 8), _other, trials=4, probes="square maps"),
        Case("(1, 2, 131, 6) input, taller than 127", (1, 2, 131, 6), _other, trials=2,
             probes="maps under 128 pixels (indices in int8?)"),
    ), (lambda c: [((c["pool"],), {})]) if _stride1 else (lambda c: [((c["pool"], c["stride"]), {})]),
        inputs="tie_free" if _is_max else "normal",
        ties=(Case("ties", (2, 3, 12, 12), {"pool": 2, "stride": 1}) if _stride1 else _MAX_TIES)
        if _is_max else None)

_MYTORCH_SPECS["Flatten"] = _mytorch_plain("flatten", "Flatten", (   # after Conv1d: (N, C, W)
    Case("course shapes", (2, 3, 7), {}, course=True),
    Case("(3, 5, 11) input", (3, 5, 11), {}, trials=4, probes="the course's sizes"),
), lambda c: [((), {})])
# the 2021 names of the convolutions, the 2020 names of the pools (same constructors)
for _old, _new in (("Conv1D", "Conv1d"), ("Conv2D", "Conv2d"), ("MaxPoolLayer", "MaxPool2d"),
                   ("MeanPoolLayer", "MeanPool2d")):
    _MYTORCH_SPECS[_old] = Spec(**dict(vars(_MYTORCH_SPECS[_new]), names=(_old,), label=_old))


# -- Stanford CS231n assignment 2 (cs231n/layers.py functions) ----------------------------------

def _pair(forward, backward, kind, label, cases, initial=None, extra=None, inputs="normal",
          ties=None, labels=False):
    def options(c):
        out = {}
        if extra:
            out["extra"] = [extra(c)]
        if labels:
            out["labels"] = c["labels"]
        return out
    return Spec(kind, label, (forward,), "cs231n", cases, None, initial, options,
                {"forward": forward, "backward": backward}, inputs, ties)


def _pool_hw(c):
    return c["pool"] if isinstance(c["pool"], tuple) else (c["pool"], c["pool"])


def _conv_param(c):
    return {"stride": c.get("stride", 1), "pad": c.get("padding", 0)}


def _pool_param(c):
    ph, pw = _pool_hw(c)
    return {"pool_height": ph, "pool_width": pw, "stride": c["stride"]}


_CS231N_SPECS = {
    "conv_forward_naive": _pair("conv_forward_naive", "conv_backward_naive", "conv2d", "conv", (
        Case("course shapes", (4, 3, 5, 5),
             {"channels": 3, "filters": 2, "kernel": (3, 3), "stride": 1, "padding": 1}, course=True),
        Case("(2, 3, 7, 5) input, 3x2 filters, stride 2, no padding", (2, 3, 7, 5),
             {"channels": 3, "filters": 3, "kernel": (3, 2), "stride": 2, "padding": 0}, trials=4,
             probes="padding of 1 and square filters"),
        Case("(2, 2, 6, 6) input, stride 3, padding 2", (2, 2, 6, 6),
             {"channels": 2, "filters": 2, "kernel": (2, 2), "stride": 3, "padding": 2}, trials=4,
             probes="stride 1 or 2 and padding 1"),
    ), _normal(_conv2d_shapes, lambda c: (c["filters"],)), _conv_param),
    "max_pool_forward_naive": _pair("max_pool_forward_naive", "max_pool_backward_naive",
                                    "maxpool2d", "max pool", (
        Case("course shapes", (3, 2, 8, 8), {"pool": 2, "stride": 2}, course=True),
        Case("(2, 2, 9, 7) input, overlapping 3x3 pools with stride 2", (2, 2, 9, 7),
             {"pool": 3, "stride": 2}, trials=4, probes="non-overlapping square windows"),
        Case("(2, 2, 9, 8) input, 3x2 pools with stride 2", (2, 2, 9, 8),
             {"pool": (3, 2), "stride": 2}, trials=4, probes="square pooling windows"),
    ), extra=_pool_param, inputs="tie_free", ties=Case("ties", (3, 2, 8, 8), {"pool": 2, "stride": 2})),
    "affine_forward": _pair("affine_forward", "affine_backward", "affine", "affine", (
        Case("course shapes", (2, 4, 5, 6), {"in": 120, "out": 3}, course=True),
        Case("(3, 7) input", (3, 7), {"in": 7, "out": 5}, trials=4, probes="4-D inputs"),
    ), _normal(lambda c: (c["in"], c["out"]), lambda c: (c["out"],))),
    "relu_forward": _pair("relu_forward", "relu_backward", "relu", "relu", (
        Case("course shapes", (3, 4, 5), {}, course=True),), inputs="away_from_zero"),
    "batchnorm_forward": _pair("batchnorm_forward", "batchnorm_backward", "batchnorm",
                               "batchnorm", (
        Case("course shapes", (4, 5), {"channels": 5}, course=True),),
        lambda c, rng: [1.0 + 0.1 * rng.normal(size=c["channels"]), rng.normal(size=c["channels"])],
        lambda c: {"mode": "train", "eps": 1e-5}),
    "spatial_batchnorm_forward": _pair("spatial_batchnorm_forward", "spatial_batchnorm_backward",
                                       "batchnorm", "spatial batchnorm", (
        Case("course shapes", (2, 3, 4, 5), {"channels": 3}, course=True),),
        lambda c, rng: [1.0 + 0.1 * rng.normal(size=c["channels"]), rng.normal(size=c["channels"])],
        lambda c: {"mode": "train", "eps": 1e-5}),
    "softmax_loss": _pair("softmax_loss", None, "loss_of_logits", "softmax loss", (
        Case("course shapes", (8, 10), {"labels": _LABELS}, course=True),), labels=True),
}


# -- deep-learning-from-scratch (common/layers.py) ----------------------------------------------

_DLFS_GRADS = {"params": [["W", "w"], ["b"]], "grads": [["dW", "dw", "dLdW"], ["db", "dLdb"]]}

_DLFS_SPECS = {
    "Convolution": Spec("conv2d", "Convolution", ("Convolution",), "dlfs", (
        Case("course shapes", (2, 3, 7, 7), {"channels": 3, "filters": 4, "kernel": (3, 3)},
             course=True),
        Case("(2, 3, 8, 6) input, 3x2 filters, stride 2, pad 1", (2, 3, 8, 6),
             {"channels": 3, "filters": 3, "kernel": (3, 2), "stride": 2, "padding": 1}, trials=4,
             probes="stride 1, no padding, square filters"),
    ), lambda c: [((_w(0), _w(1)), {"stride": c.get("stride", 1), "pad": c.get("padding", 0)}),
                  ((_w(0), _w(1), c.get("stride", 1), c.get("padding", 0)), {})],
        _normal(_conv2d_shapes, lambda c: (c["filters"],)), lambda c: dict(_DLFS_GRADS)),
    "Pooling": Spec("maxpool2d", "Pooling", ("Pooling",), "dlfs", (
        Case("course shapes", (2, 3, 8, 8), {"pool": 2, "stride": 2}, course=True),
        Case("(2, 2, 9, 7) input, overlapping 3x3 pools with stride 2", (2, 2, 9, 7),
             {"pool": 3, "stride": 2}, trials=4, probes="non-overlapping windows"),
        Case("(2, 2, 9, 8) input, 3x2 pools with stride 2", (2, 2, 9, 8),
             {"pool": (3, 2), "stride": 2}, trials=4, probes="square pooling windows"),
    ), lambda c: [(_pool_hw(c), {"stride": c["stride"], "pad": 0}),
                  (_pool_hw(c) + (c["stride"],), {})],
        inputs="tie_free", ties=Case("ties", (2, 3, 8, 8), {"pool": 2, "stride": 2})),
    "Affine": Spec("affine", "Affine", ("Affine",), "dlfs", (
        Case("course shapes", (4, 6), {"in": 6, "out": 5}, course=True),
        Case("(2, 3, 2, 2) input", (2, 3, 2, 2), {"in": 12, "out": 5}, trials=4,
             probes="2-D inputs"),
    ), lambda c: [((_w(0), _w(1)), {})],
        _normal(lambda c: (c["in"], c["out"]), lambda c: (c["out"],)), lambda c: dict(_DLFS_GRADS)),
    "Relu": Spec("relu", "Relu", ("Relu",), "dlfs", (
        Case("course shapes", (3, 4, 5), {}, course=True),), lambda c: [((), {})],
        inputs="away_from_zero"),
    "Sigmoid": Spec("sigmoid", "Sigmoid", ("Sigmoid",), "dlfs", (
        Case("course shapes", (3, 4, 5), {}, course=True),), lambda c: [((), {})]),
    "SoftmaxWithLoss": Spec("loss_of_logits", "SoftmaxWithLoss", ("SoftmaxWithLoss",), "dlfs", (
        Case("course shapes", (8, 10), {"labels": np.eye(10)[_LABELS].tolist()}, course=True),
        Case("labels as class indices", (8, 10), {"labels": _LABELS}, trials=4,
             probes="one-hot labels"),), lambda c: [((), {})],
        options=lambda c: {"labels": c["labels"]},
        # the book's loss is -sum(t * log(y + 1e-7)) / N: the 1e-7 moves it by ~1e-7 / y, a
        # few 1e-6 relative on the course's logits (the exact loss is the reference)
        tolerance=1e-4),
}
for _old, _new in (("MaxPooling", "Pooling"), ("ReLU", "Relu")):    # names some copies use
    _DLFS_SPECS[_old] = Spec(**dict(vars(_DLFS_SPECS[_new]), names=(_old,), label=_old))

SPECS = {
    "course": _course_specs("course"),
    "course_torch": _course_specs("course_torch"),
    "mytorch": _MYTORCH_SPECS,
    "cs231n": _CS231N_SPECS,
    "dlfs": _DLFS_SPECS,
}


def spec_for(name, style=None):
    """The spec for a name the grader knows (in ``style``, or the first style that has it)."""
    for candidate in ([style] if style else STYLES):
        spec = SPECS.get(candidate, {}).get(name)
        if spec is not None:
            return spec
    return None


def generic_spec(shape):
    """Any class with the layer protocol, built with no arguments: no reference, so the
    finite-difference agreement decides (localised by coordinate checks), on ``shape``."""
    return Spec("generic", "", (), "course", (Case("given shape", tuple(shape), {}, course=True),),
                lambda config: [((), {})])


def course_input(kind, shape, seed, salt=0):
    """The grader's input for a case: normal values; a shuffled tie-free ramp (distinct values
    0.01 apart, far more than a finite-difference step); normal values pushed 0.1 away from 0
    (no ReLU kink within a step); or rows of probabilities."""
    rng = np.random.default_rng([seed, 1, salt])
    if kind == "tie_free":
        return rng.permutation(np.arange(int(np.prod(shape))) * 0.01 - 1.0).reshape(shape)
    x = rng.normal(0.0, 1.0, shape)
    if kind == "away_from_zero":
        return np.sign(x) * (0.1 + np.abs(x))
    if kind == "probabilities":
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return x


def tie_input(shape, seed):
    """Small integers: windows full of ties, zeros among them (as after a ReLU)."""
    return np.random.default_rng([seed, 2]).integers(0, 3, shape).astype(np.float64)


def construct_layer(label, factory):
    """``(layer, None)``, or ``(None, failed report)`` when the constructor raises."""
    try:
        return factory(), None
    except Exception as error:  # noqa: BLE001 - a student's constructor may raise anything
        return None, LayerReport.failed(label, f"constructor raised {describe_error(error)}")
