"""Every layer of the nnlayers kit, as gradcheck cases: ``python -m gradcheck`` checks them all.

The course's two layers come first, on the course's shapes (``suites.course_reports``); the
rest of the family follows on small shapes with odd sizes, strides, padding and dilation.
Inputs of piecewise-linear layers (ReLU, max) are kept away from their kinks: values at
least 0.1 from zero, and tie-free.
"""

import functools

import numpy as np

import nnlayers as nl

from .numeric import check_layer
from .suites import construct_layer

__all__ = ["KIT_CASES", "kit_reports", "LossAsLayer"]


class LossAsLayer:
    """A loss with fixed labels seen as a layer: forward(x) = loss(x, labels), a 0-d array."""

    def __init__(self, loss, labels):
        self.loss, self.labels = loss, labels

    def forward(self, x):
        return np.asarray(self.loss.forward(x, self.labels))

    def backprop(self, x, dLdy):
        return np.asarray(dLdy) * self.loss.backprop(x, self.labels)


def _normal(shape):
    return lambda rng: rng.normal(size=shape)


def _away_from_zero(shape):
    """Normal values pushed at least 0.1 away from 0: no ReLU kink within a step."""
    def make(rng):
        x = rng.normal(size=shape)
        return np.sign(x) * (0.1 + np.abs(x))
    return make


def _tie_free(shape):
    """A shuffled ramp: every value distinct, neighbours in value at least 0.01 apart."""
    def make(rng):
        return rng.permutation(np.arange(int(np.prod(shape))) * 0.01).reshape(shape)
    return make


def _cross_entropy(seed):
    labels = np.random.default_rng(seed).integers(0, 7, 6)
    return LossAsLayer(nl.nn_cross_entropy_loss(), labels)


# (label, layer factory taking a seed, input factory taking a Generator)
KIT_CASES = [
    ("conv s2 p1 d2", lambda s: nl.nn_convolutional_layer(3, 2, 11, 3, 4, stride=2, padding=1,
                                                          dilation=2, rng=s), _normal((2, 3, 11, 10))),
    ("conv1d", lambda s: nl.nn_conv1d_layer(3, 3, 4, stride=2, padding=1, dilation=2, rng=s),
     _normal((2, 3, 17))),
    ("transposed conv", lambda s: nl.nn_transposed_conv_layer(3, 2, 3, 4, stride=2, padding=1,
                                                              rng=s), _normal((2, 3, 5, 6))),
    ("upsample", lambda s: nl.nn_upsample_layer(3), _normal((2, 3, 5, 4))),
    ("downsample", lambda s: nl.nn_downsample_layer(2), _normal((2, 3, 7, 6))),
    ("maxpool 3/2", lambda s: nl.nn_maxpool_layer(3, 2), _tie_free((2, 3, 9, 8))),
    ("maxpool 1-D", lambda s: nl.nn_maxpool_layer(2, 2), _tie_free((2, 3, 11))),
    ("meanpool", lambda s: nl.nn_meanpool_layer(3, 2), _normal((2, 3, 9, 8))),
    ("meanpool 1-D", lambda s: nl.nn_meanpool_layer(3, 1), _normal((2, 3, 10))),
    ("global max", lambda s: nl.nn_global_pool_layer("max"), _tie_free((2, 3, 7, 5))),
    ("global mean", lambda s: nl.nn_global_pool_layer("mean"), _normal((2, 3, 7, 5))),
    ("flatten", lambda s: nl.nn_flatten_layer(), _normal((2, 3, 4, 5))),
    ("linear", lambda s: nl.nn_linear_layer(7, 5, rng=s), _normal((4, 7))),
    ("relu", lambda s: nl.nn_relu_layer(), _away_from_zero((3, 4, 5))),
    ("tanh", lambda s: nl.nn_tanh_layer(), _normal((3, 4, 5))),
    ("sigmoid", lambda s: nl.nn_sigmoid_layer(), _normal((3, 4, 5))),
    ("softmax", lambda s: nl.nn_softmax_layer(), _normal((4, 6))),
    ("cross-entropy", _cross_entropy, _normal((6, 7))),
    ("batchnorm 4-D", lambda s: nl.nn_batchnorm_layer(3), _normal((4, 3, 5, 6))),
    ("batchnorm 2-D", lambda s: nl.nn_batchnorm_layer(5), _normal((8, 5))),
    ("transposed 1-D", lambda s: nl.nn_transposed_conv1d_layer(3, 3, 4, stride=2, padding=1,
                                                                   rng=s), _normal((2, 3, 7))),
    ("dropout (mask)", lambda s: nl.nn_dropout_layer(0.3).fix_mask(
        np.arange(120).reshape(2, 3, 5, 4) % 3 > 0), _normal((2, 3, 5, 4))),
    ("dropout2d(mask)", lambda s: nl.nn_dropout_layer(0.5, channels=True).fix_mask(
        np.arange(6).reshape(2, 3, 1, 1) % 2), _normal((2, 3, 5, 4))),
    ("cross-entr soft", lambda s: LossAsLayer(nl.nn_cross_entropy_loss(), np.random.default_rng(
        s).dirichlet(np.ones(7), 6)), _normal((6, 7))),
    ("residual block", lambda s: nl.nn_residual_block(
        [nl.nn_convolutional_layer(3, 3, 7, 3, 4, stride=2, padding=1, rng=s),
         nl.nn_tanh_layer(), nl.nn_batchnorm_layer(4),
         nl.nn_convolutional_layer(3, 3, 4, 4, 4, padding=1, rng=s + 1)],
        [nl.nn_convolutional_layer(1, 1, 7, 3, 4, stride=2, rng=s + 2)]), _normal((2, 3, 7, 7))),
]


def kit_reports(settings):
    """One report per KIT_CASES entry, checked with ``settings`` (check_layer's keywords)."""
    reports = []
    for label, make_layer, make_input in KIT_CASES:
        layer, failed = construct_layer(label, functools.partial(make_layer, settings["seed"]))
        if failed:
            reports.append(failed)
            continue
        # the input's own stream: drawn from the check's seed it would equal the upstream V
        x = make_input(np.random.default_rng([settings["seed"], 1]))
        reports.append(check_layer(layer, x, name=label, **settings))
    return reports
