"""nnlayers.torch_bridge: a kit model and its torch export compute the same, in float64.

The reference is torch itself: its modules' forward and its autograd's gradients of
F.cross_entropy, against the kit's forward and train_step.
"""

import subprocess
import sys

import numpy as np
import pytest

import nnlayers as nl
from mnist_demo.train import build_cnn
from nnlayers import torch_bridge

TOL = dict(rtol=1e-12, atol=1e-12)


def _net_2d(rng):
    """(N, 3, 9, 8) inputs through every 4-D layer type."""
    return nl.nn_sequential_model([
        nl.nn_convolutional_layer(3, 2, 9, 3, 4, stride=1, padding=1, dilation=(1, 2), rng=rng),
        nl.nn_batchnorm_layer(4, eps=1e-3, momentum=0.2), nl.nn_relu_layer(),
        nl.nn_maxpool_layer(2, 1),
        nl.nn_transposed_conv_layer(3, 3, 4, 3, stride=2, padding=1, rng=rng),
        nl.nn_max_pooling_layer(stride=1, pool_size=2),
        nl.nn_meanpool_layer((2, 3), (2, 1)), nl.nn_downsample_layer(2), nl.nn_tanh_layer(),
        nl.nn_flatten_layer(), nl.nn_linear_layer(3 * 4 * 5, 6, rng=rng), nl.nn_sigmoid_layer(),
        nl.nn_batchnorm_layer(6), nl.nn_linear_layer(6, 5, rng=rng), nl.nn_softmax_layer(),
    ], nl.nn_cross_entropy_loss())


def _net_1d(rng):
    """(N, 2, 23) inputs through the 1-D layers and both global poolings."""
    return nl.nn_sequential_model([
        nl.nn_conv1d_layer(3, 2, 4, stride=2, padding=1, dilation=2, rng=rng), nl.nn_tanh_layer(),
        nl.nn_transposed_conv1d_layer(3, 4, 4, stride=2, padding=1, rng=rng),
        nl.nn_maxpool_layer(2), nl.nn_meanpool_layer(2, 1), nl.nn_downsample_layer(2),
        nl.nn_global_pool_layer("mean"), nl.nn_linear_layer(4, 5, rng=rng),
    ], nl.nn_cross_entropy_loss())


def _net_global_max(rng):
    return nl.nn_sequential_model([
        nl.nn_convolutional_layer(3, 3, 7, 2, 5, padding=1, rng=rng),
        nl.nn_global_pool_layer("max"), nl.nn_linear_layer(5, 3, rng=rng),
    ], nl.nn_cross_entropy_loss())


NETS = {  # name: (make(rng), input shape, number of classes)
    "mnist_cnn": (lambda rng: build_cnn(seed=3, dtype="float64"), (3, 1, 28, 28), 10),
    "every_2d_layer": (_net_2d, (4, 3, 9, 8), 5),
    "every_1d_layer": (_net_1d, (4, 2, 23), 5),
    "global_max": (_net_global_max, (3, 2, 7, 6), 3),
}


def _case(name, seed=0):
    make, x_shape, classes = NETS[name]
    rng = np.random.default_rng(seed)
    model = make(rng)
    for layer in model.parameter_layers():   # batch norm starts at gamma=1, beta=0: move it
        if isinstance(layer, nl.nn_batchnorm_layer):
            c = layer.gamma.shape
            layer.set_weights(rng.uniform(0.5, 1.5, c), rng.normal(size=c))
            layer.running_mean, layer.running_var = rng.normal(size=c), rng.uniform(0.5, 2, c)
    return model, rng.normal(size=x_shape), rng.integers(0, classes, x_shape[0])


def _buffers(model):
    return [getattr(layer, name) for layer in model.layers for name in layer.buffer_names]


def test_every_supported_layer_type_is_in_a_net():
    kinds = {type(layer) for name in NETS for layer in _case(name)[0].layers}
    supported = {kit_class for kit_class, _, _ in torch_bridge._TO_TORCH}
    assert supported <= kinds


def test_every_kit_layer_is_exported_or_refused_by_name():
    from layer_table import LAYERS
    exported = {kit_class for kit_class, _, _ in torch_bridge._TO_TORCH}
    for name in LAYERS:
        assert getattr(nl, name) in exported | set(torch_bridge._REFUSED), name


@pytest.mark.parametrize("name", sorted(NETS))
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_outputs_gradients_and_running_stats_agree(name, mode):
    torch = pytest.importorskip("torch")
    model, x, labels = _case(name)
    getattr(model, mode)()
    net = model.to_torch()
    norms = [m for m in net if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert all(m.training == (mode == "train") for m in norms)
    xt = torch.from_numpy(x.copy())
    assert all(p.dtype == torch.float64 for p in net.parameters())

    step = model.train_step(x, labels)
    logits = net(xt)                   # one forward each: batch norm updates its statistics once
    loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels))
    loss.backward()

    np.testing.assert_allclose(step.logits, logits.detach().numpy(), **TOL)
    np.testing.assert_allclose(step.loss, loss.item(), **TOL)
    kit_grads = [g for grads in step.grads for g in grads]
    torch_params = list(net.parameters())
    assert len(kit_grads) == len(torch_params)
    for g, p in zip(kit_grads, torch_params):
        np.testing.assert_allclose(np.reshape(g, p.shape), p.grad.numpy(), **TOL)
    torch_buffers = [b.numpy() for module in net for b in (getattr(module, "running_mean", None),
                     getattr(module, "running_var", None)) if b is not None]
    assert len(_buffers(model)) == len(torch_buffers)
    for kit_buffer, torch_buffer in zip(_buffers(model), torch_buffers):
        np.testing.assert_allclose(kit_buffer, torch_buffer, **TOL)


