"""Continue in torch: a kit model as an equivalent ``torch.nn.Sequential``, and back.

    net = to_torch(model)          # same weights, same dtype (float64 stays float64)
    model = from_torch(net)        # a kit nn_sequential_model (loss: nn_cross_entropy_loss())

torch is imported inside the functions only, so the kit imports without it.

Kit layer                          torch module
---------------------------------  ------------------------------------------------------
nn_convolutional_layer             nn.Conv2d (stride, padding, dilation)
nn_conv1d_layer                    nn.Conv1d (stride, padding, dilation)
nn_transposed_conv_layer           nn.ConvTranspose2d (stride, padding)
nn_transposed_conv1d_layer         nn.ConvTranspose1d (stride, padding)
nn_linear_layer                    nn.Linear
nn_maxpool_layer / nn_meanpool_layer  nn.MaxPool1d/2d / nn.AvgPool1d/2d (no padding, floor)
nn_global_pool_layer               nn.AdaptiveMaxPool{1,2,3}d(1) / AdaptiveAvgPool..(1), nn.Flatten
nn_downsample_layer(k)             nn.MaxPool1d/2d(kernel_size=1, stride=k) (the same
                                   selection forward and the same scatter backward)
nn_flatten_layer                   nn.Flatten
nn_relu_layer, nn_tanh_layer,      nn.ReLU, nn.Tanh, nn.Sigmoid
nn_sigmoid_layer
nn_softmax_layer                   nn.Softmax(dim=1)
nn_batchnorm_layer                 nn.BatchNorm1d for (N, C) inputs, nn.BatchNorm2d for
                                   (N, C, H, W): running statistics, eps, momentum, and
                                   train/eval mode

nn_upsample_layer inserts zeros between elements; torch has no module that does that
(nn.Upsample repeats elements), so it is refused.  Layers are matched by their exact class (a
subclass may compute something else): other classes are refused with a TypeError.

Biases: the kit keeps ``b`` as (1, F, 1, 1), (1, F, 1) or (1, F); torch as (F,).  A torch
layer without a bias becomes a kit layer whose bias is zero (the same outputs; the kit layer
then learns a bias).  The kit keeps batch norm's running statistics in float64 whatever the
parameters' dtype; torch keeps them in the parameters' dtype, so a float32 model's statistics
are rounded to float32 on export.

Pooling, down-sampling and global pooling take inputs of several ranks in the kit ((N, C, W)
or (N, C, H, W); global pooling also (N, C, D, H, W)), batch norm (N, C) or (N, C, H, W), but
torch has one module per rank.  ``to_torch`` takes the rank from the nearest layer that fixes
it (a convolution takes 4-D inputs, a 1-D convolution 3-D, a linear layer 2-D; flatten and
global pooling give 2-D); pass ``input_ndim`` when nothing does.
"""

import numpy as np

from ._layer import Layer
from .activations import nn_relu_layer, nn_sigmoid_layer, nn_tanh_layer
from .batchnorm import nn_batchnorm_layer
from .conv1d import nn_conv1d_layer
from .dropout import nn_dropout_layer
from .convolution import nn_convolutional_layer
from .flatten import nn_flatten_layer
from .global_pool import nn_global_pool_layer
from .linear import nn_linear_layer
from .loss import nn_cross_entropy_loss
from .maxpool import nn_max_pooling_layer, nn_maxpool_layer
from .meanpool import nn_meanpool_layer
from .residual import nn_residual_block
from .resample import nn_downsample_layer, nn_upsample_layer
from .softmax import nn_softmax_layer
from .transposed_conv import nn_transposed_conv_layer
from .transposed_conv1d import nn_transposed_conv1d_layer
from ._validate import as_int, inner_errors

__all__ = ["to_torch", "from_torch"]


def _import_torch(where):
    try:
        import torch
    except ImportError:
        raise ImportError(f"{where}: needs torch (pip install torch; see the README for the "
                          f"CPU build)") from None
    return torch


# -- kit -> torch -------------------------------------------------------------------------

def _tensor(torch, array, shape=None):
    """A torch copy of ``array`` in its own dtype, reshaped to ``shape``."""
    array = np.array(array, copy=True)
    return torch.from_numpy(array if shape is None else array.reshape(shape))


def _with_weights(torch, module, W, b):
    """``module`` holding copies of W and b (as (F,)) in their dtype, not torch's default."""
    with torch.no_grad():
        module.weight = torch.nn.Parameter(_tensor(torch, W))
        module.bias = torch.nn.Parameter(_tensor(torch, b, (-1,)))
    return module


