"""nn_sequential_model and the optimizers: torch parity, overfitting a tiny batch, save/load."""

import numpy as np
import pytest

import nnlayers as nl
from naive import relative_error


def small_cnn(seed=0):
    return nl.nn_sequential_model([
        nl.nn_convolutional_layer(3, 3, 8, 1, 4, padding=1, rng=seed),
        nl.nn_relu_layer(),
        nl.nn_maxpool_layer(2, 2),
        nl.nn_flatten_layer(),
        nl.nn_linear_layer(4 * 4 * 4, 3, rng=seed + 1),
    ], nl.nn_cross_entropy_loss())


def test_train_step_matches_torch(rng):
    torch = pytest.importorskip("torch")
    model = small_cnn()
    x = rng.normal(size=(5, 1, 8, 8))
    labels = rng.integers(0, 3, 5)
    step = model.train_step(x, labels)
    params = [torch.tensor(p, requires_grad=True) for p in model.parameters()]
    W1, b1, W2, b2 = params
    h = torch.relu(torch.nn.functional.conv2d(torch.tensor(x), W1, b1.reshape(-1), padding=1))
    h = torch.nn.functional.max_pool2d(h, 2).flatten(1)
    logits = torch.nn.functional.linear(h, W2, b2.reshape(-1))
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(labels))
    loss.backward()
    assert step.loss == pytest.approx(loss.item(), rel=1e-12)
    assert relative_error(step.logits, logits.detach().numpy()) < 1e-12
    flat = [g for layer_grads in step.grads for g in layer_grads]
    assert len(flat) == 4
    for got, p in zip(flat, params):
        assert relative_error(got, p.grad.numpy()) < 1e-12


def test_train_step_keeps_no_state(rng):
    model = small_cnn()
    x1, x2 = rng.normal(size=(4, 1, 8, 8)), rng.normal(size=(6, 1, 8, 8))
    y1, y2 = rng.integers(0, 3, 4), rng.integers(0, 3, 6)
    first = model.train_step(x1, y1)
    model.train_step(x2, y2)
    again = model.train_step(x1, y1)
    assert first.loss == again.loss
    for a, b in zip(first.grads, again.grads):
        for ga, gb in zip(a, b):
            np.testing.assert_array_equal(ga, gb)


@pytest.mark.parametrize("make", [
    lambda: nl.nn_sgd_optimizer(0.1, momentum=0.9, weight_decay=0.01),
    lambda: nl.nn_sgd_optimizer(0.05),
    lambda: nl.nn_adam_optimizer(1e-2, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05),
    lambda: nl.nn_adam_optimizer(),
])
def test_update_rules_match_torch_optim(make, rng):
    torch = pytest.importorskip("torch")
    layer = nl.nn_linear_layer(4, 3, rng=0)
    tensors = [torch.tensor(p.copy(), requires_grad=True) for p in layer.get_weights()]
    ours = make()
    kwargs = {k: getattr(ours, k) for k in ("lr", "momentum", "weight_decay", "betas", "eps")
              if hasattr(ours, k)}
    theirs = (torch.optim.SGD if isinstance(ours, nl.nn_sgd_optimizer) else torch.optim.Adam)(tensors, **kwargs)
    for _ in range(7):
        grads = tuple(rng.normal(size=p.shape) for p in layer.get_weights())
        ours.step([layer], [grads])
        for t, g in zip(tensors, grads):
            t.grad = torch.tensor(g)
        theirs.step()
        for mine, t in zip(layer.get_weights(), tensors):
            assert relative_error(mine, t.detach().numpy()) < 1e-12


def test_a_tiny_model_overfits_a_tiny_batch(rng):
    model = small_cnn(seed=3)
    x = rng.normal(size=(8, 1, 8, 8))
    labels = np.arange(8) % 3
    optimizer = nl.nn_adam_optimizer(1e-2)
    first = model.train_step(x, labels).loss
    for _ in range(150):
        step = model.train_step(x, labels)
        optimizer.step(model, step.grads)
    assert step.loss < 0.05 < first
    np.testing.assert_array_equal(model.predict(x), labels)


