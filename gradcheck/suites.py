"""What ``python -m gradcheck`` checks: the course's shapes for each layer.

The course's gradient accuracy script: batch 8, 3 input channels, 32x32 inputs,
3x3 filters, 8 filters, std 1; max pooling 2x2 with stride 2 on the tie-free
input ``arange(...) + 1``.  The max-pool is also checked at ties
(``check_tie_rule``).
"""

import numpy as np

from .numeric import LayerReport, check_layer, check_tie_rule, describe_error

__all__ = ["COURSE", "CONV_NAMES", "POOL_NAMES", "course_reports", "single_report"]

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


def _course_input_shape():
    c = COURSE
    return (c["batch_size"], c["in_ch_size"], c["input_size"], c["input_size"])


def make_course_conv(cls, seed):
    """The course's call: positional (filter_width, filter_height, input_size, in_ch_size,
    num_filters, std).  Weights come from the global NumPy generator, seeded here."""
    c = COURSE
    np.random.seed(seed)
    return cls(c["filter_width"], c["filter_height"], c["input_size"], c["in_ch_size"],
               c["num_filters"], c["std"])


def make_course_pool(cls):
    return cls(pool_size=COURSE["pool_size"], stride=COURSE["pool_stride"])


def construct_layer(label, factory):
    """``(layer, None)``, or ``(None, failed report)`` when the constructor raises."""
    try:
        return factory(), None
    except Exception as error:  # noqa: BLE001 - a student's constructor may raise anything
        return None, LayerReport.failed(label, f"constructor raised {describe_error(error)}")


def conv_report(factory, settings, label="conv layer"):
    layer, failed = construct_layer(label, factory)
    if failed:
        return failed
    x = np.random.default_rng([settings["seed"], 1]).normal(0, 1, _course_input_shape())
    return check_layer(layer, x, name=label, **settings)


def pool_report(factory, settings, label="maxpool layer"):
    layer, failed = construct_layer(label, factory)
    if failed:
        return failed
    shape = _course_input_shape()
    x = np.arange(np.prod(shape)).reshape(shape) + 1  # the course's tie-free input
    report = check_layer(layer, x, name=label, **settings)
    ties = np.random.default_rng([settings["seed"], 1]).integers(0, 4, shape)
    tie_report = check_tie_rule(layer, ties, name=label, trials=settings["trials"],
                                seed=settings["seed"], threshold=settings["threshold"])
    report.results.extend(tie_report.results)
    return report


def course_reports(conv_factory, pool_factory, settings):
    """Reports for the course's two layers; a factory of None reports the class missing."""
    reports = []
    for label, factory, run, names in (("conv layer", conv_factory, conv_report, CONV_NAMES),
                                       ("maxpool layer", pool_factory, pool_report, POOL_NAMES)):
        if factory is None:
            reports.append(LayerReport.failed(label, f"no class {' or '.join(names)} found"))
        else:
            reports.append(run(factory, settings, label))
    return reports


def single_report(label, layer_or_factory, shape, settings):
    """Check a layer instance, or a class or factory called with no arguments, on a
    normal random input of ``shape``."""
    is_instance = not isinstance(layer_or_factory, type) and hasattr(layer_or_factory, "forward")
    if is_instance:
        layer = layer_or_factory
    else:
        layer, failed = construct_layer(label, layer_or_factory)
        if failed:
            return failed
    x = np.random.default_rng([settings["seed"], 1]).normal(0, 1, shape)
    return check_layer(layer, x, name=label, **settings)
