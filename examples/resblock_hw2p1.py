"""HW2P1's bonus ResBlock (CMU 11-785), built from kit layers with ``nn_residual_block``.

    body     = conv(k, stride s, padding p) -> batch norm -> ReLU -> conv 1x1 -> batch norm
    shortcut = conv(k, s, p) -> batch norm      (the identity when s = 1, k = 1, p = 0 and
                                                 the channel counts agree)
    y        = ReLU(body(x) + shortcut(x))

MyTorch's layers, translated: convolution biases start at 0 (``bias_init_fn=None``), batch
norm has ``alpha = 0.9`` (momentum 0.1 here), ``eps = 1e-8`` and the biased running variance
(``convention="mytorch"``).  ``hw2p1_grader_case()`` repeats the bonus grader's draws
(``np.random.seed(11785)``: the input, the upstream gradient, then MyTorch's N(0, 1) filters
in the order its constructors draw them) for ``ResBlock(3, 64, filter_size=3, stride=4,
padding=4)``.

``python examples/resblock_hw2p1.py [REFERENCE_DIR]`` compares the block with torch and, when
the grader's ``sol_resnet1.npz`` is in REFERENCE_DIR (default: the course reference data
next to this checkout, ``../shared/reference-data/courses/hw2p1_bonus``), with it.
"""

import sys
from pathlib import Path

import numpy as np

import nnlayers as nl

REFERENCE_DIR = (Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "courses"
                 / "hw2p1_bonus")


def conv_block(in_channels, out_channels, kernel, stride, padding):
    """MyTorch's ConvBlock: a convolution (bias 0) and a batch norm."""
    conv = nl.nn_convolutional_layer(kernel, kernel, 1, in_channels, out_channels,  # input_size: unused
                                     stride=stride, padding=padding)
    conv.set_weights(conv.W, np.zeros(out_channels))      # the courses' bias shape (F,)
    return [conv, nl.nn_batchnorm_layer(out_channels, eps=1e-8, momentum=0.1,
                                        convention="mytorch")]


def resblock(in_channels, out_channels, filter_size, stride=3, padding=1):
    """[nn_residual_block, ReLU]: HW2P1's ResBlock as kit layers."""
    body = (conv_block(in_channels, out_channels, filter_size, stride, padding)
            + [nl.nn_relu_layer()] + conv_block(out_channels, out_channels, 1, 1, 0))
    same = stride == 1 and in_channels == out_channels and filter_size == 1 and padding == 0
    shortcut = None if same else conv_block(in_channels, out_channels, filter_size, stride, padding)
    return [nl.nn_residual_block(body, shortcut), nl.nn_relu_layer()]


def convolutions(layers):
    """The block's convolutions in the order MyTorch's constructors draw their filters."""
    block = layers[0]
    return [layer for layer in block.body + block.shortcut
            if isinstance(layer, nl.nn_convolutional_layer)]


def hw2p1_grader_case():
    """The bonus grader's ResBlock test: (layers, x, dLdy) with its draws."""
    np.random.seed(11785)
    x = np.random.randint(0, 255, size=(5, 3, 128, 128))
    dLdy = np.random.randint(0, 255, size=(5, 64, 34, 34))
    layers = resblock(3, 64, filter_size=3, stride=4, padding=4)
    for conv in convolutions(layers):
        conv.set_weights(np.random.normal(0, 1.0, conv.W.shape), conv.b)
    return layers, x, dLdy


def run(layers, x, dLdy):
    """Forward through [block, ReLU], then backprop dLdy: (y, dLdx)."""
    block, relu = layers
    h = block.forward(x)
    y = relu.forward(h)
    dLdx = block.backprop(x, relu.backprop(h, dLdy))[0]
    return y, dLdx


def run_torch(layers, x, dLdy):
    """The same block in torch (float64, training mode): (y, dLdx)."""
    import torch
    F = torch.nn.functional

    def branch(layer_list, h):
        for layer in layer_list:
            if isinstance(layer, nl.nn_convolutional_layer):
                h = F.conv2d(h, torch.tensor(layer.W), torch.tensor(layer.b.reshape(-1)),
                             stride=layer.stride, padding=layer.padding)
            elif isinstance(layer, nl.nn_batchnorm_layer):
                h = F.batch_norm(h, None, None, torch.tensor(layer.gamma),
                                 torch.tensor(layer.beta), training=True, eps=layer.eps)
            else:
                h = torch.relu(h)
        return h

    block = layers[0]
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = torch.relu(branch(block.body, xt) + branch(block.shortcut, xt))
    yt.backward(torch.tensor(dLdy, dtype=torch.float64))
    return yt.detach().numpy(), xt.grad.numpy()


def relative_error(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def main(reference_dir=REFERENCE_DIR):
    layers, x, dLdy = hw2p1_grader_case()
    y, dLdx = run(layers, x, dLdy)
    print(layers[0])
    print(f"x {x.shape} -> y {y.shape}; {len(layers[0].get_weights())} parameter arrays")
    reference = Path(reference_dir) / "sol_resnet1.npz"
    if reference.is_file():
        with np.load(reference, allow_pickle=False) as ref:
            print(f"HW2P1 reference: forward {relative_error(y, ref['forward']):.1e}, "
                  f"backward {relative_error(dLdx, ref['backward']):.1e} (relative)")
    else:
        print(f"HW2P1 reference: {reference} not found, skipped")
    try:
        y_t, dLdx_t = run_torch(layers, x, dLdy)
    except ImportError:
        print("torch: not installed, skipped")
    else:
        print(f"torch: forward {relative_error(y, y_t):.1e}, "
              f"backward {relative_error(dLdx, dLdx_t):.1e} (relative)")


if __name__ == "__main__":
    main(*sys.argv[1:])
