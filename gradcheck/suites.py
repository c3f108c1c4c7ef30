"""What the grader checks, as data: per course, the names to look for, how the course builds
each layer, the course's own shapes, the shapes the course never varies, and the reference.

The course's gradient accuracy script: batch 8, 3 input channels, 32x32 inputs, 3x3 filters,
8 filters, std 1; max pooling 2x2 with stride 2.  The grader checks the max-pool on a shuffled
tie-free input (an ordered ramp ``arange + 1`` puts every window's maximum in its bottom-right
corner, which hides a backprop that routes to the wrong pixel), and separately on an input
full of ties (the tie rule).

A ``Case`` is one configuration; ``course=True`` marks the course's own, which decides the
verdict by default; the others count under ``--strict`` and are warnings otherwise.
"""

from dataclasses import dataclass, field

import numpy as np

from .numeric import LayerReport, describe_error
from .reference import conv2d_reference, maxpool2d_reference

__all__ = ["COURSE", "CONV_NAMES", "POOL_NAMES", "Case", "Spec", "COURSE_SPECS", "spec_for",
           "generic_spec", "construct_layer", "course_input", "tie_input"]

COURSE = {
    "batch_size": 8,
    "input_size": 32,
    "in_ch_size": 3,
    "filter_width": 3,
    "filter_height": 3,
    "num_filters": 8,
    "std": 1e0,
    "pool_size": 2,
    "pool_stride": 2,
}
CONV_NAMES = ("nn_convolutional_layer",)
POOL_NAMES = ("nn_maxpool_layer", "nn_max_pooling_layer")  # the course used both names


@dataclass(frozen=True)
class Case:
    """One configuration of a layer: its input shape and constructor settings."""

    label: str
    shape: tuple
    config: dict
    course: bool = False
    trials: int = None          # None: the run's --trials; varied cases use fewer


@dataclass(frozen=True)
class Spec:
    """How one kind of homework layer is found, built, fed and judged."""

    kind: str                   # "conv2d", "maxpool2d"
    label: str                  # the course's name in its printed lines ("conv layer")
    names: tuple                # class names to look for
    style: str                  # the worker's adapter
    constructors: object        # config -> [(args, kwargs), ...] to try in order
    reference: object           # (config, params) -> kit layer
    inputs: str                 # "normal" or "tie_free"
    cases: tuple
    ties: Case = None
    has_params: bool = True
    extra: dict = field(default_factory=dict)


def _conv_constructors(config):
    """The course's call: positional (filter_width, filter_height, input_size, in_ch_size,
    num_filters, std)."""
    (kh, kw), c, f = config["kernel"], config["channels"], config["filters"]
    return [((kh, kw, config["input_size"], c, f, COURSE["std"]), {})]


def _pool_constructors(config):
    """The course's call ``nn_maxpool_layer(stride=2, pool_size=2)``; positional orders after."""
    p, s = config["pool"], config["stride"]
    return [((), {"pool_size": p, "stride": s}), ((p, s), {})]


def _max_pooling_constructors(config):
    p, s = config["pool"], config["stride"]
    return [((), {"pool_size": p, "stride": s}), ((s, p), {})]


_CONV_CASES = (
    Case("course shapes", (8, 3, 32, 32),
         {"kernel": (3, 3), "channels": 3, "filters": 8, "input_size": 32}, course=True),
    Case("(2, 3, 11, 9) input, 3x2 filters", (2, 3, 11, 9),
         {"kernel": (3, 2), "channels": 3, "filters": 4, "input_size": 11}, trials=4),
    Case("(3, 2, 7, 10) input, 2x4 filters", (3, 2, 7, 10),
         {"kernel": (2, 4), "channels": 2, "filters": 3, "input_size": 7}, trials=4),
)
_POOL_CASES = (
    Case("course shapes", (8, 3, 32, 32), {"pool": 2, "stride": 2}, course=True),
    Case("(2, 3, 9, 7) input: odd sizes, trailing pixels dropped", (2, 3, 9, 7),
         {"pool": 2, "stride": 2}, trials=4),
    Case("(2, 2, 11, 10) input, overlapping 3x3 pools with stride 2", (2, 2, 11, 10),
         {"pool": 3, "stride": 2}, trials=4),
)
_POOL_TIES = Case("ties", (8, 3, 32, 32), {"pool": 2, "stride": 2})

COURSE_SPECS = {
    "nn_convolutional_layer": Spec("conv2d", "conv layer", CONV_NAMES, "course",
                                   _conv_constructors, conv2d_reference, "normal", _CONV_CASES),
    "nn_maxpool_layer": Spec("maxpool2d", "maxpool layer", POOL_NAMES, "course",
                             _pool_constructors, maxpool2d_reference, "tie_free", _POOL_CASES,
                             ties=_POOL_TIES, has_params=False),
    "nn_max_pooling_layer": Spec("maxpool2d", "maxpool layer", POOL_NAMES, "course",
                                 _max_pooling_constructors, maxpool2d_reference, "tie_free",
                                 _POOL_CASES, ties=_POOL_TIES, has_params=False),
}


def generic_spec(shape):
    """Any class with the layer protocol, built with no arguments: no reference, so the
    finite-difference agreement decides, on a normal input of ``shape``."""
    return Spec("generic", "", (), "course", lambda config: [((), {})], None, "normal",
                (Case("given shape", tuple(shape), {}, course=True),), has_params=True)


def spec_for(name):
    """The spec for a class name the grader knows, or None."""
    return COURSE_SPECS.get(name)


def course_input(kind, shape, seed):
    """The grader's input for a case: normal values, or a shuffled tie-free ramp (distinct
    values 0.01 apart, far more than a finite-difference step)."""
    rng = np.random.default_rng([seed, 1])
    if kind == "tie_free":
        return rng.permutation(np.arange(int(np.prod(shape))) * 0.01 - 1.0).reshape(shape)
    return rng.normal(0.0, 1.0, shape)


def tie_input(shape, seed):
    """Small integers: windows full of ties, zeros among them (as after a ReLU)."""
    return np.random.default_rng([seed, 2]).integers(0, 3, shape).astype(np.float64)


def construct_layer(label, factory):
    """``(layer, None)``, or ``(None, failed report)`` when the constructor raises."""
    try:
        return factory(), None
    except Exception as error:  # noqa: BLE001 - a student's constructor may raise anything
        return None, LayerReport.failed(label, f"constructor raised {describe_error(error)}")