def test_astype_converts_every_parameter(rng):
    model = small_cnn().astype(np.float32)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert model.forward(rng.normal(size=(2, 1, 8, 8)).astype(np.float32)).dtype == np.float32


def test_predict_in_batches_equals_one_forward(rng):
    model = small_cnn()
    x = rng.normal(size=(11, 1, 8, 8))
    np.testing.assert_array_equal(model.predict(x, batch_size=3), model.forward(x).argmax(axis=1))
    np.testing.assert_allclose(model.predict_logits(x, batch_size=4), model.forward(x), rtol=1e-12)


def test_save_and_load_round_trip(tmp_path, rng):
    model, other = small_cnn(seed=0), small_cnn(seed=7)
    x = rng.normal(size=(3, 1, 8, 8))
    assert not np.allclose(model.forward(x), other.forward(x))
    model.save(tmp_path / "m.npz")
    other.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(other.forward(x), model.forward(x))


def test_batchnorm_running_statistics_are_saved(tmp_path, rng):
    def make():
        return nl.nn_sequential_model([nl.nn_batchnorm_layer(3), nl.nn_linear_layer(3, 2, rng=0)],
                                      nl.nn_cross_entropy_loss())
    model = make()
    model.train_step(rng.normal(size=(10, 3)) * 5 + 2, rng.integers(0, 2, 10))
    model.save(tmp_path / "bn.npz")
    fresh = make()
    fresh.load(tmp_path / "bn.npz")
    np.testing.assert_array_equal(fresh.layers[0].running_mean, model.layers[0].running_mean)
    x = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(fresh.eval().forward(x), model.eval().forward(x))


def test_load_into_another_architecture_is_a_clear_error(tmp_path):
    small_cnn().save(tmp_path / "m.npz")
    wider = nl.nn_sequential_model([
        nl.nn_convolutional_layer(3, 3, 8, 1, 6, padding=1, rng=0), nl.nn_relu_layer(),
        nl.nn_maxpool_layer(2, 2), nl.nn_flatten_layer(), nl.nn_linear_layer(6 * 16, 3, rng=1),
    ], nl.nn_cross_entropy_loss())
    with pytest.raises(ValueError, match=r"nn_sequential_model.load: .*m.npz holds another architecture: "
                                         r"layer 0 is nn_convolutional_layer\(.*num_filters=4.*\) in the file, "
                                         r"nn_convolutional_layer\(.*num_filters=6.*\) in this model"):
        wider.load(tmp_path / "m.npz")


def test_load_a_foreign_npz_is_a_clear_error(tmp_path):
    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match=r"nn_sequential_model.save did not write it"):
        small_cnn().load(tmp_path / "x.npz")


