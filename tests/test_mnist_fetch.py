"""Downloads from a local mirror on 127.0.0.1: mirror order, failures, cache, fallback."""

import hashlib
import socket
import time
import warnings

import numpy as np
import pytest

from mnist_demo import DownloadError, SampleFallbackWarning, load_mnist
from mnist_server import MirrorServer, fake_mnist


@pytest.fixture
def files():
    return fake_mnist()


@pytest.fixture
def registry(files):
    data, _ = files
    return {name: (len(body), hashlib.sha256(body).hexdigest()) for name, body in data.items()}


@pytest.fixture
def server(files):
    with MirrorServer(files[0], stall_seconds=3.0) as mirror:
        yield mirror


@pytest.fixture
def dead_url():
    with socket.socket() as s:  # a port nobody listens on: bind, note it, close
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _load(tmp_path, registry, mirrors, **kwargs):
    kwargs.setdefault("progress", False)
    kwargs.setdefault("fallback", False)
    return load_mnist(tmp_path / "cache", mirrors=mirrors, registry=registry, **kwargs)


def _assert_is_fake(data, files):
    _, arrays = files
    np.testing.assert_array_equal(data.X_train[:, 0], arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(data.y_train, arrays["train-labels-idx1-ubyte.gz"])
    np.testing.assert_array_equal(data.X_test[:, 0], arrays["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(data.y_test, arrays["t10k-labels-idx1-ubyte.gz"])


def test_good_mirror_downloads_verifies_and_unpacks(tmp_path, registry, server, files):
    data = _load(tmp_path, registry, [server.url("good")])
    _assert_is_fake(data, files)
    assert data.source == server.url("good") and not data.is_sample
    X_train, y_train, X_test, y_test = data
    assert X_train.shape == (50, 1, 28, 28) and X_train.dtype == np.uint8
    assert y_test.shape == (20,) and y_test.dtype == np.uint8
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted(registry)


def test_registry_hashes_may_carry_poochs_prefix(tmp_path, registry, server, files):
    prefixed = {name: (size, "sha256:" + digest) for name, (size, digest) in registry.items()}
    _assert_is_fake(_load(tmp_path, prefixed, [server.url("good")]), files)


def test_second_call_uses_the_cache_without_a_request(tmp_path, registry, server, files):
    _load(tmp_path, registry, [server.url("good")])
    count = len(server.requests)
    data = _load(tmp_path, registry, [server.url("good")])
    assert len(server.requests) == count
    assert data.source == "cache"
    _assert_is_fake(data, files)


def test_progress_bar_is_shown(tmp_path, registry, server, capsys):
    _load(tmp_path, registry, [server.url("good")], progress=True)
    err = capsys.readouterr().err
    assert "downloading " + server.url("good") in err and "100%" in err


def test_dead_port_then_good(tmp_path, registry, server, dead_url, files):
    data = _load(tmp_path, registry, [dead_url, server.url("good")])
    _assert_is_fake(data, files)
    assert data.source == server.url("good")


def test_404_then_good(tmp_path, registry, server, files):
    data = _load(tmp_path, registry, [server.url("missing"), server.url("good")])
    _assert_is_fake(data, files)
    assert any(p.startswith("/missing/") for p in server.requests)


def test_corrupted_bytes_then_good(tmp_path, registry, server, files):
    data = _load(tmp_path, registry, [server.url("corrupt"), server.url("good")])
    _assert_is_fake(data, files)
    assert any(p.startswith("/corrupt/") for p in server.requests)


def test_stalled_mirror_is_cut_by_the_timeout(tmp_path, registry, server, files):
    start = time.monotonic()
    data = _load(tmp_path, registry, [server.url("stall"), server.url("good")], timeout=(1.0, 0.5))
    _assert_is_fake(data, files)
    # Four files, each waiting at most the 0.5 s read timeout on the stalled mirror.
    assert time.monotonic() - start < 4 * 3.0


def test_all_mirrors_failing_lists_each(tmp_path, registry, server, dead_url):
    mirrors = [dead_url, server.url("missing"), server.url("corrupt")]
    with pytest.raises(DownloadError) as caught:
        _load(tmp_path, registry, mirrors)
    message = str(caught.value)
    assert "no mirror could provide train-images-idx3-ubyte.gz" in message
    assert f"{dead_url}train-images-idx3-ubyte.gz: connection refused" in message
    assert "HTTP 404" in message
    assert "sha256 does not match" in message
    assert len(caught.value.attempts) == 3


def test_all_mirrors_failing_falls_back_to_the_sample_and_says_why(tmp_path, registry, dead_url):
    with pytest.warns(SampleFallbackWarning, match="connection refused"):
        data = load_mnist(tmp_path, mirrors=[dead_url], registry=registry, progress=False)
    assert data.is_sample and data.source == "embedded sample"
    assert "connection refused" in data.reason
    assert data.X_train.shape == (4000, 1, 28, 28)


def test_interrupted_download_leaves_no_complete_looking_file(tmp_path, registry, server):
    with pytest.raises(DownloadError, match="connection broken"):
        _load(tmp_path, registry, [server.url("cut")])
    assert list((tmp_path / "cache").iterdir()) == []  # neither the file nor a temporary


def test_corrupt_cache_file_is_refetched(tmp_path, registry, server, files):
    cache = tmp_path / "cache"
    cache.mkdir()
    name = "train-labels-idx1-ubyte.gz"
    (cache / name).write_bytes(b"not the file")
    data = _load(tmp_path, registry, [server.url("good")])
    assert f"/good/{name}" in server.requests
    _assert_is_fake(data, files)


def test_mirrors_and_data_dir_from_the_environment(tmp_path, registry, server, monkeypatch, files):
    monkeypatch.setenv("NNLAYERS_MNIST_MIRRORS", f" {server.url('missing')} ,{server.url('good')}")
    monkeypatch.setenv("NNLAYERS_DATA", str(tmp_path / "env-cache"))
    data = load_mnist(registry=registry, progress=False, fallback=False)
    _assert_is_fake(data, files)
    assert (tmp_path / "env-cache" / "t10k-labels-idx1-ubyte.gz").exists()


def test_offline_returns_the_sample_without_requests(tmp_path, server):
    with pytest.warns(SampleFallbackWarning, match="offline"):
        data = load_mnist(tmp_path, offline=True, mirrors=[server.url("good")])
    assert data.is_sample and server.requests == []


def test_no_network_falls_back_quickly(tmp_path, dead_url):
    start = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_mnist(tmp_path, mirrors=[dead_url, dead_url + "again/"], progress=False)
    assert data.is_sample
    assert time.monotonic() - start < 30


def test_built_in_registry_checks_the_split_sizes(tmp_path, server, files, monkeypatch):
    # Serve the fake files under the built-in names and hashes: the count check must refuse them.
    import mnist_demo.load as load

    data, _ = files
    fake = {name: (len(body), hashlib.sha256(body).hexdigest()) for name, body in data.items()}
    monkeypatch.setattr(load, "MNIST_FILES", fake)
    with pytest.raises(ValueError, match="50 train digits, expected 60000"):
        load_mnist(tmp_path, mirrors=[server.url("good")], progress=False, fallback=False)


def test_bad_arguments_raise(tmp_path):
    with pytest.raises(ValueError, match="each mirror must be an http"):
        load_mnist(tmp_path, mirrors=["ftp://example/"], fallback=False)
    with pytest.raises(ValueError, match="registry has no entry for"):
        load_mnist(tmp_path, registry={"train-images-idx3-ubyte.gz": (1, "0" * 64)})
