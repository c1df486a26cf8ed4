"""The autoencoder against the VAE, over latent sizes and training seeds (issue 9; `make study`).

Trains both models with one recipe (``RECIPE``: layers, data, epochs, optimizer) for every latent
size in ``LATENT_DIMS`` and every seed in ``SEEDS``, judges each trained model, and writes

* ``vae_tutorial/assets/latent_study.csv``: long form, columns ``model, latent_dim, seed, measure,
  value`` (``model`` is ``autoencoder`` or ``vae``);
* ``vae_tutorial/assets/latent_study_slice.csv``: the reduced slice (``SLICE``: latent size 2,
  seed 0, ``SLICE["epochs"]`` epochs) that ``tests/test_latent_study.py`` re-runs;
* ``vae_tutorial/assets/latent_study_long.csv`` (``--long``): the losses only, after ``LONG["epochs"]``
  epochs (the shipped models' length) for latent sizes ``LONG["latent_dims"]``: the overfitting check;
* ``vae_tutorial/assets/latent_study.json``: the recipe, the pairs' and samples' seeds, reference
  values of real digits, the code version (git commit), package versions, the run time.

Every test figure is taken at the last epoch of the recipe (no early stopping; ``RECIPE["epochs"]``).

Measures (one value per trained model; "share" = fraction in [0, 1]). Judges, applied to a set of
decoded images: ``realism`` = improved precision (k = 3; :func:`vae_tutorial.judges.realism`) in the
feature space of the shipped CNN against the 4,500 training digits, ``realism_pixels`` = the same in
pixel space (it saturates near 1 for blurry images: a smooth average lies within the pixel radius of
some real digit), ``confidence`` = the mean top probability of the shipped MLP classifier
(:func:`vae_tutorial.plausibility.confidence`), ``frechet`` = Fréchet distance of CNN features to
those of the 500 real test digits (500 generated images: equal set sizes), ``sharpness`` = mean
squared neighbour-pixel step divided by that of the real test digits (1 = as sharp as real digits).

* ``test_reconstruction``, ``train_reconstruction``: reconstruction term in nats/image (for the VAE
  averaged over 10 draws of z, ``train.evaluate``); ``test_kl``, ``test_neg_elbo``,
  ``train_neg_elbo``: VAE only.
* ``reconstruction_{realism, realism_pixels, confidence, sharpness}``: the 500 test reconstructions
  (decoded codes / means): what each model's decoder gives on real inputs, the ceiling for the rest.
* ``midpoint_{realism, realism_pixels, confidence}``: the decoded midpoint (t = 1/2) of the
  straight path between the encodings of two test digits of *different* classes (``PAIRS`` pairs).
* ``path_{realism, realism_pixels, confidence}``: all interior points of those paths
  (``STEPS`` points per path, endpoints excluded).
* ``path_all_realistic``: share of paths whose every interior point is realistic.
* ``same_class_*``: the same seven for pairs of two test digits of the same class: the null with the
  same structure (a path against paths).
* ``sample_{realism, realism_pixels, confidence, frechet, sharpness, latent_gap}``: ``SAMPLES``
  draws from the model's generator: the VAE from N(0, I), the autoencoder from a Gaussian fitted to
  its training codes (Ghosh et al. 2020). ``latent_gap``: median distance of the draws to the
  nearest training encoding, in units of the test encodings' own such distance
  (:func:`vae_tutorial.plausibility.relative_gap`; >> 1 = far from every encoding).
* ``fitted_sample_*``: draws from the Gaussian fitted to the training codes (both models; for the
  autoencoder the same as ``sample_*``); ``box_sample_*``: uniform draws from the box of the 1st-99th
  percentile of each code coordinate (both models); ``prior_sample_*``: the VAE only, draws from
  N(0, I) (the same as its ``sample_*``).

Every figure is taken after ``RECIPE["epochs"]`` epochs; ``--long`` repeats the training for
``LONG["epochs"]`` epochs and records only the losses.

Usage: ``python tools/latent_study.py`` (the whole study), ``--slice`` (the slice only, printed),
``--long`` (the overfitting check), ``--train-judge`` (rebuild ``assets/digit-cnn.ckpt``),
``--latent-dims 2 8 --seeds 0 1`` (a part). ``make study`` runs the study, then ``--long``.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import pathlib
import platform
import subprocess
import sys
import time

import numpy as np
from flax import nnx

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vae_tutorial import checkpoints, data, judges, latent, models, plausibility, train  # noqa: E402

ASSETS = ROOT / "vae_tutorial" / "assets"
TABLE, SLICE_TABLE, INFO = ASSETS / "latent_study.csv", ASSETS / "latent_study_slice.csv", ASSETS / "latent_study.json"
LONG_TABLE = ASSETS / "latent_study_long.csv"
COLUMNS = ("model", "latent_dim", "seed", "measure", "value")

RECIPE = {"hidden_sizes": [512], "activation": "relu", "epochs": 30, "batch_size": 128, "learning_rate": 1e-3,
          "optimizer": "Adam (optax.adam)", "beta": 1.0, "data": "bundled train split (4,500 digits)",
          "evaluation": "bundled test split (500 digits)", "weights_seed": "params=seed", "fit_seed": "seed"}
MODELS = {"autoencoder": models.Autoencoder, "vae": models.VAE}
LATENT_DIMS = (2, 8, 32)
SEEDS = (0, 1, 2, 3, 4)
SLICE = {"latent_dim": 2, "seed": 0, "epochs": 5}
LONG = {"latent_dims": (2,), "epochs": 100}  # the overfitting check: the shipped models' 100 epochs
PAIRS = 100          # different-class pairs and same-class pairs of test digits, each
STEPS = 9            # points per path, endpoints included (index 4 is the midpoint)
SAMPLES = 500        # draws per generator (= the test set's size, for the Fréchet distance)
PAIR_SEED = 2026     # seeds of the pairs (the same pairs for every model)
SAMPLE_SEED = 7000   # samples of a model trained with seed s use SAMPLE_SEED + s
K = 3                # the neighbour that sets each real digit's radius
CNN_EPOCHS, CNN_SEED = 12, 0


def train_judge() -> None:
    """Rebuild ``assets/digit-cnn.ckpt`` deterministically and record its test accuracy."""
    mnist = data.load_mnist()
    start = time.time()
    cnn = judges.train_cnn(mnist.train_images, mnist.train_labels, epochs=CNN_EPOCHS, seed=CNN_SEED)
    metadata = {"data": "bundled train split (4,500 digits)", "epochs": CNN_EPOCHS, "seed": CNN_SEED,
                "batch_size": 64, "optimizer": "Adam, learning rate 1e-3",
                "test_accuracy": judges.accuracy(mnist.test_images, mnist.test_labels, model=cnn),
                "train_accuracy": judges.accuracy(mnist.train_images, mnist.train_labels, model=cnn),
                "built_by": "tools/latent_study.py --train-judge"}
    checkpoints.save(cnn, ASSETS / judges.CNN_FILE, metadata=metadata)
    print(f"saved {judges.CNN_FILE}: test accuracy {metadata['test_accuracy']:.3f}, "
          f"train accuracy {metadata['train_accuracy']:.3f} ({time.time() - start:.0f} s)")


class Context:
    """What every model is judged against: the data, the judges' reference sets, the pairs."""

    def __init__(self):
        self.mnist = mnist = data.load_mnist()
        self.cnn = judges.shipped_cnn()
        self.train_pixels = mnist.train_images.reshape(len(mnist.train_images), -1)
        self.train_features = judges.features(mnist.train_images, model=self.cnn)
        self.test_features = judges.features(mnist.test_images, model=self.cnn)
        self.radii = {"pixels": judges.kth_neighbour_radii(self.train_pixels, k=K),
                      "features": judges.kth_neighbour_radii(self.train_features, k=K)}
        self.real_sharpness = judges.sharpness(mnist.test_images)
        self.pairs = {"different": data.pairs(mnist.test_labels, count=PAIRS, seed=PAIR_SEED),
                      "same": data.pairs(mnist.test_labels, count=PAIRS, same_class=True, seed=PAIR_SEED + 1)}

    def realistic(self, images) -> dict[str, np.ndarray]:
        """Per-image booleans of both realism judges for ``images [n, 28, 28]``."""
        flat = np.asarray(images, np.float32).reshape(len(images), -1)
        feats = judges.features(flat, model=self.cnn)
        return {"realism": judges.realistic(feats, self.train_features, radii=self.radii["features"]),
                "realism_pixels": judges.realistic(flat, self.train_pixels, radii=self.radii["pixels"])}

    def references(self) -> dict:
        """The judges' values for real digits: the ceilings the models' figures are read against."""
        test = self.mnist.test_images
        rng = np.random.default_rng(PAIR_SEED)
        train_500 = self.train_features[rng.choice(len(self.train_features), SAMPLES, replace=False)]
        judged = self.realistic(test)
        return {"test_digits_realism": float(judged["realism"].mean()),
                "test_digits_realism_pixels": float(judged["realism_pixels"].mean()),
                "test_digits_confidence": float(plausibility.confidence(test).mean()),
                "frechet_500_train_vs_test": judges.frechet_distance(train_500, self.test_features),
                "test_digits_sharpness": self.real_sharpness,
                "cnn_test_accuracy": checkpoints.read_header(ASSETS / judges.CNN_FILE)["metadata"]["test_accuracy"]}


