"""Tests for vae_tutorial.data: the bundled MNIST sample and the downloaded full MNIST.

The full-MNIST tests never leave the machine: a fixture serves small generated IDX files from a
``ThreadingHTTPServer`` on 127.0.0.1, the mirror and cache are pointed at it and at ``tmp_path``
through the environment, and the expected checksums in ``data.FULL_FILES`` are replaced by those
of the generated files. An autouse guard fails any test that opens a URL on another host.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import socket
import struct
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from vae_tutorial import data
from vae_tutorial.data import MNIST, load_mnist

FILE_NAMES = (data.TRAIN_IMAGES, data.TRAIN_LABELS, data.TEST_IMAGES, data.TEST_LABELS)

# Fingerprints of the bundled split, computed once from mnist_5k.npz: any change of the split
# (or of the data) changes them.
BUNDLED_TRAIN_LABELS_SHA256 = "d68bddc9208522bdff714a9feeeb9736050ef450a47635a95f70a6e7d684eae8"
BUNDLED_TEST_LABELS_SHA256 = "600cf3a6d98cb7a1313a281ebebb0cbc571c86535b317ca6b600834be768d986"
BUNDLED_TRAIN_PIXEL_SUM = 118_379_550  # sum of the uint8 pixel values
BUNDLED_TEST_PIXEL_SUM = 12_887_552


# --------------------------------------------------------------------------------------------
# Isolation: no outside network, no proxies, no writes to the real cache
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)

    real_urlopen = urllib.request.urlopen

    def local_only_urlopen(url, *args, **kwargs):
        full = url.full_url if isinstance(url, urllib.request.Request) else url
        host = urllib.parse.urlsplit(full).hostname
        if host != "127.0.0.1":
            raise AssertionError(f"test tried to open {full}; only 127.0.0.1 is allowed")
        return real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", local_only_urlopen)


# --------------------------------------------------------------------------------------------
# Bundled sample
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> MNIST:
    return load_mnist("bundled")


def test_bundled_shapes_and_dtypes(bundled):
    assert isinstance(bundled, MNIST)
    assert bundled.train_images.shape == (4500, 28, 28)
    assert bundled.train_labels.shape == (4500,)
    assert bundled.test_images.shape == (500, 28, 28)
    assert bundled.test_labels.shape == (500,)
    assert bundled.train_images.dtype == np.float32
    assert bundled.test_images.dtype == np.float32
    assert bundled.train_labels.dtype == np.int32
    assert bundled.test_labels.dtype == np.int32


def test_bundled_value_range(bundled):
    for images in (bundled.train_images, bundled.test_images):
        assert images.min() == 0.0
        assert images.max() == 1.0  # scaled, not 255
        # every value is a whole pixel intensity divided by 255
        np.testing.assert_array_equal(np.rint(images * 255) / np.float32(255), images)


def test_bundled_class_balance(bundled):
    np.testing.assert_array_equal(np.bincount(bundled.train_labels, minlength=10), [450] * 10)
    np.testing.assert_array_equal(np.bincount(bundled.test_labels, minlength=10), [50] * 10)
    assert bundled.train_labels.min() == 0 and bundled.train_labels.max() == 9


def test_bundled_split_is_fixed(bundled):
    again = load_mnist()  # the default source is the bundled sample
    for a, b in zip(bundled, again):
        np.testing.assert_array_equal(a, b)
    assert hashlib.sha256(bundled.train_labels.astype("<i4").tobytes()).hexdigest() == (
        BUNDLED_TRAIN_LABELS_SHA256
    )
    assert hashlib.sha256(bundled.test_labels.astype("<i4").tobytes()).hexdigest() == (
        BUNDLED_TEST_LABELS_SHA256
    )
    assert int(np.rint(bundled.train_images * 255).sum(dtype=np.int64)) == BUNDLED_TRAIN_PIXEL_SUM
    assert int(np.rint(bundled.test_images * 255).sum(dtype=np.int64)) == BUNDLED_TEST_PIXEL_SUM


def test_bundled_train_and_test_are_disjoint(bundled):
    train = {image.tobytes() for image in bundled.train_images}
    test = {image.tobytes() for image in bundled.test_images}
    assert len(test) == 500
    assert not train & test


def test_bundled_does_not_touch_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the bundled source must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    assert load_mnist().train_images.shape == (4500, 28, 28)


def test_bundled_damaged_file(monkeypatch):
    real = data._read_bundled_bytes()
    monkeypatch.setattr(data, "_read_bundled_bytes", lambda: real[: len(real) // 2])
    with pytest.raises(OSError, match=r"bundled MNIST file mnist_5k\.npz is damaged") as info:
        load_mnist("bundled")
    assert data.BUNDLED_SHA256 in str(info.value)
    assert "tools/build_mnist_sample.py" in str(info.value)


def test_bundled_unexpected_checksum(monkeypatch):
    monkeypatch.setattr(data, "BUNDLED_SHA256", "0" * 64)
    with pytest.raises(OSError, match="damaged") as info:
        load_mnist()
    assert "expected " + "0" * 64 in str(info.value)


# --------------------------------------------------------------------------------------------
# Argument checking
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["", "Full", "mnist", "bundled "])
def test_unknown_source(source):
    with pytest.raises(ValueError) as info:
        load_mnist(source)
    message = str(info.value)
    assert "'bundled'" in message and "'full'" in message
    assert repr(source) in message


@pytest.mark.parametrize("source", [None, 1, b"full", ["full"]])
def test_non_string_source(source):
    with pytest.raises(TypeError, match="source must be a string"):
        load_mnist(source)


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def test_canonical_checksums_and_mirrors():
    assert data.FULL_FILES == {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }
    assert data.DEFAULT_MIRRORS[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert all(m.startswith("https://") for m in data.DEFAULT_MIRRORS)


def test_mirror_env(monkeypatch):
    assert data._mirrors() == list(data.DEFAULT_MIRRORS)
    monkeypatch.setenv(data.MIRROR_ENV, "http://127.0.0.1:1/a/")
    assert data._mirrors() == ["http://127.0.0.1:1/a/"]
    monkeypatch.setenv(data.MIRROR_ENV, " http://127.0.0.1:1/a , ,http://127.0.0.1:2/b/,")
    assert data._mirrors() == ["http://127.0.0.1:1/a", "http://127.0.0.1:2/b/"]
    monkeypatch.setenv(data.MIRROR_ENV, " ")
    assert data._mirrors() == list(data.DEFAULT_MIRRORS)
    assert data._url("http://h/x", "f.gz") == data._url("http://h/x/", "f.gz") == "http://h/x/f.gz"


def test_cache_dir_env(monkeypatch, tmp_path):
    assert data._cache_dir() == tmp_path / "cache"
    monkeypatch.delenv(data.CACHE_ENV)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    assert data._cache_dir() == tmp_path / "home" / ".cache" / "vae_tutorial"


# --------------------------------------------------------------------------------------------
# Full MNIST against a local mirror
# --------------------------------------------------------------------------------------------


def idx_gz(array: np.ndarray, magic: int | None = None) -> bytes:
    """Encode a uint8 array as a gzipped IDX file (magic defaults to 0x0800 + ndim)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = 0x0800 + array.ndim if magic is None else magic
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    return gzip.compress(header + array.tobytes(), mtime=0)


