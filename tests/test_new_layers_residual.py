"""The residual block: torch parity (identity and convolution shortcuts, inside a model),
parameters in a stable order, save/load with batch-norm statistics inside blocks, backprop
without side effects, HW2P1's ResBlock example, and one test per raise."""

import numpy as np
import pytest

import nnlayers as nl
from naive import relative_error


def conv(c, f, k=3, stride=1, padding=1, seed=0):
    return nl.nn_convolutional_layer(k, k, 1, c, f, stride=stride, padding=padding, rng=seed)


def small_block(shortcut=True):
    """conv -> relu -> bn -> conv, with a strided 1x1 conv shortcut (or the identity).
    (ReLU before batch norm, so that the first bias has a gradient that is not ~0.)"""
    if shortcut:
        return nl.nn_residual_block([conv(3, 4, stride=2, seed=1), nl.nn_relu_layer(),
                                     nl.nn_batchnorm_layer(4), conv(4, 4, seed=2)],
                                    [conv(3, 4, k=1, stride=2, padding=0, seed=3)])
    return nl.nn_residual_block([conv(3, 3, seed=1), nl.nn_relu_layer(), conv(3, 3, seed=2)])


def torch_branch(torch, layers, h, params):
    """The branch in torch, taking its parameters from the iterator ``params``."""
    F = torch.nn.functional
    for layer in layers:
        if isinstance(layer, nl.nn_convolutional_layer):
            W, b = next(params), next(params)
            h = F.conv2d(h, W, b.reshape(-1), stride=layer.stride, padding=layer.padding)
        elif isinstance(layer, nl.nn_batchnorm_layer):
            h = F.batch_norm(h, None, None, next(params), next(params), training=True, eps=layer.eps)
        else:
            h = torch.relu(h)
    return h


@pytest.mark.parametrize("shortcut", [True, False])
def test_block_matches_torch(shortcut, rng):
    torch = pytest.importorskip("torch")
    block = small_block(shortcut)
    x = rng.normal(size=(2, 3, 7, 7))
    params = [torch.tensor(p, requires_grad=True) for p in block.get_weights()]
    xt = torch.tensor(x, requires_grad=True)
    it = iter(params)
    yt = torch_branch(torch, block.body, xt, it)
    yt = yt + (torch_branch(torch, block.shortcut, xt, it) if shortcut else xt)
    dy = rng.normal(size=tuple(yt.shape))
    yt.backward(torch.tensor(dy))
    assert relative_error(block.forward(x), yt.detach().numpy()) < 1e-12
    dx, *grads = block.backprop(x, dy)
    assert relative_error(dx, xt.grad.numpy()) < 1e-12
    assert len(grads) == len(params)
    for g, p in zip(grads, params):
        assert relative_error(g, p.grad.numpy()) < 1e-12