def _judge_set(ctx: Context, images, prefix: str, *, frechet: bool = False) -> dict[str, float]:
    out = {f"{prefix}_{name}": float(v.mean()) for name, v in ctx.realistic(images).items()}
    out[f"{prefix}_confidence"] = float(plausibility.confidence(images).mean())
    if frechet:
        out[f"{prefix}_frechet"] = judges.frechet_distance(judges.features(images, model=ctx.cnn), ctx.test_features)
        out[f"{prefix}_sharpness"] = judges.sharpness(images) / ctx.real_sharpness
    return out


def _paths(ctx: Context, model, test_codes, kind: str, prefix: str) -> dict[str, float]:
    i, j = ctx.pairs[kind]
    images = latent.decode(model, latent.paths(test_codes[i], test_codes[j], steps=STEPS))[:, 1:-1]
    inner = STEPS - 2
    flat = images.reshape(-1, 28, 28)
    judged = ctx.realistic(flat)
    conf = plausibility.confidence(flat).reshape(len(i), inner)
    mid = (STEPS - 1) // 2 - 1  # index of t = 1/2 among the interior points
    out = {}
    for name, v in judged.items():
        v = v.reshape(len(i), inner)
        out[f"{prefix}midpoint_{name}"] = float(v[:, mid].mean())
        out[f"{prefix}path_{name}"] = float(v.mean())
    out[f"{prefix}midpoint_confidence"] = float(conf[:, mid].mean())
    out[f"{prefix}path_confidence"] = float(conf.mean())
    out[f"{prefix}path_all_realistic"] = float(judged["realism"].reshape(len(i), inner).all(1).mean())
    return out