def _conv(torch, layer, rank):
    f, c, kh, kw = layer.W.shape
    module = torch.nn.Conv2d(c, f, (kh, kw), stride=layer.stride,
                             padding=layer.padding, dilation=layer.dilation)
    return _with_weights(torch, module, layer.W, layer.b)


def _conv1d(torch, layer, rank):
    f, c, k = layer.W.shape
    module = torch.nn.Conv1d(c, f, k, stride=layer.stride, padding=layer.padding,
                             dilation=layer.dilation)
    return _with_weights(torch, module, layer.W, layer.b)


def _transposed(torch, layer, rank):
    c, f, kh, kw = layer.W.shape
    module = torch.nn.ConvTranspose2d(c, f, (kh, kw), stride=layer.stride,
                                      padding=layer.padding)
    return _with_weights(torch, module, layer.W, layer.b)


def _transposed1d(torch, layer, rank):
    c, f, k = layer.W.shape
    module = torch.nn.ConvTranspose1d(c, f, k, stride=layer.stride, padding=layer.padding)
    return _with_weights(torch, module, layer.W, layer.b)


def _linear(torch, layer, rank):
    out_size, in_size = layer.W.shape
    return _with_weights(torch, torch.nn.Linear(in_size, out_size), layer.W, layer.b)


def _pool(torch, layer, rank):
    kind = "Max" if isinstance(layer, nn_maxpool_layer) else "Avg"
    module = getattr(torch.nn, f"{kind}Pool{rank - 2}d")
    return module(layer.pool_size, layer.stride)


def _downsample(torch, layer, rank):
    return getattr(torch.nn, f"MaxPool{rank - 2}d")(1, layer.factor)


def _global_pool(torch, layer, rank):
    kind = "Max" if layer.mode == "max" else "Avg"
    pool = getattr(torch.nn, f"Adaptive{kind}Pool{rank - 2}d")(1)
    return torch.nn.Sequential(pool, torch.nn.Flatten())


def _batchnorm(torch, layer, rank):
    if getattr(layer, "convention", "torch") != "torch":
        raise ValueError(f"to_torch: nn_batchnorm_layer with convention={layer.convention!r} "
                         f"updates its running variance unlike torch's BatchNorm; export a "
                         f"layer with the default convention 'torch'")
    module = getattr(torch.nn, "BatchNorm2d" if rank == 4 else "BatchNorm1d")(
        layer.gamma.size, eps=layer.eps, momentum=layer.momentum)
    dtype = layer.gamma.dtype
    with torch.no_grad():
        module.weight = torch.nn.Parameter(_tensor(torch, layer.gamma))
        module.bias = torch.nn.Parameter(_tensor(torch, layer.beta))
        module.running_mean = _tensor(torch, layer.running_mean.astype(dtype))
        module.running_var = _tensor(torch, layer.running_var.astype(dtype))
    return module.train(layer.training)


# (kit class, converter, needs the input rank), matched on the exact class: a subclass may
# compute something else, so only the course's alias nn_max_pooling_layer is listed too.
_TO_TORCH = [
    (nn_convolutional_layer, _conv, False),
    (nn_conv1d_layer, _conv1d, False),
    (nn_transposed_conv_layer, _transposed, False),
    (nn_transposed_conv1d_layer, _transposed1d, False),
    (nn_linear_layer, _linear, False),
    (nn_maxpool_layer, _pool, True),
    (nn_max_pooling_layer, _pool, True),
    (nn_meanpool_layer, _pool, True),
    (nn_downsample_layer, _downsample, True),
    (nn_global_pool_layer, _global_pool, True),
    (nn_batchnorm_layer, _batchnorm, True),
    (nn_flatten_layer, lambda torch, layer, rank: torch.nn.Flatten(), False),
    (nn_relu_layer, lambda torch, layer, rank: torch.nn.ReLU(), False),
    (nn_tanh_layer, lambda torch, layer, rank: torch.nn.Tanh(), False),
    (nn_sigmoid_layer, lambda torch, layer, rank: torch.nn.Sigmoid(), False),
    (nn_softmax_layer, lambda torch, layer, rank: torch.nn.Softmax(dim=1), False),
]


