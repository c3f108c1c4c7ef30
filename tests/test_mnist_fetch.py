"""Downloads from a local mirror on 127.0.0.1: mirror order, failures, cache, fallback.

No test measures time: a fault that would stall is shown to be cut off by what happens
(which mirror served the files, how many requests each mirror got, what the error says).
"""

import hashlib
import os
import socket
import warnings

import numpy as np
import pytest

from mnist_demo import DownloadError, SampleFallbackWarning, load_mnist
from mnist_demo.fetch import CacheError, fetch_file
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
    with MirrorServer(files[0], stall_seconds=3.0, trickle_seconds=0.2) as mirror:
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


def _requests_to(server, mode):
    return [p for p in server.requests if p.startswith(f"/{mode}/")]


def test_stalled_mirror_is_cut_by_the_timeout_and_skipped_for_the_other_files(
        tmp_path, registry, server, files):
    data = _load(tmp_path, registry, [server.url("stall"), server.url("good")], timeout=(1.0, 0.5))
    _assert_is_fake(data, files)
    assert data.source == server.url("good")
    assert len(_requests_to(server, "stall")) == 1      # not once per file
    assert len(_requests_to(server, "good")) == 4


def test_trickling_mirror_is_abandoned_by_the_deadline_and_skipped(tmp_path, registry, server, files):
    # One byte every 0.2 s never trips the 0.5 s read timeout; the deadline
    # (1 + 0.5 + size / min_rate seconds) does.
    data = _load(tmp_path, registry, [server.url("trickle"), server.url("good")],
                 timeout=(1.0, 0.5), min_rate=1e6)
    _assert_is_fake(data, files)
    assert len(_requests_to(server, "trickle")) == 1
    assert len(_requests_to(server, "good")) == 4


def test_trickle_alone_names_the_deadline(tmp_path, registry, server):
    with pytest.raises(DownloadError, match=r"trickle/train-images-idx3-ubyte.gz: too slow: "
                                            r"\d+ of 39,\d+ bytes after 2 s"):
        _load(tmp_path, registry, [server.url("trickle")], timeout=(1.0, 0.5), min_rate=1e6)
    assert list((tmp_path / "cache").iterdir()) == []   # no partial file left


def test_refused_mirror_is_skipped_for_the_next_file(tmp_path, registry, server, dead_url):
    skipped = {}
    name, other = "t10k-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte.gz"
    mirrors = [dead_url, server.url("missing")]
    with pytest.raises(DownloadError, match="connection refused"):
        fetch_file(name, *registry[name], tmp_path, mirrors, progress=False, skipped=skipped)
    assert skipped == {dead_url: "connection refused"}
    with pytest.raises(DownloadError) as caught:
        fetch_file(other, *registry[other], tmp_path, mirrors, progress=False, skipped=skipped)
    assert caught.value.attempts == [
        (dead_url + other, "skipped: connection refused for an earlier file"),
        (server.url("missing") + other, "HTTP 404 Not Found"),
    ]


def test_redirect_is_followed(tmp_path, registry, server, files):
    data = _load(tmp_path, registry, [server.url("redirect")])
    _assert_is_fake(data, files)
    assert len(_requests_to(server, "good")) == 4


@pytest.mark.parametrize("mode,answer", [
    ("html", r"answered with an HTML page \(text/html\), not the file"),
    ("redirect-html", r"answered with an HTML page \(text/html\), not the file"),
    ("loop", r"too many redirects \(a redirect loop\?\)"),
    ("big", r"announced 40,\d+ bytes, more than the 39,\d+ the registry expects"),
])
def test_answers_that_are_not_the_file_are_named(tmp_path, registry, server, mode, answer):
    with pytest.raises(DownloadError, match=f"{mode}/train-images-idx3-ubyte.gz: {answer}"):
        _load(tmp_path, registry, [server.url(mode)])
    assert list((tmp_path / "cache").iterdir()) == []


def test_html_page_then_good_mirror(tmp_path, registry, server, files):
    _assert_is_fake(_load(tmp_path, registry, [server.url("html"), server.url("good")]), files)
    assert len(_requests_to(server, "html")) == 4        # answered: not skipped


