"""Every layer of the family against torch's functional equivalent, float64, to 1e-12 relative.

Each case builds a kit layer, its torch twin (a function of the input and the layer's
parameters as tensors), and an input with odd sizes; forward and every gradient must agree.
"""

import decimal

import numpy as np
import pytest

import nnlayers as nl
from naive import relative_error

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _bias(b):
    return b.reshape(-1)


CASES = {
    # name: (layer factory, input shape, torch function(x, *params))
    **{f"conv1d s{s} p{p} d{d}": (
        lambda s=s, p=p, d=d: nl.nn_conv1d_layer(3, 4, 5, stride=s, padding=p, dilation=d, rng=0),
        (3, 4, 19),
        lambda x, W, b, s=s, p=p, d=d: F.conv1d(x, W, _bias(b), stride=s, padding=p, dilation=d))
       for s, p, d in [(1, 0, 1), (2, 1, 2), (3, 2, 1), (2, 0, 3)]},
    **{f"conv2d s{s} p{p} d{d}": (
        lambda s=s, p=p, d=d: nl.nn_convolutional_layer(3, 2, 13, 3, 4, stride=s, padding=p,
                                                        dilation=d, rng=0),
        (2, 3, 13, 11),
        lambda x, W, b, s=s, p=p, d=d: F.conv2d(x, W, _bias(b), stride=s, padding=p, dilation=d))
       for s, p, d in [(3, 1, 2), ((2, 3), (0, 2), (2, 1))]},
    **{f"transposed s{s} p{p}": (
        lambda s=s, p=p: nl.nn_transposed_conv_layer(3, 2, 4, 5, stride=s, padding=p, rng=0),
        (2, 4, 7, 5),
        lambda x, W, b, s=s, p=p: F.conv_transpose2d(x, W, _bias(b), stride=s, padding=p))
       for s, p in [(1, 0), (2, 1), (3, 2), ((2, 3), (1, 0))]},
    **{f"maxpool1d {k}/{s}": (lambda k=k, s=s: nl.nn_maxpool_layer(k, s), (2, 3, 17),
                              lambda x, k=k, s=s: F.max_pool1d(x, k, s))
       for k, s in [(2, 2), (3, 2), (3, 3), (2, 1)]},
    **{f"meanpool2d {k}/{s}": (lambda k=k, s=s: nl.nn_meanpool_layer(k, s), (2, 3, 11, 9),
                               lambda x, k=k, s=s: F.avg_pool2d(x, k, s))
       for k, s in [(2, 2), (3, 2), (3, 3), ((2, 3), (1, 2))]},
    **{f"meanpool1d {k}/{s}": (lambda k=k, s=s: nl.nn_meanpool_layer(k, s), (2, 3, 17),
                               lambda x, k=k, s=s: F.avg_pool1d(x, k, s))
       for k, s in [(2, 2), (3, 2), (4, 3)]},
    "global max": (lambda: nl.nn_global_pool_layer("max"), (3, 4, 7, 5),
                   lambda x: F.adaptive_max_pool2d(x, 1).flatten(1)),
    "global mean": (lambda: nl.nn_global_pool_layer("mean"), (3, 4, 7, 5),
                    lambda x: x.mean(dim=(2, 3))),
    "flatten": (lambda: nl.nn_flatten_layer(), (3, 4, 5, 2), lambda x: torch.flatten(x, 1)),
    "linear": (lambda: nl.nn_linear_layer(7, 5, rng=0), (6, 7),
               lambda x, W, b: F.linear(x, W, _bias(b))),
    "relu": (lambda: nl.nn_relu_layer(), (3, 4, 5), torch.relu),
    "tanh": (lambda: nl.nn_tanh_layer(), (3, 4, 5), torch.tanh),
    "sigmoid": (lambda: nl.nn_sigmoid_layer(), (3, 4, 5), torch.sigmoid),
    "softmax": (lambda: nl.nn_softmax_layer(), (5, 7), lambda x: torch.softmax(x, dim=1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_and_gradients_match_torch(name, rng):
    make_layer, shape, torch_fn = CASES[name]
    layer = make_layer()
    params = [p.copy() for p in layer.get_weights()] if hasattr(layer, "get_weights") else []
    x = rng.normal(size=shape)
    tensors = [torch.tensor(a, requires_grad=True) for a in [x] + params]
    yt = torch_fn(*tensors)
    y = layer.forward(x)
    assert y.shape == tuple(yt.shape), name
    assert relative_error(y, yt.detach().numpy()) < 1e-12, name
    dy = rng.normal(size=y.shape)
    yt.backward(torch.tensor(dy))
    grads = layer.backprop(x, dy)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == len(tensors)
    for got, tensor in zip(grads, tensors):
        assert got.shape == tuple(tensor.shape)
        assert relative_error(got, tensor.grad.numpy()) < 1e-12, name


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 2), (3, (2, 1), (1, 3))])
def test_im2col_and_col2im_equal_unfold_and_fold(stride, padding, dilation, rng):
    x = rng.normal(size=(2, 3, 13, 11))
    cols = nl.im2col(x, (3, 2), stride, padding, dilation)
    expected = F.unfold(torch.tensor(x), (3, 2), dilation=dilation, padding=padding, stride=stride)
    np.testing.assert_array_equal(cols, expected.numpy())
    back = nl.col2im(cols, (13, 11), (3, 2), stride, padding, dilation)
    folded = F.fold(expected, (13, 11), (3, 2), dilation=dilation, padding=padding, stride=stride)
    assert relative_error(back, folded.numpy()) < 1e-12