# Kit layers that torch has no faithful module for, and why.
_REFUSED = {
    nn_upsample_layer: "inserts zeros between elements and torch has no module that does that "
                       "(nn.Upsample repeats them); it cannot be exported",
    nn_dropout_layer: "keeps the mask of its last training forward, and torch's Dropout draws "
                      "its own masks; remove it (or use torch.nn.Dropout) before exporting",
    nn_residual_block: "is a sum of two branches, which torch.nn.Sequential cannot express; "
                       "export its branches one by one",
}


def _converter(layer):
    """``(convert, needs_rank)`` for ``layer``, or the TypeError (without importing torch)."""
    for kit_class, convert, needs_rank in _TO_TORCH:
        if type(layer) is kit_class:
            return convert, needs_rank
    if type(layer) in _REFUSED:
        raise TypeError(f"to_torch: {type(layer).__name__} {_REFUSED[type(layer)]}")
    supported = ", ".join(kit_class.__name__ for kit_class, _, _ in _TO_TORCH)
    raise TypeError(f"to_torch: {type(layer).__name__} has no torch counterpart here; the "
                    f"supported layers are {supported}")


def _input_ranks(layers, input_ndim):
    """The rank of each layer's input (None where nothing tells): the given ``input_ndim``,
    else the first layer with one fixed rank, back to the start; flatten and global pooling
    give 2."""
    ranks, rank = [], input_ndim
    for layer in layers:
        fixed = layer.input_ndim if isinstance(layer.input_ndim, int) else None
        if rank is None and fixed is not None:
            ranks, rank = [fixed if r is None else r for r in ranks], fixed
        ranks.append(rank)
        if isinstance(layer, (nn_flatten_layer, nn_global_pool_layer)):
            rank = 2
    return ranks


def _check_rank(i, layer, rank):
    accepted = (layer.input_ndim,) if isinstance(layer.input_ndim, int) else layer.input_ndim
    if rank is None:
        wanted = " or ".join(str(n) for n in accepted)
        raise ValueError(f"to_torch: nothing before or after layers[{i}] "
                         f"({type(layer).__name__}) fixes the rank of its input, and torch has "
                         f"one module per rank; pass input_ndim={wanted}")
    if rank not in accepted:
        raise ValueError(f"to_torch: layers[{i}] ({type(layer).__name__}) would get "
                         f"{rank}-D inputs, it takes {accepted}")


def _kit_layers(where, model_or_layer):
    from .model import nn_sequential_model
    if isinstance(model_or_layer, nn_sequential_model):
        return list(model_or_layer.layers), True
    if isinstance(model_or_layer, Layer):
        return [model_or_layer], False
    raise TypeError(f"{where}: model_or_layer must be an nn_sequential_model or a kit layer, "
                    f"got {type(model_or_layer).__name__}")


def to_torch(model_or_layer, input_ndim=None):
    """An equivalent torch module holding copies of the weights, in their dtype.

    A model gives a ``torch.nn.Sequential`` of one module per layer (two for global pooling:
    the pool and ``nn.Flatten``); a single layer gives its module.
    ``input_ndim`` (2 to 5) is the rank of the input x: (N, D), (N, C, W), (N, C, H, W) or
    (N, C, D, H, W); it is needed only when no layer fixes it (see the module docstring).
    Batch-norm modules are in the mode (train/eval) of their kit layers.  Raises TypeError
    for a layer with no torch counterpart, naming its class.
    """
    where = "to_torch"
    layers, is_model = _kit_layers(where, model_or_layer)
    if input_ndim is not None and as_int(where, "input_ndim", input_ndim) not in (2, 3, 4, 5):
        raise ValueError(f"{where}: input_ndim must be None, 2, 3, 4 or 5, got {input_ndim!r}")
    input_ndim = None if input_ndim is None else int(input_ndim)
    converters = [_converter(layer) for layer in layers]   # every TypeError before torch
    torch = _import_torch(where)
    modules = []
    for i, (layer, (convert, needs_rank), rank) in enumerate(
            zip(layers, converters, _input_ranks(layers, input_ndim))):
        if needs_rank:
            _check_rank(i, layer, rank)
        module = convert(torch, layer, rank)
        modules.extend(module if isinstance(module, torch.nn.Sequential) and is_model
                       else [module])
    if not is_model:
        return modules[0]
    net = torch.nn.Sequential(*modules)
    net.training = all(m.training for m in modules)
    return net


# -- torch -> kit -------------------------------------------------------------------------

_NUMPY_DTYPES = ("torch.float16", "torch.float32", "torch.float64")