def test_cache_path_that_is_a_file_is_a_clear_error(tmp_path, registry, server):
    (tmp_path / "cache").write_text("not a folder")
    with pytest.raises(CacheError, match=r"cache folder .*cache is a file, not a folder; "
                                         r"choose another folder with data_dir="):
        _load(tmp_path, registry, [server.url("good")])
    assert server.requests == []


def test_cache_under_a_file_is_a_clear_error(tmp_path, registry, server):
    (tmp_path / "file").write_text("")
    with pytest.raises(CacheError, match=r"cache folder .*file/cache cannot be written \(Not a directory\)"):
        load_mnist(tmp_path / "file" / "cache", mirrors=[server.url("good")], registry=registry,
                   progress=False, fallback=False)


def test_unwritable_cache_falls_back_to_the_sample_and_says_why(tmp_path, registry, server):
    (tmp_path / "cache").write_text("not a folder")
    with pytest.warns(SampleFallbackWarning, match="is a file, not a folder"):
        data = load_mnist(tmp_path / "cache", mirrors=[server.url("good")], registry=registry,
                          progress=False)
    assert data.is_sample and "is a file, not a folder" in data.reason


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root may write in a read-only folder")
def test_read_only_cache_is_a_clear_error(tmp_path, registry, server):
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o500)
    try:
        with pytest.raises(CacheError, match="cannot be written"):
            _load(tmp_path, registry, [server.url("good")])
    finally:
        cache.chmod(0o700)


def test_registry_size_wrong_but_hash_right_is_reported_and_the_file_kept(tmp_path, registry, server):
    name = "t10k-labels-idx1-ubyte.gz"
    _load(tmp_path, registry, [server.url("good")])
    wrong = dict(registry)
    wrong[name] = (registry[name][0] + 1, registry[name][1])
    with pytest.raises(ValueError, match=f"{name}: the sha256 matches the registry but the file "
                                         f"has {registry[name][0]} bytes where the registry says "
                                         f"{registry[name][0] + 1}: the registry's size is wrong"):
        _load(tmp_path, wrong, [server.url("good")])
    assert (tmp_path / "cache" / name).stat().st_size == registry[name][0]


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


def test_offline_returns_the_sample_without_requests_or_warning(tmp_path, server):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # offline was asked for: nothing to warn about
        data = load_mnist(tmp_path, offline=True, mirrors=[server.url("good")])
    assert data.is_sample and server.requests == []
    assert "offline" in data.reason


def test_no_network_falls_back_after_one_attempt_per_mirror(tmp_path, dead_url):
    with pytest.warns(SampleFallbackWarning) as caught:
        data = load_mnist(tmp_path, mirrors=[dead_url, dead_url + "again/"], progress=False)
    assert data.is_sample
    assert str(caught[0].message).count("connection refused") == 2


def test_built_in_registry_checks_the_split_sizes(tmp_path, server, files, monkeypatch):
    # Serve the fake files under the built-in names and hashes: the count check must refuse them.
    import mnist_demo.load as load

    data, _ = files
    fake = {name: (len(body), hashlib.sha256(body).hexdigest()) for name, body in data.items()}
    monkeypatch.setattr(load, "MNIST_FILES", fake)
    with pytest.raises(ValueError, match="50 train digits, expected 60000"):
        load_mnist(tmp_path, mirrors=[server.url("good")], progress=False, fallback=False)


def test_bad_arguments_raise(tmp_path):
    with pytest.raises(ValueError, match=r"load_mnist: timeout must be seconds > 0 or a \(connect, read\)"):
        load_mnist(tmp_path, timeout=(1, 0))
    with pytest.raises(ValueError, match="load_mnist: min_rate must be bytes per second > 0, got -1"):
        load_mnist(tmp_path, min_rate=-1)
    with pytest.raises(ValueError, match="each mirror must be an http"):
        load_mnist(tmp_path, mirrors=["ftp://example/"], fallback=False)
    with pytest.raises(ValueError, match="registry has no entry for"):
        load_mnist(tmp_path, registry={"train-images-idx3-ubyte.gz": (1, "0" * 64)})
