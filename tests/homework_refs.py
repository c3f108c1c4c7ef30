"""Torch truth for the homework fixtures: what each graded class must compute.

Every reference is a torch function of float64 tensors ``f(x, *params) -> y``; autograd gives
the gradients.  Shapes follow each course:
- conv2d: x (N, C, H, W), W (F, C, KH, KW), b (F,) reshaped as the course stores it;
- conv1d: x (N, C, L), W (F, C, K), b (F,);
- transposed conv (MyTorch): upsample by k (k - 1 zeros between samples), then conv stride 1;
- max/mean pooling: windows (KH, KW) stepped by the stride, trailing rows dropped;
  a tie goes to the first maximum in row-major order (torch's rule);
- affine: x (N, d1, ..., dk) flattened to (N, D), W (D, M), b (M,).
"""

import numpy as np

torch = None  # imported by the test module (it skips without torch)
F = None


def use_torch(module):
    global torch, F
    torch = module
    F = module.nn.functional


def upsample(x, k):
    """(N, C, L) -> (N, C, k*(L-1)+1), or (N, C, H, W) -> (N, C, k*(H-1)+1, k*(W-1)+1)."""
    size = [k * (n - 1) + 1 for n in x.shape[2:]]
    out = x.new_zeros(tuple(x.shape[:2]) + tuple(size))
    index = (slice(None), slice(None)) + tuple(slice(None, None, k) for _ in size)
    out[index] = x
    return out


def conv2d(x, w, b, stride=1, padding=0):
    return F.conv2d(x, w, b.reshape(-1), stride=stride, padding=padding)


def conv1d(x, w, b, stride=1, padding=0):
    return F.conv1d(x, w, b.reshape(-1), stride=stride, padding=padding)


def conv_transpose(x, w, b, k):
    conv = conv1d if x.dim() == 3 else conv2d
    return conv(upsample(x, k), w, b)


def max_pool(x, kernel, stride):
    return F.max_pool2d(x, kernel, stride)


def mean_pool(x, kernel, stride):
    return F.avg_pool2d(x, kernel, stride)


def downsample(x, k):
    index = (slice(None), slice(None)) + tuple(slice(None, None, k) for _ in x.shape[2:])
    return x[index]


def affine(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b


def relu(x):
    return torch.relu(x)


def flatten(x):
    return x.reshape(x.shape[0], -1)


def truth(function, x, params, dy, **config):
    """Rows of the reference: {'forward': y, 'dLdx': ..., 'dLdW': ..., 'dLdb': ...} as NumPy."""
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, *params)]
    y = function(*tensors, **config)
    rows = {"forward": y.detach().numpy()}
    if dy is not None:
        y.backward(torch.tensor(dy, dtype=torch.float64))
        for name, tensor in zip(("dLdx", "dLdW", "dLdb"), tensors):
            rows[name] = tensor.grad.numpy()
    return rows


def output_shape(function, x, params, **config):
    return truth(function, x, params, None, **config)["forward"].shape


def tie_free(rng, shape):
    """Distinct values (spacing 0.01) in a random order: no ties, no ordered ramp."""
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.01 - 1.0


def tie_filled(rng, shape):
    """Small integers: most pooling windows hold a tied maximum."""
    return rng.integers(0, 3, shape).astype(np.float64)