class Mirror:
    """A local HTTP server over a directory, counting the files it is asked for."""

    def __init__(self, root: Path):
        self.root = root
        self.requests: list[str] = []
        requests = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
        )
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()
        self.running = True

    def count(self, name: str) -> int:
        return sum(path.endswith("/" + name) for path in self.requests)

    def stop(self):
        if self.running:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)
            self.running = False


@pytest.fixture
def generated():
    """Small valid MNIST-like data: 20 train and 10 test uint8 images with labels."""
    rng = np.random.default_rng(0)
    arrays = {
        data.TRAIN_IMAGES: rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8),
        data.TRAIN_LABELS: rng.integers(0, 10, size=20, dtype=np.uint8),
        data.TEST_IMAGES: rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8),
        data.TEST_LABELS: rng.integers(0, 10, size=10, dtype=np.uint8),
    }
    arrays[data.TRAIN_IMAGES][0] = 255  # make sure the maximum intensity occurs
    arrays[data.TRAIN_IMAGES][1] = 0
    return arrays


@pytest.fixture
def mirror(tmp_path, monkeypatch, generated):
    """Serve the generated files, point the loader at the server and expect their checksums."""
    root = tmp_path / "served"
    root.mkdir()
    files = {name: idx_gz(array) for name, array in generated.items()}
    for name, raw in files.items():
        (root / name).write_bytes(raw)
    monkeypatch.setattr(
        data, "FULL_FILES", {name: hashlib.sha256(raw).hexdigest() for name, raw in files.items()}
    )
    server = Mirror(root)
    monkeypatch.setenv(data.MIRROR_ENV, server.url)
    yield server
    server.stop()


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_matches(mnist: MNIST, generated) -> None:
    assert isinstance(mnist, MNIST)
    assert mnist.train_images.shape == (20, 28, 28)
    assert mnist.test_images.shape == (10, 28, 28)
    assert mnist.train_images.dtype == mnist.test_images.dtype == np.float32
    assert mnist.train_labels.dtype == mnist.test_labels.dtype == np.int32
    np.testing.assert_array_equal(
        mnist.train_images, generated[data.TRAIN_IMAGES].astype(np.float32) / 255
    )
    np.testing.assert_array_equal(
        mnist.test_images, generated[data.TEST_IMAGES].astype(np.float32) / 255
    )
    np.testing.assert_array_equal(mnist.train_labels, generated[data.TRAIN_LABELS])
    np.testing.assert_array_equal(mnist.test_labels, generated[data.TEST_LABELS])
    assert mnist.train_images.max() == 1.0 and mnist.train_images.min() == 0.0


