"""set_weights takes the courses' bias shape (F,) as well as the kit's, for every layer with a
bias, and means the same thing by it."""

import numpy as np
import pytest

import nnlayers as nl

BIASED = {
    # name: (layer factory, input shape)
    "conv": (lambda: nl.nn_convolutional_layer(3, 3, 6, 2, 4, padding=1, rng=0), (2, 2, 6, 6)),
    "conv1d": (lambda: nl.nn_conv1d_layer(3, 2, 4, rng=0), (2, 2, 7)),
    "transposed conv": (lambda: nl.nn_transposed_conv_layer(3, 3, 2, 4, stride=2, rng=0), (2, 2, 4, 4)),
    "transposed conv1d": (lambda: nl.nn_transposed_conv1d_layer(3, 2, 4, stride=2, rng=0), (2, 2, 5)),
    "linear": (lambda: nl.nn_linear_layer(5, 4, rng=0), (3, 5)),
}


@pytest.mark.parametrize("name", BIASED)
def test_flat_bias_equals_the_kit_shaped_one(name, rng):
    make, shape = BIASED[name]
    flat, kit = make(), make()
    W, b = kit.get_weights()
    new_b = rng.normal(size=b.size)
    flat.set_weights(W, new_b)                      # (F,): MyTorch's, CS231n's, torch's
    kit.set_weights(W, new_b.reshape(b.shape))      # the kit's (1, F, 1, 1), (1, F, 1), (1, F)
    assert flat.get_weights()[1].shape == b.shape
    x = rng.normal(size=shape)
    np.testing.assert_array_equal(flat.forward(x), kit.forward(x))
    np.testing.assert_array_equal(flat.get_weights()[1].ravel(), new_b)


@pytest.mark.parametrize("name", BIASED)
def test_a_flat_bias_of_the_wrong_length_is_refused(name):
    layer = BIASED[name][0]()
    W, b = layer.get_weights()
    with pytest.raises(ValueError, match=rf"\.set_weights: b must have shape \({b.shape[0]}, {b.shape[1]}"):
        layer.set_weights(W, np.zeros(b.size + 1))


def test_only_biases_are_reshaped():
    layer = nl.nn_linear_layer(1, 3, rng=0)          # W (3, 1) has as many entries as b
    with pytest.raises(ValueError, match=r"nn_linear_layer.set_weights: W must have shape \(3, 1\)"):
        layer.set_weights(np.zeros(3), np.zeros(3))
