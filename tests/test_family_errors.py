"""One test per raise, for each constructor and method of the layer family.

Each row: a call, the exception type, and a pattern the message must match (the function,
the argument, what it got and what was expected).
"""

import numpy as np
import pytest

import nnlayers as nl

Z = np.zeros


def conv1d():
    return nl.nn_conv1d_layer(3, 2, 4, rng=0)


def tconv():
    return nl.nn_transposed_conv_layer(3, 3, 2, 4, stride=2, padding=1, rng=0)


def linear():
    return nl.nn_linear_layer(5, 3, rng=0)


def bn():
    return nl.nn_batchnorm_layer(3)


CASES = {
    # im2col / col2im
    "im2col x not 4-D": (lambda: nl.im2col(Z((2, 3, 4)), 2), ValueError, r"im2col: x must be 4-D, got a 3-D"),
    "im2col kernel 0": (lambda: nl.im2col(Z((1, 1, 4, 4)), 0), ValueError, r"im2col: kernel_size must be >= 1, got 0"),
    "im2col window too large": (lambda: nl.im2col(Z((1, 1, 2, 2)), 3), ValueError,
                                r"im2col: the 3x3 window spans \(3, 3\) positions, larger than the padded input \(2, 2\)"),
    "im2col strings": (lambda: nl.im2col(np.full((1, 1, 3, 3), "a"), 2), TypeError, r"im2col: x must hold real numbers"),
    "col2im cols not 3-D": (lambda: nl.col2im(Z((4, 4)), (3, 3), 2), ValueError, r"col2im: cols must be 3-D"),
    "col2im rows": (lambda: nl.col2im(Z((1, 5, 4)), (3, 3), 2), ValueError,
                    r"col2im: cols has 5 rows, not a multiple of KH\*KW = 4"),
    "col2im columns": (lambda: nl.col2im(Z((1, 4, 5)), (3, 3), 2), ValueError,
                       r"col2im: cols has 5 columns, but output_size \(3, 3\) .* has 2x2 = 4 window positions"),
    "col2im output_size": (lambda: nl.col2im(Z((1, 4, 4)), 3.5, 2), TypeError,
                           r"col2im: output_size must be an integer or a pair of integers, got 3.5"),
    # conv1d
    "conv1d filter_size 0": (lambda: nl.nn_conv1d_layer(0, 2, 4), ValueError, r"nn_conv1d_layer: filter_size must be >= 1, got 0"),
    "conv1d in_ch float": (lambda: nl.nn_conv1d_layer(3, 2.0, 4), TypeError, r"nn_conv1d_layer: in_ch_size must be an integer, got 2.0"),
    "conv1d num_filters": (lambda: nl.nn_conv1d_layer(3, 2, -4), ValueError, r"nn_conv1d_layer: num_filters must be >= 1, got -4"),
    "conv1d std": (lambda: nl.nn_conv1d_layer(3, 2, 4, -1.0), ValueError, r"nn_conv1d_layer: std must be >= 0, got -1.0"),
    "conv1d stride pair": (lambda: nl.nn_conv1d_layer(3, 2, 4, stride=(1, 2)), TypeError, r"nn_conv1d_layer: stride must be an integer"),
    "conv1d padding": (lambda: nl.nn_conv1d_layer(3, 2, 4, padding=-1), ValueError, r"nn_conv1d_layer: padding must be >= 0, got -1"),
    "conv1d dilation": (lambda: nl.nn_conv1d_layer(3, 2, 4, dilation=0), ValueError, r"nn_conv1d_layer: dilation must be >= 1, got 0"),
    "conv1d rng": (lambda: nl.nn_conv1d_layer(3, 2, 4, rng="x"), TypeError, r"nn_conv1d_layer: rng must be None, an integer seed"),
    "conv1d x 4-D": (lambda: conv1d().forward(Z((1, 2, 3, 9))), ValueError, r"nn_conv1d_layer.forward: x must be 3-D, got a 4-D"),
    "conv1d channels": (lambda: conv1d().forward(Z((1, 3, 9))), ValueError,
                        r"nn_conv1d_layer.forward: x has 3 input channels, W expects 2 \(x.shape = \(1, 3, 9\), W.shape = \(4, 2, 3\)\)"),
    "conv1d too short": (lambda: conv1d().forward(Z((1, 2, 2))), ValueError,
                         r"nn_conv1d_layer.forward: the 3 filter spans \(3,\) positions, larger than the padded input \(2,\)"),
    "conv1d dLdy": (lambda: conv1d().backprop(Z((1, 2, 9)), Z((1, 4, 9))), ValueError,
                    r"nn_conv1d_layer.backprop: dLdy must have shape \(1, 4, 7\) \(the shape of forward\(x\)\), got \(1, 4, 9\)"),
    "conv1d set W": (lambda: conv1d().set_weights(Z((4, 2)), Z((1, 4, 1))), ValueError,
                     r"nn_conv1d_layer.set_weights: W must have shape \(4, 2, 3\)"),
    "conv1d set b": (lambda: conv1d().set_weights(Z((4, 2, 3)), Z(5)), ValueError,
                     r"nn_conv1d_layer.set_weights: b must have shape \(1, 4, 1\)"),
    "conv1d update": (lambda: conv1d().update_weights(Z((4, 2, 3)), Z((1, 4))), ValueError,
                      r"nn_conv1d_layer.update_weights: db must have shape \(1, 4, 1\)"),
    # transposed conv
    "tconv filter": (lambda: nl.nn_transposed_conv_layer(0, 3, 2, 4), ValueError, r"nn_transposed_conv_layer: filter_width must be >= 1"),
    "tconv in_ch": (lambda: nl.nn_transposed_conv_layer(3, 3, "2", 4), TypeError, r"nn_transposed_conv_layer: in_ch_size must be an integer"),
    "tconv stride": (lambda: nl.nn_transposed_conv_layer(3, 3, 2, 4, stride=0), ValueError, r"nn_transposed_conv_layer: stride must be >= 1"),
    "tconv padding": (lambda: nl.nn_transposed_conv_layer(3, 3, 2, 4, padding=-2), ValueError, r"nn_transposed_conv_layer: padding must be >= 0"),
    "tconv std": (lambda: nl.nn_transposed_conv_layer(3, 3, 2, 4, std="big"), TypeError, r"nn_transposed_conv_layer: std must be a real number"),
    "tconv x 3-D": (lambda: tconv().forward(Z((2, 4, 4))), ValueError, r"nn_transposed_conv_layer.forward: x must be 4-D"),
    "tconv channels": (lambda: tconv().forward(Z((1, 3, 4, 4))), ValueError,
                       r"nn_transposed_conv_layer.forward: x has 3 input channels, W expects 2"),
    "tconv output empty": (lambda: nl.nn_transposed_conv_layer(1, 1, 2, 4, padding=1).forward(Z((1, 2, 1, 1))), ValueError,
                           r"nn_transposed_conv_layer.forward: x of shape \(1, 2, 1, 1\) gives an output of spatial size \(-1, -1\)"),
    "tconv dLdy": (lambda: tconv().backprop(Z((1, 2, 4, 4)), Z((1, 4, 4, 4))), ValueError,
                   r"nn_transposed_conv_layer.backprop: dLdy must have shape \(1, 4, 7, 7\)"),
    "tconv set W": (lambda: tconv().set_weights(Z((4, 2, 3, 3)), Z((1, 4, 1, 1))), ValueError,
                    r"nn_transposed_conv_layer.set_weights: W must have shape \(2, 4, 3, 3\)"),
    "tconv update": (lambda: tconv().update_weights(Z((2, 4, 3, 3)), Z((1, 2, 1, 1))), ValueError,
                     r"nn_transposed_conv_layer.update_weights: db must have shape \(1, 4, 1, 1\)"),
    # up / downsampling
    "upsample factor 0": (lambda: nl.nn_upsample_layer(0), ValueError, r"nn_upsample_layer: factor must be >= 1, got 0"),
    "upsample factor float": (lambda: nl.nn_upsample_layer(1.5), TypeError, r"nn_upsample_layer: factor must be an integer, got 1.5"),
    "upsample x 2-D": (lambda: nl.nn_upsample_layer(2).forward(Z((3, 4))), ValueError, r"nn_upsample_layer.forward: x must be 3-D or 4-D"),
    "upsample dLdy": (lambda: nl.nn_upsample_layer(2).backprop(Z((1, 1, 3)), Z((1, 1, 6))), ValueError,
                      r"nn_upsample_layer.backprop: dLdy must have shape \(1, 1, 5\)"),
    "downsample factor": (lambda: nl.nn_downsample_layer(-2), ValueError, r"nn_downsample_layer: factor must be >= 1, got -2"),
    "downsample x 5-D": (lambda: nl.nn_downsample_layer(2).forward(Z((1, 1, 2, 2, 2))), ValueError,
                         r"nn_downsample_layer.forward: x must be 3-D or 4-D"),
    "downsample dLdy": (lambda: nl.nn_downsample_layer(2).backprop(Z((1, 1, 5)), Z((1, 1, 2))), ValueError,
                        r"nn_downsample_layer.backprop: dLdy must have shape \(1, 1, 3\)"),
    # pooling
    "meanpool pool 0": (lambda: nl.nn_meanpool_layer(0), ValueError, r"nn_meanpool_layer: pool_size must be >= 1, got 0"),
    "meanpool stride": (lambda: nl.nn_meanpool_layer(2, -1), ValueError, r"nn_meanpool_layer: stride must be >= 1, got -1"),
    "meanpool too large": (lambda: nl.nn_meanpool_layer(3).forward(Z((1, 1, 2, 5))), ValueError,
                           r"nn_meanpool_layer.forward: the 3x3 pool window spans \(3, 3\) positions, larger than the padded input \(2, 5\)"),
    "meanpool 1-D too long": (lambda: nl.nn_meanpool_layer(4).forward(Z((1, 1, 3))), ValueError,
                              r"nn_meanpool_layer.forward: the 1x4 pool window spans \(1, 4\) positions"),
    "meanpool 1-D pair": (lambda: nl.nn_meanpool_layer((2, 2)).forward(Z((1, 1, 6))), ValueError,
                          r"nn_meanpool_layer.forward: for \(N, C, W\) inputs pool_size and stride must be integers"),
    "meanpool x 2-D": (lambda: nl.nn_meanpool_layer(2).forward(Z((4, 4))), ValueError,
                       r"nn_meanpool_layer.forward: x must be 3-D or 4-D"),
    "meanpool dLdy": (lambda: nl.nn_meanpool_layer(2).backprop(Z((1, 1, 4, 4)), Z((1, 1, 4, 4))), ValueError,
                      r"nn_meanpool_layer.backprop: dLdy must have shape \(1, 1, 2, 2\)"),
    "maxpool 1-D pair": (lambda: nl.nn_maxpool_layer((2, 2)).forward(Z((1, 1, 6))), ValueError,
                         r"nn_maxpool_layer.forward: for \(N, C, W\) inputs pool_size and stride must be integers"),
    "global mode": (lambda: nl.nn_global_pool_layer("median"), ValueError,
                    r"nn_global_pool_layer: mode must be 'max' or 'mean', got 'median'"),
    "global x 2-D": (lambda: nl.nn_global_pool_layer().forward(Z((2, 3))), ValueError,
                     r"nn_global_pool_layer.forward: x must be 3-D or 4-D or 5-D, got a 2-D"),
    "global empty": (lambda: nl.nn_global_pool_layer().forward(Z((2, 3, 0, 4))), ValueError,
                     r"nn_global_pool_layer.forward: x has an empty axis"),
    "global dLdy": (lambda: nl.nn_global_pool_layer().backprop(Z((2, 3, 4, 4)), Z((2, 3, 1, 1))), ValueError,
                    r"nn_global_pool_layer.backprop: dLdy must have shape \(2, 3\)"),
    # flatten, linear
    "flatten x 1-D": (lambda: nl.nn_flatten_layer().forward(Z(5)), ValueError,
                      r"nn_flatten_layer.forward: x must have a batch axis and at least one more, got shape \(5,\)"),
    "flatten dLdy": (lambda: nl.nn_flatten_layer().backprop(Z((2, 3, 4)), Z((2, 3, 4))), ValueError,
                     r"nn_flatten_layer.backprop: dLdy must have shape \(2, 12\)"),
    "linear input_size": (lambda: nl.nn_linear_layer(0, 3), ValueError, r"nn_linear_layer: input_size must be >= 1, got 0"),
    "linear output_size": (lambda: nl.nn_linear_layer(5, 3.0), TypeError, r"nn_linear_layer: output_size must be an integer"),
    "linear std": (lambda: nl.nn_linear_layer(5, 3, float("nan")), ValueError, r"nn_linear_layer: std must be >= 0, got nan"),
    "linear x 1-D": (lambda: linear().forward(Z(5)), ValueError, r"nn_linear_layer.forward: x must be 2-D, got a 1-D"),
    "linear features": (lambda: linear().forward(Z((2, 4))), ValueError,
                        r"nn_linear_layer.forward: x has 4 features, W expects 5 \(x.shape = \(2, 4\), W.shape = \(3, 5\)\)"),
    "linear dLdy": (lambda: linear().backprop(Z((2, 5)), Z((2, 5))), ValueError,
                    r"nn_linear_layer.backprop: dLdy must have shape \(2, 3\)"),
    "linear set W": (lambda: linear().set_weights(Z((5, 3)), Z((1, 3))), ValueError,
                     r"nn_linear_layer.set_weights: W must have shape \(3, 5\) \(the shape of W\), got \(5, 3\)"),
    "linear update": (lambda: linear().update_weights(Z((3, 5)), Z(3)), ValueError,
                      r"nn_linear_layer.update_weights: db must have shape \(1, 3\)"),
    # activations, softmax
    "relu strings": (lambda: nl.nn_relu_layer().forward(np.array(["a"])), TypeError, r"nn_relu_layer.forward: x must hold real numbers"),
    "relu dLdy": (lambda: nl.nn_relu_layer().backprop(Z((2, 3)), Z((3, 2))), ValueError,
                  r"nn_relu_layer.backprop: dLdy must have shape \(2, 3\)"),
    "tanh objects": (lambda: nl.nn_tanh_layer().forward(np.array([None])), TypeError, r"nn_tanh_layer.forward: x must hold real numbers"),
    "tanh dLdy": (lambda: nl.nn_tanh_layer().backprop(Z(3), Z(4)), ValueError, r"nn_tanh_layer.backprop: dLdy must have shape \(3,\)"),
    "sigmoid complex": (lambda: nl.nn_sigmoid_layer().forward(Z(3, complex)), TypeError, r"nn_sigmoid_layer.forward: x must hold real numbers"),
    "sigmoid dLdy": (lambda: nl.nn_sigmoid_layer().backprop(Z(3), Z((3, 1))), ValueError, r"nn_sigmoid_layer.backprop: dLdy must have shape"),
    "softmax x 3-D": (lambda: nl.nn_softmax_layer().forward(Z((2, 3, 4))), ValueError, r"nn_softmax_layer.forward: x must be 2-D, got a 3-D"),
    "softmax dLdy": (lambda: nl.nn_softmax_layer().backprop(Z((2, 3)), Z((2, 4))), ValueError, r"nn_softmax_layer.backprop: dLdy must have shape \(2, 3\)"),
    # cross-entropy
    "ce labels float": (lambda: nl.nn_cross_entropy_loss().forward(Z((2, 3)), np.array([0.0, 1.0])), TypeError,
                        r"nn_cross_entropy_loss.forward: labels must be integers \(class indices\), got dtype float64"),
    "ce labels shape": (lambda: nl.nn_cross_entropy_loss().forward(Z((2, 3)), np.array([0, 1, 2])), ValueError,
                        r"nn_cross_entropy_loss.forward: labels must have shape \(2,\), one per row of logits, got \(3,\)"),
    "ce label too big": (lambda: nl.nn_cross_entropy_loss().forward(Z((2, 3)), np.array([0, 3])), ValueError,
                         r"nn_cross_entropy_loss.forward: labels\[1\] = 3 is out of range; logits has 3 classes, so labels must be in 0..2"),
    "ce label negative": (lambda: nl.nn_cross_entropy_loss().backprop(Z((2, 3)), np.array([-1, 0])), ValueError,
                          r"nn_cross_entropy_loss.backprop: labels\[0\] = -1 is out of range"),
    "ce logits 1-D": (lambda: nl.nn_cross_entropy_loss().forward(Z(3), np.array([0])), ValueError,
                      r"nn_cross_entropy_loss.forward: logits must be 2-D, got a 1-D array"),
    "ce empty batch": (lambda: nl.nn_cross_entropy_loss().forward(Z((0, 3)), np.zeros(0, int)), ValueError,
                       r"nn_cross_entropy_loss.forward: logits has no rows"),
    # batch norm
    "bn channels 0": (lambda: nl.nn_batchnorm_layer(0), ValueError, r"nn_batchnorm_layer: num_channels must be >= 1, got 0"),
    "bn eps 0": (lambda: nl.nn_batchnorm_layer(3, eps=0), ValueError, r"nn_batchnorm_layer: eps must be > 0, got 0"),
    "bn eps str": (lambda: nl.nn_batchnorm_layer(3, eps="1e-5"), TypeError, r"nn_batchnorm_layer: eps must be a real number"),
    "bn momentum": (lambda: nl.nn_batchnorm_layer(3, momentum=1.5), ValueError, r"nn_batchnorm_layer: momentum must be in \[0, 1\], got 1.5"),
    "bn x 3-D": (lambda: bn().forward(Z((2, 3, 4))), ValueError, r"nn_batchnorm_layer.forward: x must be 2-D or 4-D, got a 3-D"),
    "bn channels": (lambda: bn().forward(Z((2, 4))), ValueError,
                    r"nn_batchnorm_layer.forward: x has 4 channels, the layer normalises 3 \(x.shape = \(2, 4\)\)"),
    "bn one value": (lambda: bn().forward(Z((1, 3))), ValueError,
                     r"nn_batchnorm_layer.forward: training needs more than one value per channel"),
    "bn dLdy": (lambda: bn().backprop(Z((2, 3)), Z((2, 4))), ValueError, r"nn_batchnorm_layer.backprop: dLdy must have shape \(2, 3\)"),
    "bn set gamma": (lambda: bn().set_weights(Z(4), Z(3)), ValueError,
                     r"nn_batchnorm_layer.set_weights: gamma must have shape \(3,\) \(the shape of gamma\), got \(4,\)"),
    "bn update": (lambda: bn().update_weights(Z(3), Z((1, 3))), ValueError,
                  r"nn_batchnorm_layer.update_weights: dbeta must have shape \(3,\)"),
    # memory bound
    "memory_limit": (lambda: nl.set_memory_limit(-1), ValueError, r"set_memory_limit: nbytes must be >= 1, got -1"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_raises(name):
    call, error, message = CASES[name]
    with pytest.raises(error, match=message):
        call()


def test_a_failed_update_changes_nothing():
    layer = linear()
    W, b = (p.copy() for p in layer.get_weights())
    with pytest.raises(ValueError):
        layer.update_weights(np.ones((3, 5)), np.ones(7))  # dW fine, db wrong
    np.testing.assert_array_equal(layer.W, W)
    np.testing.assert_array_equal(layer.b, b)