def cache_listing(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_full_downloads_parses_and_caches(mirror, cache, generated):
    mnist = load_mnist("full")
    assert_matches(mnist, generated)
    assert sorted(mirror.requests) == sorted("/" + name for name in FILE_NAMES)
    assert cache_listing(cache) == sorted(FILE_NAMES)  # no temporary files left behind
    for name in FILE_NAMES:
        assert (cache / name).read_bytes() == (mirror.root / name).read_bytes()

    mirror.stop()  # the second load must come from the cache alone
    again = load_mnist("full")
    assert_matches(again, generated)
    assert len(mirror.requests) == 4


def test_full_corrupted_download(mirror, cache):
    good = (mirror.root / data.TRAIN_IMAGES).read_bytes()
    (mirror.root / data.TRAIN_IMAGES).write_bytes(good[:-10] + b"0123456789")
    with pytest.raises(OSError) as info:
        load_mnist("full")
    message = str(info.value)
    assert "checksum mismatch" in message
    assert data.TRAIN_IMAGES in message
    assert mirror.url + data.TRAIN_IMAGES in message
    assert data.FULL_FILES[data.TRAIN_IMAGES] in message  # the expected sum
    assert data.TRAIN_IMAGES not in cache_listing(cache)
    assert not [name for name in cache_listing(cache) if name.endswith(".part")]


def test_full_falls_back_to_the_next_mirror(mirror, cache, monkeypatch, generated):
    monkeypatch.setenv(data.MIRROR_ENV, f"{mirror.url}missing/, {mirror.url}")
    assert_matches(load_mnist("full"), generated)
    for name in FILE_NAMES:
        assert mirror.requests.count("/missing/" + name) == 1  # answered 404
        assert mirror.requests.count("/" + name) == 1
    assert cache_listing(cache) == sorted(FILE_NAMES)


def test_full_redownloads_a_truncated_cached_file(mirror, cache, generated):
    load_mnist("full")
    cached = cache / data.TEST_IMAGES
    cached.write_bytes(cached.read_bytes()[:100])
    assert_matches(load_mnist("full"), generated)
    assert mirror.count(data.TEST_IMAGES) == 2
    assert mirror.count(data.TRAIN_IMAGES) == 1  # intact files are not fetched again
    assert cached.read_bytes() == (mirror.root / data.TEST_IMAGES).read_bytes()
    assert cache_listing(cache) == sorted(FILE_NAMES)


def test_full_without_network(mirror, cache, monkeypatch, closed_port):
    first = f"http://127.0.0.1:{closed_port}/mnist/"
    second = f"http://127.0.0.1:{closed_port}/other/"
    monkeypatch.setenv(data.MIRROR_ENV, f"{first},{second}")
    with pytest.raises(OSError) as info:
        load_mnist("full")
    assert isinstance(info.value, data.DownloadError)
    message = str(info.value)
    assert 'load_mnist(source="bundled")' in message
    assert first + data.TRAIN_IMAGES in message
    assert second + data.TRAIN_IMAGES in message
    assert str(cache) in message
    assert data.MIRROR_ENV in message and data.CACHE_ENV in message
    assert mirror.requests == []
    assert cache_listing(cache) == []


def test_full_bad_magic(mirror, generated, monkeypatch):
    bad = idx_gz(generated[data.TRAIN_IMAGES], magic=2049)
    (mirror.root / data.TRAIN_IMAGES).write_bytes(bad)
    monkeypatch.setitem(data.FULL_FILES, data.TRAIN_IMAGES, hashlib.sha256(bad).hexdigest())
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz has IDX magic number 2049"):
        load_mnist("full")


def test_full_idx_size_disagrees_with_header(mirror, generated, monkeypatch):
    labels = generated[data.TEST_LABELS]
    bad = gzip.compress(struct.pack(">II", 2049, 12) + labels.tobytes(), mtime=0)  # 10 bytes, not 12
    (mirror.root / data.TEST_LABELS).write_bytes(bad)
    monkeypatch.setitem(data.FULL_FILES, data.TEST_LABELS, hashlib.sha256(bad).hexdigest())
    with pytest.raises(ValueError, match=r"holds 10 bytes of data but its IDX header declares"):
        load_mnist("full")


def test_full_not_gzip(mirror, monkeypatch):
    bad = b"<html>not found</html>"
    (mirror.root / data.TRAIN_LABELS).write_bytes(bad)
    monkeypatch.setitem(data.FULL_FILES, data.TRAIN_LABELS, hashlib.sha256(bad).hexdigest())
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte\.gz is not a valid gzip file"):
        load_mnist("full")


def test_full_image_and_label_counts_disagree(mirror, generated, monkeypatch):
    bad = idx_gz(generated[data.TRAIN_LABELS][:19])
    (mirror.root / data.TRAIN_LABELS).write_bytes(bad)
    monkeypatch.setitem(data.FULL_FILES, data.TRAIN_LABELS, hashlib.sha256(bad).hexdigest())
    with pytest.raises(ValueError, match="holds 20 images but train-labels-idx1-ubyte.gz 19 labels"):
        load_mnist("full")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "too short"),
        (struct.pack(">I", 2051) + b"\0\0", "truncated inside its IDX header"),
        (struct.pack(">I", 0x0D03), "IDX magic number 3331"),
    ],
)
def test_parse_idx_errors(raw, message):
    with pytest.raises(ValueError, match=message):
        data._parse_idx(gzip.compress(raw), "x.gz", data.IDX_IMAGES_MAGIC)