@pytest.mark.parametrize("name", sorted(NETS))
def test_forward_outputs_agree(name):
    torch = pytest.importorskip("torch")
    model, x, _ = _case(name, seed=1)
    net = model.to_torch()
    y_torch = net(torch.from_numpy(x.copy())).detach().numpy()
    np.testing.assert_allclose(model.forward(x), y_torch, **TOL)


@pytest.mark.parametrize("name", sorted(NETS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_round_trip_gives_identical_arrays(name, dtype):
    pytest.importorskip("torch")
    model, _, _ = _case(name, seed=2)
    model.astype(dtype).eval()
    back = nl.nn_sequential_model.from_torch(model.to_torch())
    expected = model.architecture()   # the course's alias comes back as the layer it names
    for record in expected:
        if record["layer"] == "nn_max_pooling_layer":
            record["layer"] = "nn_maxpool_layer"
    assert back.architecture() == expected
    ours, theirs = model._arrays(), back._arrays()
    assert ours.keys() == theirs.keys()
    for key in ours:   # running statistics: float64 in the kit, the parameters' dtype in torch
        exported = ours[key].astype(dtype) if key.endswith(("_mean", "_var")) else ours[key]
        assert theirs[key].dtype == ours[key].dtype, key
        np.testing.assert_array_equal(theirs[key], exported, err_msg=key)
    assert [getattr(l, "training", None) for l in back.layers] == \
           [getattr(l, "training", None) for l in model.layers]
    assert type(back.loss) is nl.nn_cross_entropy_loss


def test_a_single_layer_and_a_given_loss():
    torch = pytest.importorskip("torch")
    conv = nl.nn_conv1d_layer(3, 2, 4, stride=2, rng=0)
    module = torch_bridge.to_torch(conv)
    assert isinstance(module, torch.nn.Conv1d)
    x = np.random.default_rng(0).normal(size=(2, 2, 9))
    np.testing.assert_allclose(module(torch.from_numpy(x)).detach().numpy(), conv.forward(x), **TOL)
    loss = nl.nn_cross_entropy_loss()
    model = nl.nn_sequential_model.from_torch(torch.nn.Linear(3, 2, dtype=torch.float64), loss=loss)
    assert model.loss is loss and isinstance(model.layers[0], nl.nn_linear_layer)


def test_a_torch_layer_without_bias_gets_a_zero_bias():
    torch = pytest.importorskip("torch")
    module = torch.nn.Conv2d(2, 3, 3, bias=False, dtype=torch.float64)
    model = nl.nn_sequential_model.from_torch(torch.nn.Sequential(module, torch.nn.Flatten()))
    x = np.random.default_rng(0).normal(size=(2, 2, 5, 5))
    assert not model.layers[0].b.any()
    y_torch = module(torch.from_numpy(x)).flatten(1).detach().numpy()
    np.testing.assert_allclose(model.forward(x), y_torch, **TOL)


def test_unsupported_kit_layers_raise_type_errors_naming_them():
    class my_layer(nl.nn_relu_layer):
        pass

    with pytest.raises(TypeError, match="to_torch: nn_upsample_layer inserts zeros"):
        torch_bridge.to_torch(nl.nn_upsample_layer(2))
    model = nl.nn_sequential_model([nl.nn_flatten_layer(), my_layer()], nl.nn_cross_entropy_loss())
    with pytest.raises(TypeError, match="to_torch: my_layer has no torch counterpart"):
        model.to_torch()
    with pytest.raises(TypeError, match="model_or_layer must be .* got str"):
        torch_bridge.to_torch("net")


def test_a_rank_nothing_fixes_must_be_given():
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match=r"layers\[0\] \(nn_maxpool_layer\).*input_ndim=3 or 4"):
        torch_bridge.to_torch(nl.nn_maxpool_layer(2))
    assert type(torch_bridge.to_torch(nl.nn_maxpool_layer(2), input_ndim=3)).__name__ == "MaxPool1d"
    with pytest.raises(ValueError, match="input_ndim must be None, 2, 3, 4 or 5, got 6"):
        torch_bridge.to_torch(nl.nn_maxpool_layer(2), input_ndim=6)
    with pytest.raises(ValueError, match=r"layers\[0\] \(nn_maxpool_layer\) would get 5-D inputs"):
        torch_bridge.to_torch(nl.nn_maxpool_layer(2), input_ndim=5)


def test_unsupported_torch_modules_raise():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="from_torch: Dropout has no kit counterpart"):
        nl.nn_sequential_model.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2),
                                                              torch.nn.Dropout()))
    with pytest.raises(ValueError, match="from_torch: Softmax with dim=0"):
        nl.nn_sequential_model.from_torch(torch.nn.Softmax(dim=0))
    with pytest.raises(ValueError, match="from_torch: Conv2d with groups=2"):
        nl.nn_sequential_model.from_torch(torch.nn.Conv2d(2, 2, 3, groups=2))
    with pytest.raises(ValueError, match="from_torch: MaxPool2d with ceil_mode=True"):
        nl.nn_sequential_model.from_torch(torch.nn.MaxPool2d(2, ceil_mode=True))
    with pytest.raises(ValueError, match="AdaptiveAvgPool2d must be followed by nn.Flatten"):
        nl.nn_sequential_model.from_torch(torch.nn.AdaptiveAvgPool2d(1))
    with pytest.raises(TypeError, match="module must be a torch.nn.Module, got list"):
        nl.nn_sequential_model.from_torch([torch.nn.ReLU()])


def test_the_kit_imports_without_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import nnlayers, nnlayers.torch_bridge\n"
            "try:\n    nnlayers.torch_bridge.to_torch(nnlayers.nn_relu_layer())\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("to_torch: needs torch")