def run_model(ctx: Context, name: str, latent_dim: int, seed: int, *, epochs: int,
              losses_only: bool = False) -> dict[str, float]:
    """Train one model with the recipe and return all its measures (see the module docstring)."""
    mnist = ctx.mnist
    model = MODELS[name](latent_dim, hidden_sizes=tuple(RECIPE["hidden_sizes"]), activation=RECIPE["activation"],
                         rngs=nnx.Rngs(params=seed))
    train.fit(model, mnist.train_images, epochs=epochs, batch_size=RECIPE["batch_size"],
              learning_rate=RECIPE["learning_rate"], beta=RECIPE["beta"], seed=seed, progress=False)
    out = {}
    test, training = train.evaluate(model, mnist.test_images), train.evaluate(model, mnist.train_images)
    out["test_reconstruction"], out["train_reconstruction"] = test["reconstruction"], training["reconstruction"]
    if model.is_variational:
        out.update(test_kl=test["kl"], test_neg_elbo=test["loss"], train_neg_elbo=training["loss"])
    if losses_only:
        return out
    train_codes, test_codes = latent.encodings(model, mnist.train_images), latent.encodings(model, mnist.test_images)
    out.update(_judge_set(ctx, latent.decode(model, test_codes), "reconstruction"))
    out["reconstruction_sharpness"] = judges.sharpness(latent.decode(model, test_codes)) / ctx.real_sharpness
    out.update(_paths(ctx, model, test_codes, "different", ""))
    out.update(_paths(ctx, model, test_codes, "same", "same_class_"))

    rng = np.random.default_rng(SAMPLE_SEED + seed)
    low, high = latent.occupied_box(train_codes)
    draws = {"fitted_sample": latent.fit_gaussian(train_codes).sample(SAMPLES, seed=SAMPLE_SEED + seed),
             "box_sample": (low + (high - low) * rng.uniform(size=(SAMPLES, latent_dim))).astype(np.float32)}
    if model.is_variational:
        draws["prior_sample"] = rng.standard_normal((SAMPLES, latent_dim)).astype(np.float32)
    for prefix, z in draws.items():
        out.update(_judge_set(ctx, latent.decode(model, z), prefix, frechet=True))
        out[f"{prefix}_latent_gap"] = float(np.median(plausibility.relative_gap(z, train_codes, test_codes)))
    own = "prior_sample" if model.is_variational else "fitted_sample"
    out.update({k.replace(own, "sample", 1): v for k, v in out.copy().items() if k.startswith(own)})
    return out


def run(cells, *, epochs: int, log=print, partial=None, losses_only: bool = False) -> list[dict]:
    """Measures of every ``(model, latent_dim, seed)`` in ``cells``, as long-form rows (also written to ``partial``)."""
    ctx = Context()
    rows = []
    for name, latent_dim, seed in cells:
        start = time.time()
        measures = run_model(ctx, name, latent_dim, seed, epochs=epochs, losses_only=losses_only)
        if losses_only:
            log(f"{name:>11} d={latent_dim:<2} seed {seed}, {epochs} epochs: test reconstruction "
                f"{measures['test_reconstruction']:.2f}, {time.time() - start:.0f} s")
            rows += [{"model": name, "latent_dim": latent_dim, "seed": seed, "measure": m, "value": v}
                     for m, v in measures.items()]
            continue
        rows += [{"model": name, "latent_dim": latent_dim, "seed": seed, "measure": m, "value": v}
                 for m, v in measures.items()]
        log(f"{name:>11} d={latent_dim:<2} seed {seed}: test reconstruction {measures['test_reconstruction']:.2f}, "
            f"midpoint realism {measures['midpoint_realism']:.2f}, "
            f"sample realism {measures['sample_realism']:.2f}, {time.time() - start:.0f} s")
        if partial is not None:
            write_table(rows, partial)
    return rows