def _numpy(tensor):
    """A NumPy copy of a float16/32/64 tensor that holds data (else a TypeError/ValueError)."""
    if str(tensor.dtype) not in _NUMPY_DTYPES:
        raise TypeError(f"from_torch: the module's weights are {tensor.dtype}; the kit takes "
                        f"{', '.join(_NUMPY_DTYPES)} (convert it first, e.g. module.double())")
    if tensor.is_meta:
        raise ValueError("from_torch: the module's weights are on the meta device and hold no "
                         "data (materialise it first, e.g. module.to_empty(device='cpu'))")
    return tensor.detach().cpu().numpy().copy()


def _refuse(module, why):
    raise ValueError(f"from_torch: {type(module).__name__} with {why} has no kit counterpart")


def _require(module, **expected):
    """A ValueError naming the first attribute of ``module`` that is not as expected."""
    for name, wanted in expected.items():
        got = getattr(module, name)
        if got != wanted and not (isinstance(got, tuple) and set(got) == {wanted}):
            _refuse(module, f"{name}={got!r} (the kit has only {name}={wanted!r})")


def _pair_or_int(value, rank):
    """torch's kernel/stride/padding value as the kit takes it: an int for 1-D modules."""
    if rank == 1:
        return int(value[0]) if isinstance(value, tuple) else int(value)
    return tuple(int(v) for v in value) if isinstance(value, tuple) else int(value)


def _padding(module):
    if module.padding == "valid":
        return 0
    if isinstance(module.padding, str):
        _refuse(module, f"padding={module.padding!r}")
    return module.padding


def _weighted(layer, module):
    """``layer`` holding copies of the module's weight and bias (zero if it has none)."""
    W = _numpy(module.weight)
    b = (np.zeros(layer.b.shape, dtype=W.dtype) if module.bias is None
         else _numpy(module.bias).reshape(layer.b.shape))
    layer.set_weights(W, b)
    return layer


def _from_conv(module, torch):
    _require(module, groups=1, padding_mode="zeros")
    f, c, kh, kw = module.weight.shape
    layer = nn_convolutional_layer(kh, kw, (kh, kw), c, f, stride=module.stride,
                                   padding=_padding(module), dilation=module.dilation)
    return _weighted(layer, module)


def _from_conv1d(module, torch):
    _require(module, groups=1, padding_mode="zeros")
    f, c, k = module.weight.shape
    layer = nn_conv1d_layer(k, c, f, stride=module.stride[0],
                            padding=_pair_or_int(_padding(module), 1),
                            dilation=module.dilation[0])
    return _weighted(layer, module)


def _from_transposed(module, torch):
    _require(module, groups=1, padding_mode="zeros", dilation=1, output_padding=0)
    c, f, kh, kw = module.weight.shape
    layer = nn_transposed_conv_layer(kh, kw, c, f, stride=module.stride, padding=module.padding)
    return _weighted(layer, module)


def _from_transposed1d(module, torch):
    _require(module, groups=1, padding_mode="zeros", dilation=1, output_padding=0)
    c, f, k = module.weight.shape
    layer = nn_transposed_conv1d_layer(k, c, f, stride=module.stride[0],
                                       padding=module.padding[0])
    return _weighted(layer, module)


def _from_linear(module, torch):
    out_size, in_size = module.weight.shape
    return _weighted(nn_linear_layer(in_size, out_size), module)


def _from_pool(module, torch):
    rank = 1 if type(module).__name__.endswith("1d") else 2
    if type(module).__name__.startswith("Max"):
        _require(module, padding=0, dilation=1, ceil_mode=False, return_indices=False)
        kit_class = nn_maxpool_layer
    else:
        _require(module, padding=0, ceil_mode=False)
        if getattr(module, "divisor_override", None) is not None:
            _refuse(module, f"divisor_override={module.divisor_override!r}")
        kit_class = nn_meanpool_layer
    pool = _pair_or_int(module.kernel_size, rank)
    stride = _pair_or_int(module.stride, rank)
    if kit_class is nn_maxpool_layer and pool in (1, (1, 1)) and len(set(np.ravel(stride))) == 1:
        return nn_downsample_layer(int(np.ravel(stride)[0]))
    return kit_class(pool, stride)


def _from_batchnorm(module, torch):
    _require(module, affine=True, track_running_stats=True)
    if module.momentum is None:
        _refuse(module, "momentum=None (a cumulative average)")
    layer = nn_batchnorm_layer(module.num_features, eps=module.eps, momentum=module.momentum)
    layer.set_weights(_numpy(module.weight), _numpy(module.bias))
    layer.running_mean = _numpy(module.running_mean).astype(np.float64)
    layer.running_var = _numpy(module.running_var).astype(np.float64)
    return layer.train() if module.training else layer.eval()


