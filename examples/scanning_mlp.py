"""Scanning MLP -> CNN: the course's exercise, with weights converted into nn_conv1d_layer.

An MLP that reads a window of 8 time steps x 24 features (layers 8 -> 16 -> 4, ReLU between)
is scanned over a 128 x 24 input with stride 4: 31 windows, 4 outputs each.  The same
computation is a stack of 1-D convolutions:

- simple:       conv(24 -> 8, kernel 8, stride 4), conv(8 -> 16, kernel 1), conv(16 -> 4, kernel 1)
- distributed:  the MLP shares weights inside its window: layer 1 is 4 copies of a 2-neuron
                unit on 2-step slices (8 neurons), layer 2 is 2 copies of an 8-neuron unit on
                pairs of them (16 neurons), layer 3 reads both (4 outputs).  As convolutions:
                conv(24 -> 2, k2, s2), conv(2 -> 8, k2, s2), conv(8 -> 4, k2, s1): strides
                multiply to the MLP's 4.

In both, an MLP weight over a flattened window (step k, feature c at index k*C + c) becomes
the filter entry W[f, c, k].  ``python examples/scanning_mlp.py`` checks both conversions.
"""

import numpy as np

import nnlayers as nl

TIME, FEATURES, WINDOW, STRIDE = 128, 24, 8, 4


def relu(z):
    return np.maximum(z, 0)


def to_filters(W, channels, kernel):
    """MLP weight (F, kernel*channels) over a flattened (step, channel) window -> (F, channels, kernel)."""
    return W.reshape(W.shape[0], kernel, channels).transpose(0, 2, 1)


def conv(weight, bias, stride):
    f, c, k = weight.shape
    layer = nl.nn_conv1d_layer(k, c, f, stride=stride)
    layer.set_weights(weight, bias.reshape(1, f, 1))
    return layer


def run(layers, x):
    """x (T, C) as one (1, C, T) input through the layers -> (positions, outputs)."""
    y = x.T[None]
    for layer in layers:
        y = layer.forward(y)
    return y[0].T


# ---- the simple scanning MLP -----------------------------------------------------------

def simple_mlp_weights(rng):
    return [(rng.normal(size=(8, WINDOW * FEATURES)), rng.normal(size=8)),
            (rng.normal(size=(16, 8)), rng.normal(size=16)),
            (rng.normal(size=(4, 16)), rng.normal(size=4))]


def scan_simple_mlp(x, weights):
    """Slide the MLP over time by hand: (T, C) -> (31, 4)."""
    (W1, b1), (W2, b2), (W3, b3) = weights
    outputs = []
    for t in range(0, len(x) - WINDOW + 1, STRIDE):
        h = relu(W1 @ x[t:t + WINDOW].ravel() + b1)
        h = relu(W2 @ h + b2)
        outputs.append(W3 @ h + b3)
    return np.array(outputs)


def simple_cnn(weights):
    (W1, b1), (W2, b2), (W3, b3) = weights
    return [conv(to_filters(W1, FEATURES, WINDOW), b1, STRIDE), nl.nn_relu_layer(),
            conv(W2[:, :, None], b2, 1), nl.nn_relu_layer(),
            conv(W3[:, :, None], b3, 1)]


# ---- the distributed scanning MLP ------------------------------------------------------

def distributed_mlp_weights(rng):
    return [(rng.normal(size=(2, 2 * FEATURES)), rng.normal(size=2)),   # unit on 2 steps
            (rng.normal(size=(8, 2 * 2)), rng.normal(size=8)),          # unit on 2 layer-1 units
            (rng.normal(size=(4, 2 * 8)), rng.normal(size=4))]          # reads both layer-2 units


def scan_distributed_mlp(x, weights):
    """Slide the weight-sharing MLP over time by hand: (T, C) -> (31, 4)."""
    (A, a), (B, b), (C, c) = weights
    outputs = []
    for t in range(0, len(x) - WINDOW + 1, STRIDE):
        window = x[t:t + WINDOW]
        h1 = [relu(A @ window[2 * j:2 * j + 2].ravel() + a) for j in range(4)]   # 4 x 2 = 8
        h2 = [relu(B @ np.concatenate(h1[2 * i:2 * i + 2]) + b) for i in range(2)]  # 2 x 8 = 16
        outputs.append(C @ np.concatenate(h2) + c)
    return np.array(outputs)


def distributed_cnn(weights):
    (A, a), (B, b), (C, c) = weights
    return [conv(to_filters(A, FEATURES, 2), a, 2), nl.nn_relu_layer(),
            conv(to_filters(B, 2, 2), b, 2), nl.nn_relu_layer(),
            conv(to_filters(C, 8, 2), c, 1)]


def main():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(TIME, FEATURES))
    for name, weights, scan, build in (
            ("simple", simple_mlp_weights(rng), scan_simple_mlp, simple_cnn),
            ("distributed", distributed_mlp_weights(rng), scan_distributed_mlp, distributed_cnn)):
        scanned, convolved = scan(x, weights), run(build(weights), x)
        error = np.abs(convolved - scanned).max() / np.abs(scanned).max()
        print(f"{name} scanning MLP: {scanned.shape[0]} windows x {scanned.shape[1]} outputs; "
              f"CNN output {convolved.shape}, max relative difference {error:.1e}")


if __name__ == "__main__":
    main()
