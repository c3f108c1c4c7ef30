"""The course's gradient accuracy protocol, written out as the course's script does it.

Forward differences with step dt, an upstream gradient of ones, weights moved
with update_weights; accuracy = 100 - mean(|apprx - exact| / |exact|) * 100.
"""

import numpy as np


def conv_accuracy(layer, x, num_test=5, dt=1e-3, seed=0):
    """(dLdx %, dLdW %, dLdb %) of the course's test loop for a conv layer."""
    rng = np.random.default_rng(seed)
    err = {"dLdx": 0.0, "dLdW": 0.0, "dLdb": 0.0}
    for _ in range(num_test):
        delta = rng.normal(0, 1, x.shape) * dt
        y1 = layer.forward(x)
        y2 = layer.forward(x + delta)
        bp, _, _ = layer.backprop(x, np.ones(y1.shape))
        exact, apprx = np.sum(y2 - y1) / dt, np.sum(delta * bp) / dt
        err["dLdx"] += abs((apprx - exact) / exact) / num_test * 100

        for index, name in ((0, "dLdW"), (1, "dLdb")):
            # move one parameter by a random step, the other by zeros, as the course does
            params = layer.get_weights()
            steps = [np.zeros(p.shape) for p in params]
            steps[index] = rng.normal(0, 1, params[index].shape) * dt
            z1 = layer.forward(x)
            grad = layer.backprop(x, np.ones(z1.shape))[1 + index]
            layer.update_weights(*steps)
            z2 = layer.forward(x)
            exact, apprx = np.sum(z2 - z1) / dt, np.sum(steps[index] * grad) / dt
            err[name] += abs((apprx - exact) / exact) / num_test * 100
    return {name: 100 - value for name, value in err.items()}


def pool_accuracy(layer, x, num_test=5, dt=1e-3, seed=0):
    """dLdx % of the course's test loop for a pooling layer."""
    rng = np.random.default_rng(seed)
    err = 0.0
    for _ in range(num_test):
        delta = rng.normal(0, 1, x.shape) * dt
        y1 = layer.forward(x)
        y2 = layer.forward(x + delta)
        bpm = layer.backprop(x, np.ones(y1.shape))
        exact, apprx = np.sum(y2 - y1) / dt, np.sum(delta * bpm) / dt
        err += abs((apprx - exact) / exact) / num_test * 100
    return 100 - err