def slice_cells():
    """The reduced slice that the test re-runs: both models at ``SLICE['latent_dim']``, seed ``SLICE['seed']``."""
    return [(name, SLICE["latent_dim"], SLICE["seed"]) for name in MODELS]


def write_table(rows, path) -> None:
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "value": repr(float(row["value"]))})


def read_table(path) -> list[dict]:
    with open(path, newline="") as file:
        return [{**r, "latent_dim": int(r["latent_dim"]), "seed": int(r["seed"]), "value": float(r["value"])}
                for r in csv.DictReader(file)]


def _versions() -> dict:
    names = ("jax", "jaxlib", "flax", "optax", "numpy")
    return {"python": platform.python_version(), **{n: importlib.metadata.version(n) for n in names}}


def _commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "tools/latent_study.py", "vae_tutorial"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return commit + (" (with uncommitted changes to the package or this tool)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-judge", action="store_true", help="rebuild assets/digit-cnn.ckpt and stop")
    parser.add_argument("--slice", action="store_true", help="run only the slice and print it")
    parser.add_argument("--long", action="store_true",
                        help="only the overfitting check: losses after LONG['epochs'] epochs -> latent_study_long.csv")
    parser.add_argument("--latent-dims", type=int, nargs="+", default=list(LATENT_DIMS))
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--output", type=pathlib.Path, default=TABLE)
    args = parser.parse_args(argv)
    if args.train_judge:
        return train_judge()
    if args.slice:
        for row in run(slice_cells(), epochs=SLICE["epochs"]):
            print(f"{row['model']},{row['latent_dim']},{row['seed']},{row['measure']},{row['value']!r}")
        return None
    start, version = time.time(), _commit()  # the code as it is when the run starts
    if args.long:
        cells = [(name, d, s) for d in LONG["latent_dims"] for s in args.seeds for name in MODELS]
        rows = run(cells, epochs=LONG["epochs"], losses_only=True, log=lambda text: print(text, flush=True))
        write_table(rows, LONG_TABLE)
        if INFO.exists():  # record the check beside the study's recipe
            info = json.loads(INFO.read_text())
            info["long"] = {**LONG, "latent_dims": list(LONG["latent_dims"]), "seeds": args.seeds,
                            "run_seconds": round(time.time() - start), "code_version": version}
            INFO.write_text(json.dumps(info, indent=2) + "\n")
        print(f"wrote {LONG_TABLE.name} ({len(rows)} rows) in {(time.time() - start) / 60:.1f} min")
        return None
    cells = [(name, d, s) for d in args.latent_dims for s in args.seeds for name in MODELS]
    partial = args.output.with_suffix(".partial.csv")
    rows = run(cells, epochs=RECIPE["epochs"], log=lambda text: print(text, flush=True), partial=partial)
    partial.unlink()
    write_table(rows, args.output)
    study_seconds = time.time() - start
    slice_rows = run(slice_cells(), epochs=SLICE["epochs"], log=lambda text: print("slice:", text, flush=True))
    slice_path = SLICE_TABLE if args.output == TABLE else args.output.with_name(args.output.stem + "_slice.csv")
    write_table(slice_rows, slice_path)
    info = {"recipe": RECIPE, "latent_dims": args.latent_dims, "seeds": args.seeds, "slice": SLICE,
            "pairs": {"count": PAIRS, "steps": STEPS, "seed_different_class": PAIR_SEED,
                      "seed_same_class": PAIR_SEED + 1, "from": "bundled test split, without replacement"},
            "samples": {"count": SAMPLES, "seed": f"{SAMPLE_SEED} + training seed"}, "realism_k": K,
            "references": Context().references(), "code_version": version, "versions": _versions(),
            "machine": f"{platform.machine()}, {platform.system()}", "run_seconds": round(study_seconds),
            "columns": list(COLUMNS), "measures": sorted({r["measure"] for r in rows})}
    INFO.write_text(json.dumps(info, indent=2) + "\n") if args.output == TABLE else None
    print(f"wrote {args.output} ({len(rows)} rows) in {study_seconds / 60:.1f} min")


if __name__ == "__main__":
    main()
