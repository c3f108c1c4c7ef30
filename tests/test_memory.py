"""The memory bound: chunked results equal unchunked ones; the setting is validated and scoped."""

import numpy as np
import pytest

import nnlayers
from nnlayers import _memory, conv4d_grad_input, conv4d_grad_weight, nn_convolutional_layer


@pytest.fixture
def unchunked(monkeypatch):
    """No chunking at all: one window matrix for the whole batch."""
    def run(fn):
        with monkeypatch.context() as m:
            m.setattr(_memory, "CACHE_BYTES", 1 << 50)
            return fn()
    return run


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("stride,padding,dilation", [(1, 1, 1), (2, 1, 2), ((1, 2), 0, 1)])
def test_chunked_results_equal_unchunked(dtype, rtol, stride, padding, dilation, unchunked, rng):
    layer = nn_convolutional_layer(3, 3, 12, 4, 6, stride=stride, padding=padding,
                                   dilation=dilation, rng=0)
    x = rng.normal(size=(9, 4, 12, 11)).astype(dtype)
    y_ref = unchunked(lambda: layer.forward(x))
    dy = rng.normal(size=y_ref.shape).astype(dtype)
    grads_ref = unchunked(lambda: layer.backprop(x, dy))
    with nnlayers.memory_limit(1):  # below one image: one image per chunk
        y, grads = layer.forward(x), layer.backprop(x, dy)
        dx = conv4d_grad_input(dy, layer.W.astype(dtype), x.shape, stride, padding, dilation)
        dW = conv4d_grad_weight(x, dy, layer.W.shape, stride, padding, dilation)
    np.testing.assert_allclose(y, y_ref, rtol=rtol, atol=rtol)
    for got, want in zip(grads, grads_ref):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 10)
    np.testing.assert_allclose(dx, grads_ref[0], rtol=rtol, atol=rtol)
    np.testing.assert_allclose(dW, grads_ref[1], rtol=rtol, atol=rtol * 10)


def test_batch_chunks_respect_the_bound(monkeypatch):
    monkeypatch.setattr(_memory, "CACHE_BYTES", 1 << 50)
    assert _memory.batch_chunks(10, 100, 10) == [(0, 10)]
    with nnlayers.memory_limit(350):
        assert _memory.batch_chunks(10, 100, 10) == [(0, 3), (3, 6), (6, 9), (9, 10)]
    with nnlayers.memory_limit(50):  # less than one image: one at a time, never zero
        assert _memory.batch_chunks(3, 100, 10) == [(0, 1), (1, 2), (2, 3)]


def test_cache_sized_chunks_by_default():
    per_image = _memory.CACHE_BYTES // 4
    assert _memory.batch_chunks(10, 1, per_image) == [(0, 4), (4, 8), (8, 10)]


def test_memory_limit_is_scoped_and_restored():
    assert nnlayers.get_memory_limit() is None
    with nnlayers.memory_limit(1 << 20):
        assert nnlayers.get_memory_limit() == 1 << 20
        with nnlayers.memory_limit(None):
            assert nnlayers.get_memory_limit() is None
        assert nnlayers.get_memory_limit() == 1 << 20
    assert nnlayers.get_memory_limit() is None
    nnlayers.set_memory_limit(4096)
    try:
        assert nnlayers.get_memory_limit() == 4096
    finally:
        nnlayers.set_memory_limit(None)


@pytest.mark.parametrize("value,error,message", [
    (0, ValueError, "nbytes must be >= 1, got 0"), (-5, ValueError, "nbytes must be >= 1, got -5"),
    (1.5, TypeError, "nbytes must be an integer, got 1.5"),
    ("64MiB", TypeError, "nbytes must be an integer, got '64MiB'"),
    (True, TypeError, "nbytes must be an integer, got True")])
def test_memory_limit_rejects_bad_values(value, error, message):
    with pytest.raises(error, match=r"^set_memory_limit: " + message):
        nnlayers.set_memory_limit(value)
    with pytest.raises(error, match=r"^memory_limit: " + message):
        with nnlayers.memory_limit(value):
            pass


@pytest.mark.parametrize("layer", [nnlayers.nn_meanpool_layer(3, 2), nnlayers.nn_maxpool_layer(3, 2)])
def test_pooling_works_in_chunks_under_the_bound(layer, monkeypatch, rng):
    x = rng.permutation(np.linspace(-1, 1, 7 * 2 * 9 * 8)).reshape(7, 2, 9, 8)
    y = layer.forward(x)
    dy = rng.normal(size=y.shape)
    dx = layer.backprop(x, dy)
    calls = []
    original = _memory.batch_chunks

    def spy(*args, **kwargs):
        chunks = original(*args, **kwargs)
        calls.append(chunks)
        return chunks
    from nnlayers import _pool
    monkeypatch.setattr(_pool, "batch_chunks", spy)
    with nnlayers.memory_limit(1):   # one image per chunk, in both directions
        np.testing.assert_allclose(layer.forward(x), y, rtol=1e-15)
        np.testing.assert_allclose(layer.backprop(x, dy), dx, rtol=1e-15)
    assert len(calls) >= 2 and all(len(chunks) == 7 for chunks in calls)
