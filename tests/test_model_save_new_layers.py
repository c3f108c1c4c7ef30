"""Save/load of models holding batch norm (each convention), dropout and residual blocks."""

import numpy as np
import pytest

import nnlayers as nl


def _model(seed, convention):
    body = [nl.nn_convolutional_layer(3, 3, 6, 2, 2, padding=1, rng=seed),
            nl.nn_batchnorm_layer(2, convention=convention), nl.nn_relu_layer()]
    return nl.nn_sequential_model(
        [nl.nn_residual_block(body), nl.nn_batchnorm_layer(2, momentum=0.3, convention=convention),
         nl.nn_dropout_layer(0.25, channels=True, rng=seed), nl.nn_flatten_layer(),
         nl.nn_linear_layer(72, 3, rng=seed)],
        nl.nn_cross_entropy_loss())


@pytest.mark.parametrize("convention", ["torch", "mytorch", "cs231n"])
def test_a_trained_model_round_trips_into_a_fresh_one(convention, rng, tmp_path):
    model = _model(1, convention)
    x, labels = rng.normal(size=(4, 2, 6, 6)), np.array([0, 2, 1, 2])
    for _ in range(2):   # moves the weights and every running statistic from its start
        step = model.train_step(x, labels)
        nl.nn_sgd_optimizer(0.1).step(model, step.grads)
    model.save(tmp_path / "m.npz")
    fresh = _model(2, convention)
    fresh.load(tmp_path / "m.npz")
    block, fresh_block = model.layers[0], fresh.layers[0]
    assert block.buffer_names == ("body.1.running_mean", "body.1.running_var")
    for old, new in [(block.body[1], fresh_block.body[1]), (model.layers[1], fresh.layers[1])]:
        np.testing.assert_array_equal(new.running_mean, old.running_mean)
        np.testing.assert_array_equal(new.running_var, old.running_var)
        assert not np.array_equal(old.running_var, np.full(2, 0.0 if convention == "cs231n" else 1.0))
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))
    np.testing.assert_array_equal(fresh.forward(x), model.forward(x))


def test_a_file_of_another_convention_is_refused(tmp_path):
    _model(1, "torch").save(tmp_path / "m.npz")
    with pytest.raises(ValueError, match=r"nn_sequential_model.load: .* holds another architecture: "
                                         r"layer 0 is nn_residual_block"):
        _model(1, "cs231n").load(tmp_path / "m.npz")
