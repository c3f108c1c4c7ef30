"""One table of every layer in ``nnlayers.__all__``: what the common tests run every layer through.

A new layer is tested by being registered here (``test_layer_table.py`` fails for a layer of
``nnlayers.__all__`` that is missing).  Each entry gives

    make(seed)   a small instance (seed: its initial weights)
    x_shape      an input shape with odd sizes
    inputs       "normal", "tie_free" (distinct values: max layers) or "away_from_zero" (ReLU)
    torch_twin   f(torch, x, *params) -> y, the same computation in torch (None: no twin)

Dropout is registered with a fixed mask (``fix_mask``), so that its training forward is a
function of x alone, as the interleaving and gradient tests need; the residual block holds a
batch norm, so its buffers (dotted names, ``body.2.running_mean``) go through save/load too.

Losses take ``(logits, labels)`` rather than ``(x, dLdy)``; they are tested in
``test_family_*`` and ``test_model_optim.py``.
"""

import numpy as np

import nnlayers as nl


def _conv_twin(torch, x, W, b):
    return torch.nn.functional.conv2d(x, W, b.reshape(-1), stride=2, padding=1, dilation=(1, 2))


def _batchnorm_twin(torch, x, gamma, beta):
    c = x.shape[1]
    return torch.nn.functional.batch_norm(x, torch.zeros(c, dtype=x.dtype), torch.ones(c, dtype=x.dtype),
                                          gamma, beta, training=True, momentum=0.1, eps=1e-5)


def _upsample_twin(torch, x):
    c = x.shape[1]
    ones = torch.ones((c, 1, 1, 1), dtype=x.dtype)
    return torch.nn.functional.conv_transpose2d(x, ones, stride=3, groups=c)


def _resolve(layer, dotted):
    """``layer.body[1].gamma`` for ``"body.1.gamma"``: a container's dotted attribute names."""
    for part in dotted.split("."):
        layer = layer[int(part)] if part.isdigit() else getattr(layer, part)
    return layer


def attribute(layer, name):
    """The parameter or buffer ``name`` of ``layer`` (a dotted name inside a container)."""
    return _resolve(layer, name)


_DROPOUT_SHAPE = (2, 3, 5, 4)
_DROPOUT_MASK = np.random.default_rng(7).random(_DROPOUT_SHAPE) >= 0.5


def _residual(seed):
    body = [nl.nn_convolutional_layer(3, 3, 5, 3, 4, padding=1, rng=seed), nl.nn_tanh_layer(),
            nl.nn_batchnorm_layer(4), nl.nn_convolutional_layer(3, 3, 5, 4, 3, padding=1, rng=seed + 1)]
    return nl.nn_residual_block(body)


def _residual_twin(torch, x, W1, b1, gamma, beta, W2, b2):
    F = torch.nn.functional
    h = _batchnorm_twin(torch, torch.tanh(F.conv2d(x, W1, b1.reshape(-1), padding=1)), gamma, beta)
    return F.conv2d(h, W2, b2.reshape(-1), padding=1) + x