def test_cross_entropy_matches_torch_and_is_stable(rng):
    for scale in (1.0, 1e4):
        logits = rng.normal(size=(6, 9)) * scale
        labels = rng.integers(0, 9, 6)
        lt = torch.tensor(logits, requires_grad=True)
        loss_t = F.cross_entropy(lt, torch.tensor(labels))
        loss_t.backward()
        loss = nl.nn_cross_entropy_loss()
        value = loss.forward(logits, labels)
        assert np.isfinite(value)
        assert abs(value - loss_t.item()) <= 1e-12 * max(1.0, abs(loss_t.item()))
        assert relative_error(loss.backprop(logits, labels), lt.grad.numpy()) < 1e-12


def test_softmax_and_sigmoid_are_stable_for_large_inputs():
    x = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1, 5.0]])
    y = nl.nn_softmax_layer().forward(x)
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y, torch.softmax(torch.tensor(x), 1).numpy(), rtol=1e-12, atol=1e-300)
    values = [-1e4, -700.0, -50.0, -1e-3, 0.0, 3.0, 50.0, 1e4]
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        s = nl.nn_sigmoid_layer().forward(np.array(values))
    # Reference in 50-digit decimal arithmetic (torch's float64 sigmoid is off by ~2e-8 at -50).
    with decimal.localcontext() as context:
        context.prec = 50
        exact = [float(1 / (1 + (-decimal.Decimal(v)).exp())) for v in values]
    np.testing.assert_allclose(s, exact, rtol=1e-15, atol=0)


@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 5, 7)])
def test_batchnorm_matches_torch_in_training_and_eval(shape, rng):
    c = shape[1]
    layer = nl.nn_batchnorm_layer(c, eps=1e-3, momentum=0.2)
    layer.set_weights(rng.normal(size=c), rng.normal(size=c))
    bn = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(
        c, eps=1e-3, momentum=0.2).double()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(layer.gamma))
        bn.bias.copy_(torch.tensor(layer.beta))
    for step in range(3):   # training: outputs, gradients and running statistics
        x = rng.normal(size=shape) * (step + 1) + step
        xt = torch.tensor(x, requires_grad=True)
        yt = bn(xt)
        dy = rng.normal(size=shape)
        yt.backward(torch.tensor(dy))
        y = layer.forward(x)
        dx, dgamma, dbeta = layer.backprop(x, dy)
        assert relative_error(y, yt.detach().numpy()) < 1e-12
        assert relative_error(dx, xt.grad.numpy()) < 1e-12
        assert relative_error(dgamma, bn.weight.grad.numpy()) < 1e-12
        assert relative_error(dbeta, bn.bias.grad.numpy()) < 1e-12
        bn.weight.grad = bn.bias.grad = None
        assert relative_error(layer.running_mean, bn.running_mean.numpy()) < 1e-12
        assert relative_error(layer.running_var, bn.running_var.numpy()) < 1e-12
    layer.eval()
    bn.eval()
    x = rng.normal(size=shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = bn(xt)
    dy = rng.normal(size=shape)
    yt.backward(torch.tensor(dy))
    assert relative_error(layer.forward(x), yt.detach().numpy()) < 1e-12
    dx, dgamma, dbeta = layer.backprop(x, dy)
    assert relative_error(dx, xt.grad.numpy()) < 1e-12
    assert relative_error(dgamma, bn.weight.grad.numpy()) < 1e-12
    assert relative_error(dbeta, bn.bias.grad.numpy()) < 1e-12