@pytest.mark.parametrize("call,error,message", [
    (lambda: nl.nn_sequential_model([], nl.nn_cross_entropy_loss()), ValueError, "layers must not be empty"),
    (lambda: nl.nn_sequential_model([object()], nl.nn_cross_entropy_loss()), TypeError,
     r"layers\[0\] \(object\) has no forward/backprop methods"),
    (lambda: nl.nn_sequential_model([nl.nn_relu_layer()], "ce"), TypeError, r"loss \(str\) has no forward/backprop"),
    (lambda: small_cnn().predict(np.zeros((2, 1, 8, 8)), batch_size=0), ValueError,
     r"nn_sequential_model.predict_logits: batch_size must be >= 1, got 0"),
    (lambda: nl.nn_sgd_optimizer(0), ValueError, r"nn_sgd_optimizer: lr must be > 0, got 0"),
    (lambda: nl.nn_sgd_optimizer(0.1, momentum=1.0), ValueError, r"nn_sgd_optimizer: momentum must be in \[0, 1\), got 1.0"),
    (lambda: nl.nn_sgd_optimizer(0.1, weight_decay=-1), ValueError, r"nn_sgd_optimizer: weight_decay must be >= 0"),
    (lambda: nl.nn_adam_optimizer("fast"), TypeError, r"nn_adam_optimizer: lr must be a real number, got 'fast'"),
    (lambda: nl.nn_adam_optimizer(betas=0.9), TypeError, r"nn_adam_optimizer: betas must be a tuple or a list, got float"),
    (lambda: nl.nn_adam_optimizer(betas=(0.9, 1.0)), ValueError, r"nn_adam_optimizer: betas must be in \[0, 1\), got 1.0"),
    (lambda: nl.nn_adam_optimizer(eps=0), ValueError, r"nn_adam_optimizer: eps must be > 0, got 0"),
    (lambda: nl.nn_sgd_optimizer(0.1).step(small_cnn(), [()]), ValueError,
     r"nn_sgd_optimizer.step: 1 gradient tuples for 2 parameter layers"),
    (lambda: nl.nn_adam_optimizer().step(small_cnn(), [(np.zeros((4, 1, 3, 3)),), ()]), ValueError,
     r"nn_adam_optimizer.step: layer 0 has 2 parameters but 1 gradients"),
])
def test_raises(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_input_size_is_not_part_of_the_architecture(tmp_path, rng):
    model = small_cnn(seed=0)
    model.save(tmp_path / "m.npz")
    other = small_cnn(seed=3)
    other.layers[0] = nl.nn_convolutional_layer(3, 3, 99, 1, 4, padding=1, rng=5)  # input_size 99
    other.load(tmp_path / "m.npz")
    x = rng.normal(size=(2, 1, 8, 8))
    np.testing.assert_array_equal(other.forward(x), model.forward(x))


def _saved_bytes(tmp_path):
    small_cnn().save(tmp_path / "good.npz")
    return (tmp_path / "good.npz").read_bytes()


@pytest.mark.parametrize("damage,message", [
    (lambda data: data[:len(data) // 2], r"truncated or not an \.npz archive"),
    (lambda data: data[:40], r"truncated or not an \.npz archive"),
    (lambda data: b"", r"truncated or not an \.npz archive"),
    (lambda data: b"hello, I am a text file\n", r"(damaged|truncated)"),
    (lambda data: data[:200] + bytes(64) + data[264:], r"(damaged|truncated)"),
])
def test_a_truncated_or_damaged_file_is_a_value_error_naming_it(tmp_path, damage, message):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(damage(_saved_bytes(tmp_path)))
    model = small_cnn(seed=4)
    before = [p.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"nn_sequential_model.load: cannot load .*bad\.npz: .*" + message):
        model.load(bad)
    for old, new in zip(before, model.parameters()):
        np.testing.assert_array_equal(old, new)   # a refused file changes nothing


def test_a_foreign_npy_a_missing_file_and_a_bad_path_are_clear_errors(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"x\.npy: nn_sequential_model.save did not write it "
                                         r"\(it holds one \.npy array"):
        small_cnn().load(tmp_path / "x.npy")
    with pytest.raises(ValueError, match=r"nope\.npz does not exist"):
        small_cnn().load(tmp_path / "nope.npz")
    with pytest.raises(TypeError, match=r"nn_sequential_model.save: path must be a str or os.PathLike, got int"):
        small_cnn().save(3)


def test_a_file_with_a_missing_array_is_refused(tmp_path):
    small_cnn().save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as data:
        arrays = {key: data[key] for key in data.files if key != "layer4/b"}
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(ValueError, match=r"m\.npz is damaged: array 'layer4/b' is missing"):
        small_cnn().load(tmp_path / "m.npz")


def test_save_replaces_the_file_atomically_and_leaves_no_temporary(tmp_path, monkeypatch):
    small_cnn(seed=0).save(tmp_path / "m.npz")
    good = (tmp_path / "m.npz").read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        small_cnn(seed=1).save(tmp_path / "m.npz")
    assert (tmp_path / "m.npz").read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_train_step_takes_list_gradients_and_refuses_a_wrong_return(rng):
    class ListLinear(nl.nn_linear_layer):
        def backprop(self, x, dLdy):
            return list(super().backprop(x, dLdy))

    class Forgetful(nl.nn_linear_layer):
        def backprop(self, x, dLdy):
            return super().backprop(x, dLdy)[0]

    x, labels = rng.normal(size=(4, 5)), rng.integers(0, 3, 4)
    plain = nl.nn_sequential_model([nl.nn_linear_layer(5, 3, rng=0)], nl.nn_cross_entropy_loss())
    listed = nl.nn_sequential_model([ListLinear(5, 3, rng=0)], nl.nn_cross_entropy_loss())
    for got, want in zip(listed.train_step(x, labels).grads[0], plain.train_step(x, labels).grads[0]):
        np.testing.assert_array_equal(got, want)
    broken = nl.nn_sequential_model([Forgetful(5, 3, rng=0)], nl.nn_cross_entropy_loss())
    with pytest.raises(TypeError, match=r"nn_sequential_model.train_step: layers\[0\] \(Forgetful\) has 2 "
                                        r"parameters, so its backprop must return a tuple"):
        broken.train_step(x, labels)


def test_predict_on_an_empty_batch_gives_empty_results():
    model = small_cnn()
    assert model.predict_logits(np.zeros((0, 1, 8, 8))).shape == (0, 3)
    assert model.predict(np.zeros((0, 1, 8, 8))).shape == (0,)


@pytest.mark.parametrize("call,error,message", [
    (lambda: nl.nn_sequential_model(None, nl.nn_cross_entropy_loss()), TypeError,
     r"nn_sequential_model: layers must be a tuple or a list, got NoneType"),
    (lambda: nl.nn_sequential_model([nl.nn_relu_layer], nl.nn_cross_entropy_loss()), TypeError,
     r"nn_sequential_model: layers\[0\] is the class nn_relu_layer, not a layer"),
    (lambda: small_cnn().astype("x"), TypeError, r"nn_sequential_model.astype: dtype must be a NumPy floating dtype"),
    (lambda: small_cnn().astype(int), TypeError, r"nn_sequential_model.astype: dtype must be a floating dtype"),
    (lambda: small_cnn().predict("abc"), TypeError, r"nn_sequential_model.predict_logits: x must hold real numbers"),
])
def test_model_raises(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("make", [lambda: nl.nn_sgd_optimizer(0.1, momentum=0.9),
                                  lambda: nl.nn_adam_optimizer(1e-2)])
@pytest.mark.parametrize("bad", [
    lambda grads: [grads[0], (grads[1][0], grads[1][1][:, :1])],     # last gradient's shape
    lambda grads: [grads[0], (grads[1][0], None)],                    # not an array
    lambda grads: [grads[0], (grads[1][0], np.full(grads[1][1].shape, "x"))],
    lambda grads: [grads[0], grads[1][0]],                            # not a tuple
    lambda grads: [grads[0]],                                         # too few layers
    lambda grads: None,
])
def test_a_rejected_step_changes_nothing(make, bad, rng):
    """The next good step after a refused one equals a run that never saw the bad step."""
    x, labels = rng.normal(size=(4, 1, 8, 8)), rng.integers(0, 3, 4)
    model, twin = small_cnn(), small_cnn()
    optimizer, twin_optimizer = make(), make()
    for _ in range(2):
        grads = model.train_step(x, labels).grads
        optimizer.step(model, grads)
        twin_optimizer.step(twin, grads)
    grads = model.train_step(x, labels).grads
    with pytest.raises((ValueError, TypeError), match=r"^nn_(sgd|adam)_optimizer\.step: "):
        optimizer.step(model, bad(grads))
    optimizer.step(model, grads)
    twin_optimizer.step(twin, grads)
    for got, want in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(got, want)


def test_step_takes_gradients_as_lists(rng):
    model, twin = small_cnn(), small_cnn()
    grads = model.train_step(rng.normal(size=(3, 1, 8, 8)), rng.integers(0, 3, 3)).grads
    nl.nn_sgd_optimizer(0.1).step(model, grads)
    nl.nn_sgd_optimizer(0.1).step(twin, [list(g) for g in grads])
    for got, want in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(got, want)


def test_save_into_a_missing_folder_or_onto_a_folder_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match=r"^nn_sequential_model.save: cannot write .*nowhere.*m\.npz"):
        small_cnn().save(tmp_path / "nowhere" / "m.npz")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ValueError, match=r"^nn_sequential_model.save: cannot write .*folder"):
        small_cnn().save(tmp_path / "folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]
