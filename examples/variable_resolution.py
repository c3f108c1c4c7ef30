"""A digit classifier for any image size: convolutions, then global pooling, then linear.

The embedded MNIST digits are placed at random positions on 32x32, 48x48 and 64x64 canvases.
One network, trained on all three sizes (each batch one size), ends in
``nn_global_pool_layer``, so its weights do not depend on the resolution.  It is then tested
on unseen digits on each canvas size, and on the same digits as plain 28x28 images.

    conv 3x3 pad 1, 16 ch -> ReLU -> maxpool 2 -> conv 3x3 pad 1, 32 ch -> ReLU -> maxpool 2
    -> conv 3x3 pad 1, 64 ch -> ReLU -> global max pool (N, 64) -> linear 64 -> 10

``python examples/variable_resolution.py [--epochs 4] [--train 4000]``
"""

import argparse
import time

import numpy as np

import nnlayers as nl
from mnist_demo import load_sample
from mnist_demo.train import scale_images

SIZES = (32, 48, 64)


def place_on_canvas(images, size, rng):
    """(N, 1, 28, 28) -> (N, 1, size, size), each digit at its own random position."""
    n = len(images)
    canvas = np.zeros((n, 1, size, size), dtype=images.dtype)
    top, left = rng.integers(0, size - 28 + 1, size=(2, n))
    rows = top[:, None] + np.arange(28)
    cols = left[:, None] + np.arange(28)
    canvas[np.arange(n)[:, None, None], 0, rows[:, :, None], cols[:, None, :]] = images[:, 0]
    return canvas


def build_model(seed=0):
    rng = np.random.default_rng(seed)
    layers = [
        nl.nn_convolutional_layer(3, 3, 32, 1, 16, padding=1, rng=rng), nl.nn_relu_layer(),
        nl.nn_maxpool_layer(2, 2),
        nl.nn_convolutional_layer(3, 3, 16, 16, 32, padding=1, rng=rng), nl.nn_relu_layer(),
        nl.nn_maxpool_layer(2, 2),
        nl.nn_convolutional_layer(3, 3, 8, 32, 64, padding=1, rng=rng), nl.nn_relu_layer(),
        nl.nn_global_pool_layer("max"),
        nl.nn_linear_layer(64, 10, rng=rng),
    ]
    return nl.nn_sequential_model(layers, nl.nn_cross_entropy_loss()).astype(np.float32)


def train(images, labels, epochs=4, batch_size=64, lr=2e-3, seed=0, progress=print):
    """Train on random canvases; each batch gets one random size. Returns (model, losses)."""
    rng = np.random.default_rng(seed)
    model, optimizer = build_model(seed), nl.nn_adam_optimizer(lr)
    losses = []
    for epoch in range(epochs):
        optimizer.lr = lr * 0.8 ** epoch
        order = rng.permutation(len(labels))
        epoch_losses = []
        for first in range(0, len(order), batch_size):
            index = order[first:first + batch_size]
            size = SIZES[rng.integers(len(SIZES))]
            step = model.train_step(place_on_canvas(images[index], size, rng), labels[index])
            optimizer.step(model, step.grads)
            epoch_losses.append(step.loss)
        losses.append(float(np.mean(epoch_losses)))
        progress(f"epoch {epoch + 1}: mean loss {losses[-1]:.4f}")
    return model, losses


def evaluate(model, images, labels, seed=1):
    """Accuracy on each canvas size and on the plain 28x28 digits."""
    rng = np.random.default_rng(seed)
    results = {f"{s}x{s} canvas": float((model.predict(place_on_canvas(images, s, rng), 128) == labels).mean())
               for s in SIZES}
    results["28x28 digits"] = float((model.predict(images, 128) == labels).mean())
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--train", type=int, default=4000, help="training digits (at most 4000)")
    args = parser.parse_args()
    data = load_sample()
    x_train, y_train = scale_images(data.X_train[:args.train]), data.y_train[:args.train].astype(np.intp)
    x_test, y_test = scale_images(data.X_test), data.y_test.astype(np.intp)
    start = time.perf_counter()
    model, _ = train(x_train, y_train, epochs=args.epochs)
    print(f"trained in {time.perf_counter() - start:.0f} s on {len(y_train)} digits")
    for name, accuracy in evaluate(model, x_test, y_test).items():
        print(f"test accuracy, {name:>14}: {accuracy:.4f}")


if __name__ == "__main__":
    main()