# --------------------------------------------------------------------------------------------
# pairs: drawn without replacement
# --------------------------------------------------------------------------------------------

LABELS = np.repeat(np.arange(10), 50)


def _disjoint(i, j):
    both = np.concatenate([i, j])
    return len(np.unique(both)) == len(both)


def test_pairs_of_two_given_classes():
    i, j = data.pairs(LABELS, count=50, first=2, second=9, seed=0)
    assert len(i) == len(j) == 50 and (LABELS[i] == 2).all() and (LABELS[j] == 9).all()
    assert _disjoint(i, j)
    with pytest.raises(ValueError, match="only 50 disjoint pairs of class 2 and class 9, 51 were asked for"):
        data.pairs(LABELS, count=51, first=2, second=9)


def test_pairs_with_only_first_use_it():
    i, j = data.pairs(LABELS, count=30, first=3, seed=1)
    assert (LABELS[i] == 3).all() and (LABELS[j] != 3).all() and _disjoint(i, j)


def test_pairs_of_different_and_of_same_classes():
    i, j = data.pairs(LABELS, count=200, seed=1)
    assert (LABELS[i] != LABELS[j]).all() and _disjoint(i, j)
    i, j = data.pairs(LABELS, count=200, same_class=True, seed=1)
    assert (LABELS[i] == LABELS[j]).all() and _disjoint(i, j)
    assert len(np.unique(LABELS[i])) == 10  # every class takes part
    i, j = data.pairs(LABELS, count=25, first=4, second=4, seed=2)
    assert (LABELS[i] == 4).all() and (LABELS[j] == 4).all() and _disjoint(i, j)


def test_pairs_are_reproducible_and_seed_dependent():
    a = data.pairs(LABELS, count=20, seed=3)
    b = data.pairs(LABELS, count=20, seed=3)
    c = data.pairs(LABELS, count=20, seed=4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_pairs_fail_clearly_instead_of_looping_forever():
    # One class only: there is no pair of different classes (the old version never returned).
    with pytest.raises(ValueError, match="at least two classes, the labels hold 1"):
        data.pairs(np.zeros(10, int), count=3)
    with pytest.raises(ValueError, match="only 5 disjoint different-class pairs, 6 were asked for"):
        data.pairs(np.array([0] * 5 + [1] * 5), count=6)
    with pytest.raises(ValueError, match="give first together with second"):
        data.pairs(LABELS, count=1, second=3)
    with pytest.raises(ValueError, match="labels must be a vector of integers"):
        data.pairs(LABELS.astype(float), count=1)
    with pytest.raises(TypeError):
        data.pairs(LABELS, 2, 9, 10)  # count and the classes are keyword-only