LAYERS = {
    "nn_convolutional_layer": (
        lambda s: nl.nn_convolutional_layer(3, 2, 9, 3, 4, stride=2, padding=1, dilation=(1, 2), rng=s),
        (2, 3, 9, 8), "normal", _conv_twin),
    "nn_conv1d_layer": (
        lambda s: nl.nn_conv1d_layer(3, 3, 4, stride=2, padding=1, dilation=2, rng=s),
        (2, 3, 11), "normal",
        lambda torch, x, W, b: torch.nn.functional.conv1d(x, W, b.reshape(-1), stride=2, padding=1,
                                                          dilation=2)),
    "nn_transposed_conv_layer": (
        lambda s: nl.nn_transposed_conv_layer(3, 2, 3, 4, stride=2, padding=1, rng=s),
        (2, 3, 5, 4), "normal",
        lambda torch, x, W, b: torch.nn.functional.conv_transpose2d(x, W, b.reshape(-1), stride=2,
                                                                    padding=1)),
    "nn_linear_layer": (lambda s: nl.nn_linear_layer(7, 5, rng=s), (4, 7), "normal",
                        lambda torch, x, W, b: torch.nn.functional.linear(x, W, b.reshape(-1))),
    "nn_batchnorm_layer": (lambda s: nl.nn_batchnorm_layer(3), (4, 3, 5, 6), "normal", _batchnorm_twin),
    "nn_maxpool_layer": (lambda s: nl.nn_maxpool_layer(3, 2), (2, 3, 9, 8), "tie_free",
                         lambda torch, x: torch.nn.functional.max_pool2d(x, 3, 2)),
    "nn_max_pooling_layer": (lambda s: nl.nn_max_pooling_layer(stride=1, pool_size=2), (2, 3, 5, 4),
                             "tie_free", lambda torch, x: torch.nn.functional.max_pool2d(x, 2, 1)),
    "nn_meanpool_layer": (lambda s: nl.nn_meanpool_layer(3, 2), (2, 3, 9, 8), "normal",
                          lambda torch, x: torch.nn.functional.avg_pool2d(x, 3, 2)),
    "nn_global_pool_layer": (lambda s: nl.nn_global_pool_layer("max"), (2, 3, 7, 5), "tie_free",
                             lambda torch, x: x.amax(dim=(2, 3))),
    "nn_flatten_layer": (lambda s: nl.nn_flatten_layer(), (2, 3, 4, 5), "normal",
                         lambda torch, x: x.flatten(1)),
    "nn_upsample_layer": (lambda s: nl.nn_upsample_layer(3), (2, 3, 5, 4), "normal", _upsample_twin),
    "nn_downsample_layer": (lambda s: nl.nn_downsample_layer(2), (2, 3, 7, 6), "normal",
                            lambda torch, x: x[:, :, ::2, ::2]),
    "nn_relu_layer": (lambda s: nl.nn_relu_layer(), (3, 4, 5), "away_from_zero",
                      lambda torch, x: torch.relu(x)),
    "nn_tanh_layer": (lambda s: nl.nn_tanh_layer(), (3, 4, 5), "normal", lambda torch, x: torch.tanh(x)),
    "nn_sigmoid_layer": (lambda s: nl.nn_sigmoid_layer(), (3, 4, 5), "normal",
                         lambda torch, x: torch.sigmoid(x)),
    "nn_softmax_layer": (lambda s: nl.nn_softmax_layer(), (4, 6), "normal",
                         lambda torch, x: torch.softmax(x, dim=1)),
    "nn_transposed_conv1d_layer": (
        lambda s: nl.nn_transposed_conv1d_layer(3, 3, 4, stride=2, padding=1, rng=s),
        (2, 3, 7), "normal",
        lambda torch, x, W, b: torch.nn.functional.conv_transpose1d(x, W, b.reshape(-1), stride=2,
                                                                    padding=1)),
    "nn_dropout_layer": (lambda s: nl.nn_dropout_layer(0.5, rng=s).fix_mask(_DROPOUT_MASK),
                         _DROPOUT_SHAPE, "normal",
                         lambda torch, x: x * torch.tensor(_DROPOUT_MASK) / 0.5),
    "nn_residual_block": (_residual, (2, 3, 5, 6), "normal", _residual_twin),
}


def layer_names_in_the_kit():
    """The public layer classes: every ``nnlayers.Layer`` subclass in ``__all__`` but losses."""
    from nnlayers._layer import Layer
    return sorted(name for name in nl.__all__
                  if isinstance(getattr(nl, name), type) and issubclass(getattr(nl, name), Layer)
                  and not name.endswith("_loss"))


def make_input(shape, kind, rng):
    """An input of ``shape``: normal draws, distinct shuffled values, or values |x| >= 0.1."""
    if kind == "tie_free":
        values = np.linspace(-1, 1, int(np.prod(shape)))
        return rng.permutation(values).reshape(shape)
    x = rng.normal(size=shape)
    if kind == "away_from_zero":
        x = np.where(np.abs(x) < 0.1, 0.1 * np.sign(x) + 0.1 * (x == 0), x)
    return x
