"""The course's "Build a CNN model" (hw2): 1-D convolutions over a (24 channels x 128 steps)
signal, each followed by its activation, then flatten and a linear layer to 10 classes.

    conv1d(24 -> 56, k5, s1) tanh      width 128 -> 124
    conv1d(56 -> 28, k6, s2) relu      width 124 -> 60
    conv1d(28 -> 14, k2, s2) sigmoid   width 60 -> 30
    flatten (14 * 30 = 420) -> linear 420 -> 10 -> cross-entropy

``python examples/cnn_conv1d.py`` trains it for a few steps on random signals.
"""

import numpy as np

import nnlayers as nl

IN_CHANNELS, WIDTH = 24, 128
CHANNELS, KERNELS, STRIDES = (56, 28, 14), (5, 6, 2), (1, 2, 2)
ACTIVATIONS = (nl.nn_tanh_layer, nl.nn_relu_layer, nl.nn_sigmoid_layer)


def output_width(width=WIDTH):
    for k, s in zip(KERNELS, STRIDES):
        width = (width - k) // s + 1
    return width


def build_model(seed=0, classes=10):
    rng = np.random.default_rng(seed)
    layers, channels = [], IN_CHANNELS
    for out, k, s, activation in zip(CHANNELS, KERNELS, STRIDES, ACTIVATIONS):
        layers += [nl.nn_conv1d_layer(k, channels, out, stride=s, rng=rng), activation()]
        channels = out
    layers += [nl.nn_flatten_layer(), nl.nn_linear_layer(channels * output_width(), classes, rng=rng)]
    return nl.nn_sequential_model(layers, nl.nn_cross_entropy_loss())


def main(steps=30):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, IN_CHANNELS, WIDTH))
    labels = rng.integers(0, 10, 16)
    model = build_model()
    optimizer = nl.nn_adam_optimizer(1e-3)
    print(model)
    for step in range(steps):
        result = model.train_step(x, labels)
        optimizer.step(model, result.grads)
        if step % 10 == 0 or step == steps - 1:
            print(f"step {step:3d}: loss {result.loss:.4f}")


if __name__ == "__main__":
    main()