def _from_global_pool(module, torch):
    if module.output_size not in (1, (1,), (1, 1), (1, 1, 1)):
        _refuse(module, f"output_size={module.output_size!r} (the kit pools to one value)")
    if getattr(module, "return_indices", False):
        _refuse(module, "return_indices=True")
    return nn_global_pool_layer("max" if "Max" in type(module).__name__ else "mean")


def _from_flatten(module, torch):
    _require(module, start_dim=1, end_dim=-1)
    return nn_flatten_layer()


def _from_softmax(module, torch):
    if module.dim not in (1, -1):   # the kit's softmax takes (N, K): axis 1 is the last
        _refuse(module, f"dim={module.dim!r} (the kit's softmax is over axis 1 of (N, K))")
    return nn_softmax_layer()


_FROM_TORCH = {
    "Conv2d": _from_conv, "Conv1d": _from_conv1d, "ConvTranspose2d": _from_transposed,
    "ConvTranspose1d": _from_transposed1d,
    "Linear": _from_linear,
    "MaxPool1d": _from_pool, "MaxPool2d": _from_pool, "AvgPool1d": _from_pool,
    "AvgPool2d": _from_pool,
    "AdaptiveMaxPool1d": _from_global_pool, "AdaptiveMaxPool2d": _from_global_pool,
    "AdaptiveMaxPool3d": _from_global_pool, "AdaptiveAvgPool1d": _from_global_pool,
    "AdaptiveAvgPool2d": _from_global_pool, "AdaptiveAvgPool3d": _from_global_pool,
    "BatchNorm1d": _from_batchnorm, "BatchNorm2d": _from_batchnorm,
    "Flatten": _from_flatten, "Softmax": _from_softmax,
    "ReLU": lambda module, torch: nn_relu_layer(),
    "Tanh": lambda module, torch: nn_tanh_layer(),
    "Sigmoid": lambda module, torch: nn_sigmoid_layer(),
}


def _leaves(torch, module):
    """The modules of ``module`` in order, nested ``nn.Sequential``s opened."""
    if isinstance(module, torch.nn.Sequential):
        return [leaf for child in module for leaf in _leaves(torch, child)]
    return [module]


def from_torch(module, loss=None):
    """A kit ``nn_sequential_model`` computing what ``module`` computes, with copies of its
    weights in their dtype.

    ``module``: a ``torch.nn.Sequential`` (nested ones are opened) or a single module of
    the types in the module docstring's table, exactly (a subclass may compute something
    else, so it is refused).  An adaptive pool to size 1 must be followed by ``nn.Flatten``
    (the kit's global pooling returns (N, C)).  ``loss``: the kit loss of the model,
    default ``nn_cross_entropy_loss()``.  Raises TypeError for a module type the kit does
    not have, naming it, and ValueError for a setting it does not have (groups=2, ...).
    """
    from .model import nn_sequential_model
    where = "from_torch"
    torch = _import_torch(where)
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"{where}: module must be a torch.nn.Module, got {type(module).__name__}")
    leaves = _leaves(torch, module)
    if not leaves:
        raise ValueError(f"{where}: module is an empty nn.Sequential")
    layers, i = [], 0
    while i < len(leaves):
        leaf = leaves[i]
        name = type(leaf).__name__
        if getattr(torch.nn, name, None) is not type(leaf) or name not in _FROM_TORCH:
            raise TypeError(f"{where}: {name} has no kit counterpart; the supported modules "
                            f"are {', '.join(sorted(_FROM_TORCH))} (nn.Sequential opened)")
        with inner_errors(where, f"{name} (module {i})"):   # e.g. BatchNorm2d(eps=0)
            layers.append(_FROM_TORCH[name](leaf, torch))
        if name.startswith("Adaptive"):
            follower = leaves[i + 1] if i + 1 < len(leaves) else None
            if not isinstance(follower, torch.nn.Flatten):
                got = "nothing" if follower is None else type(follower).__name__
                raise ValueError(f"{where}: {name} must be followed by nn.Flatten (the kit's "
                                 f"global pooling returns (N, C)), got {got}")
            _from_flatten(follower, torch)
            i += 1
        i += 1
    with inner_errors(where, "loss"):
        return nn_sequential_model(layers, nn_cross_entropy_loss() if loss is None else loss)