def test_parameters_come_in_a_stable_named_order():
    block = small_block()
    assert block.param_names == ("body.0.W", "body.0.b", "body.2.gamma", "body.2.beta",
                                 "body.3.W", "body.3.b", "shortcut.0.W", "shortcut.0.b")
    inner = [block.body[0], block.body[2], block.body[3], block.shortcut[0]]
    expected = [p for layer in inner for p in layer.get_weights()]
    assert all(a is b for a, b in zip(block.get_weights(), expected))
    assert block.buffer_names == ("body.2.running_mean", "body.2.running_var")
    new = [np.full(p.shape, float(i)) for i, p in enumerate(block.get_weights())]
    block.set_weights(*new)
    for got, want in zip(block.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    block.update_weights(*[np.ones(p.shape) for p in new])
    for got, want in zip(block.get_weights(), new):
        np.testing.assert_array_equal(got, want + 1)


def test_set_weights_changes_all_or_nothing():
    block = small_block()
    before = [p.copy() for p in block.get_weights()]
    bad = [np.zeros(p.shape) for p in before]
    bad[-1] = np.zeros(7)                       # the last layer refuses its bias
    with pytest.raises(ValueError, match=r"nn_convolutional_layer.set_weights: b must have shape"):
        block.set_weights(*bad)
    for got, want in zip(block.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_backprop_does_not_update_running_statistics_again(rng):
    block = small_block()
    x = rng.normal(size=(2, 3, 6, 6))
    y = block.forward(x)
    bn = block.body[2]
    after_forward = bn.running_mean.copy(), bn.running_var.copy()
    block.backprop(x, np.ones_like(y))
    np.testing.assert_array_equal(bn.running_mean, after_forward[0])
    np.testing.assert_array_equal(bn.running_var, after_forward[1])


def test_dropout_inside_a_block_backprops_through_its_forward_mask(rng):
    x, dy = rng.normal(size=(3, 4, 5, 5)), rng.normal(size=(3, 4, 5, 5))
    drop = nl.nn_dropout_layer(0.5, channels=True, rng=0)
    block = nl.nn_residual_block([conv(4, 4, seed=1), drop])
    y = block.forward(x)
    mask = drop.mask.copy()
    dx, dW, db = block.backprop(x, dy)
    fixed = nl.nn_residual_block([conv(4, 4, seed=1),
                                  nl.nn_dropout_layer(0.5, channels=True).fix_mask(mask)])
    np.testing.assert_array_equal(fixed.forward(x), y)
    for a, b in zip(fixed.backprop(x, dy), (dx, dW, db)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(drop.mask, mask)              # backprop drew nothing
    assert block.eval() is block and not drop.training and block.train() and drop.training


def test_nested_blocks_and_a_block_without_parameters(rng):
    x, dy = rng.normal(size=(2, 3, 5, 5)), rng.normal(size=(2, 3, 5, 5))
    relu = nl.nn_residual_block([nl.nn_relu_layer()])
    assert relu.get_weights() == () and relu.param_names == ()
    np.testing.assert_array_equal(relu.forward(x), np.maximum(x, 0) + x)
    np.testing.assert_array_equal(relu.backprop(x, dy), dy * (x > 0) + dy)   # dLdx alone
    inner = small_block(shortcut=False)
    outer = nl.nn_residual_block([inner, nl.nn_relu_layer()])
    np.testing.assert_allclose(outer.forward(x), np.maximum(inner.forward(x), 0) + x, rtol=1e-15)
    assert outer.param_names[0] == "body.0.body.0.W"
    dx, *grads = outer.backprop(x, dy)
    assert len(grads) == 4 and dx.shape == x.shape


def test_block_in_a_sequential_model_trains_and_matches_torch(rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    block = small_block()
    model = nl.nn_sequential_model([block, nl.nn_flatten_layer(), nl.nn_linear_layer(64, 5, rng=4)],
                                   nl.nn_cross_entropy_loss())
    x, labels = rng.normal(size=(3, 3, 8, 8)), rng.integers(0, 5, 3)
    step = model.train_step(x, labels)
    params = [torch.tensor(p, requires_grad=True) for p in model.parameters()]
    it = iter(params)
    xt = torch.tensor(x)
    h = torch_branch(torch, block.body, xt, it) + torch_branch(torch, block.shortcut, xt, it)
    W, b = next(it), next(it)
    loss = F.cross_entropy(F.linear(h.flatten(1), W, b.reshape(-1)), torch.tensor(labels))
    loss.backward()
    assert step.loss == pytest.approx(loss.item(), rel=1e-12)
    flat = [g for grads in step.grads for g in grads]
    assert len(flat) == len(params)
    for g, p in zip(flat, params):
        assert relative_error(g, p.grad.numpy()) < 1e-12
    nl.nn_sgd_optimizer(0.1).step(model, step.grads)
    assert model.train_step(x, labels).loss < step.loss


def test_save_and_load_keep_inner_parameters_and_running_statistics(tmp_path, rng):
    def build(seed):
        block = nl.nn_residual_block([conv(3, 4, seed=seed), nl.nn_batchnorm_layer(4)],
                                     [conv(3, 4, k=1, padding=0, seed=seed + 1)])
        return nl.nn_sequential_model([block, nl.nn_global_pool_layer("mean")],
                                      nl.nn_cross_entropy_loss())
    model = build(0)
    x = rng.normal(size=(4, 3, 5, 5))
    model.train_step(x, np.array([0, 1, 2, 3]))
    path = tmp_path / "block.npz"
    model.save(path)
    fresh = build(10)
    fresh.load(path)
    for a, b in zip(fresh.parameters(), model.parameters()):
        np.testing.assert_array_equal(a, b)
    bn, fresh_bn = model.layers[0].body[1], fresh.layers[0].body[1]
    np.testing.assert_array_equal(fresh_bn.running_var, bn.running_var)
    np.testing.assert_array_equal(fresh.eval().forward(x), model.eval().forward(x))


def test_the_hw2p1_resblock_example_matches_the_grader_and_torch():
    from test_examples import load_example
    ex = load_example("resblock_hw2p1")
    layers, x, dLdy = ex.hw2p1_grader_case()
    assert len(layers[0].get_weights()) == 12
    y, dLdx = ex.run(layers, x, dLdy)
    reference = ex.REFERENCE_DIR / "sol_resnet1.npz"
    if reference.is_file():
        with np.load(reference, allow_pickle=False) as ref:
            assert relative_error(y, ref["forward"]) < 1e-12
            assert relative_error(dLdx, ref["backward"]) < 1e-12
    pytest.importorskip("torch")
    y_t, dLdx_t = ex.run_torch(layers, x, dLdy)
    assert relative_error(y, y_t) < 1e-12
    assert relative_error(dLdx, dLdx_t) < 1e-12


RELU = nl.nn_relu_layer()
ERRORS = {
    "body not a list": (lambda: nl.nn_residual_block(RELU), TypeError,
                        r"nn_residual_block: body must be a list of layers, got nn_relu_layer"),
    "body empty": (lambda: nl.nn_residual_block([]), ValueError,
                   r"nn_residual_block: body must hold at least one layer"),
    "body class": (lambda: nl.nn_residual_block([nl.nn_relu_layer]), TypeError,
                   r"nn_residual_block: body\[0\] is the class nn_relu_layer, not a layer"),
    "body no protocol": (lambda: nl.nn_residual_block([RELU, 3]), TypeError,
                         r"nn_residual_block: body\[1\] \(int\) has no forward/backprop methods"),
    "shortcut not a list": (lambda: nl.nn_residual_block([RELU], RELU), TypeError,
                            r"nn_residual_block: shortcut must be a list of layers"),
    "shortcut no protocol": (lambda: nl.nn_residual_block([RELU], ["relu"]), TypeError,
                             r"nn_residual_block: shortcut\[0\] \(str\) has no forward/backprop"),
    "shapes differ": (lambda: nl.nn_residual_block([nl.nn_flatten_layer()]).forward(np.zeros((2, 3, 4))),
                      ValueError, r"nn_residual_block.forward: the body gives shape \(2, 12\) and the "
                                  r"shortcut \(2, 3, 4\); they must match to be added"),
    "x strings": (lambda: nl.nn_residual_block([RELU]).forward(np.array(["a"])), TypeError,
                  r"nn_residual_block.forward: x must hold real numbers"),
    "dLdy shape": (lambda: nl.nn_residual_block([RELU]).backprop(np.zeros((2, 3)), np.zeros((3, 2))),
                   ValueError, r"nn_residual_block.backprop: dLdy must have shape \(2, 3\)"),
    "set_weights count": (lambda: small_block().set_weights(np.zeros(3)), ValueError,
                          r"nn_residual_block.set_weights: got 1 arrays, the block has 8 parameters "
                          r"\(body.0.W, body.0.b, "),
    "update_weights count": (lambda: nl.nn_residual_block([RELU]).update_weights(np.zeros(3)), ValueError,
                             r"nn_residual_block.update_weights: got 1 deltas, the block has 0 "
                             r"parameters \(none\)"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_residual_block_errors(case):
    call, error, pattern = ERRORS[case]
    with pytest.raises(error, match=pattern):
        call()
