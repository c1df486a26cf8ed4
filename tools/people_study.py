"""The measurements behind 11-vaes-people-use, over training seeds, written to one committed JSON file.

``python tools/people_study.py`` trains every configuration below on the bundled 4,500 training
digits, judges it on the 500 test digits, and writes ``vae_tutorial/assets/people_study.json``:
``{"recipe": ..., "rows": [{"section", "condition", "seed", "measure", "value"}, ...], ...}``.
The notebook reads the rows (``vae_tutorial.people.load_study``) and computes every mean and
standard error itself. ``--sections conv collapse`` runs a part (the rows of the other sections in the file are kept);
``--seeds 0`` fewer seeds.

Sections (every figure at the last epoch of its recipe, no early stopping):

* ``conv``: the MLP VAE (784-512-16) against the convolutional VAE (``variants.ConvVAE``, latent 16,
  channels 16 and 32), ``EPOCHS["conv"]`` epochs, beta = 1. Measures: ``test_neg_elbo``, ``test_kl``,
  ``test_reconstruction`` (``train.evaluate``, 10 draws of z), and the study's judges of 500 draws
  from the prior (``tools/latent_study.py``'s ``_judge_set``): ``sample_realism`` (CNN features,
  k = 3), ``sample_realism_pixels``, ``sample_confidence``, ``sample_frechet`` (against the 500 test
  digits' features), ``sample_sharpness`` (1 = as sharp as real digits); ``seconds`` of training.
* ``conv_long``: the same after ``EPOCHS["conv_long"]`` epochs (the shipped models' length is 100;
  the convolutional VAE learns more slowly per epoch than the MLP here).
* ``sweep``: the 2-d MLP VAE trained with beta in ``BETAS`` (rate = test KL, distortion = test
  reconstruction), ``EPOCHS["sweep"]`` epochs.
* ``collapse``: the 20-d MLP VAE at beta = 16 (the collapsing set-up of 07-how-vaes-fail), plain, with
  KL warm-up over ``WARMUP_STEPS`` steps, and with free bits (``FREE_BITS`` nats per dimension).
  Measures: ``active_units`` (Burda et al.'s count on the test digits), ``test_kl``, ``test_neg_elbo``
  (the beta = 1 ELBO), ``test_reconstruction``.
* ``likelihood``: the 20-d MLP VAE with a Bernoulli likelihood (beta = 1), with "SSE + KL" (a
  Gaussian of sigma^2 = 1/2) and with "mean squared error + KL" (SSE + 784 KL). Measures:
  ``test_kl`` (the rate), ``active_units``, ``test_mse`` (squared error of the decoded test means per
  pixel).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import platform
import subprocess
import sys
import time
import types

import numpy as np
from flax import nnx

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from vae_tutorial import data, diagnostics, latent, models, objectives, train, variants  # noqa: E402

OUT = ROOT / "vae_tutorial" / "assets" / "people_study.json"
SEEDS = (0, 1, 2)
EPOCHS = {"conv": 8, "conv_long": 30, "sweep": 10, "collapse": 5, "likelihood": 5}
CONV = {"latent_dim": 16, "channels": [16, 32]}
BETAS = (0.1, 0.3, 1.0, 3.0, 10.0)
COLLAPSE_BETA, COLLAPSE_LATENT = 16.0, 20
WARMUP_STEPS = 105       # 3 of the 5 epochs (35 steps each): the KL weight reaches beta after 60% of training
FREE_BITS = 0.5          # nats per latent dimension
SAMPLES, SAMPLE_SEED = 500, 7000
SECTIONS = ("collapse", "likelihood", "sweep", "conv", "conv_long")


def _evaluate(model, mnist) -> dict[str, float]:
    test = train.evaluate(model, mnist.test_images)
    return {"test_neg_elbo": test["loss"], "test_kl": test["kl"], "test_reconstruction": test["reconstruction"]}


def run_conv(ctx, seed: int, *, section: str = "conv") -> list[tuple[str, dict]]:
    import latent_study

    mnist, out = ctx.mnist, []
    for name in ("mlp", "conv"):
        model = (models.VAE(CONV["latent_dim"], rngs=nnx.Rngs(params=seed)) if name == "mlp" else
                 variants.ConvVAE(CONV["latent_dim"], channels=CONV["channels"], rngs=nnx.Rngs(params=seed)))
        start = time.time()
        train.fit(model, mnist.train_images, epochs=EPOCHS[section], seed=seed, progress=False)
        measures = {"seconds": time.time() - start, **_evaluate(model, mnist)}
        z = np.random.default_rng(SAMPLE_SEED + seed).standard_normal((SAMPLES, CONV["latent_dim"])).astype(np.float32)
        measures.update(latent_study._judge_set(ctx, latent.decode(model, z), "sample", frechet=True))
        out.append((name, measures))
    return out


def run_sweep(ctx, seed: int) -> list[tuple[str, dict]]:
    out = []
    for beta in BETAS:
        model = models.VAE(2, rngs=nnx.Rngs(params=seed))
        train.fit(model, ctx.mnist.train_images, epochs=EPOCHS["sweep"], beta=beta, seed=seed, progress=False)
        out.append((f"beta={beta:g}", _evaluate(model, ctx.mnist)))
    return out


def _collapse_measures(model, mnist) -> dict[str, float]:
    return {**_evaluate(model, mnist), "active_units": diagnostics.active_units(model, mnist.test_images)}


def run_collapse(ctx, seed: int) -> list[tuple[str, dict]]:
    mnist, out = ctx.mnist, []
    fresh = lambda: models.VAE(COLLAPSE_LATENT, rngs=nnx.Rngs(params=seed))
    model = fresh()
    train.fit(model, mnist.train_images, epochs=EPOCHS["collapse"], beta=COLLAPSE_BETA, seed=seed, progress=False)
    out.append(("plain", _collapse_measures(model, mnist)))
    model = fresh()
    train.fit(model, mnist.train_images, epochs=EPOCHS["collapse"], beta=COLLAPSE_BETA, seed=seed, progress=False,
              kl_warmup_steps=WARMUP_STEPS)
    out.append(("warm-up", _collapse_measures(model, mnist)))
    model = fresh()
    train.fit(model, mnist.train_images, epochs=EPOCHS["collapse"], beta=COLLAPSE_BETA, seed=seed, progress=False,
              free_bits=FREE_BITS)
    out.append(("free bits", _collapse_measures(model, mnist)))
    return out


def run_likelihood(ctx, seed: int) -> list[tuple[str, dict]]:
    mnist, out = ctx.mnist, []
    for name, loss in (("bernoulli", None), ("sse+kl", objectives.gaussian_objective(0.5 ** 0.5)),
                       ("mse+kl", objectives.mse_objective)):
        model = models.VAE(COLLAPSE_LATENT, rngs=nnx.Rngs(params=seed))
        train.fit(model, mnist.train_images, epochs=EPOCHS["likelihood"], seed=seed, progress=False, loss=loss)
        decoded = latent.decode(model, latent.encodings(model, mnist.test_images))
        out.append((name, {"test_kl": train.evaluate(model, mnist.test_images)["kl"],
                           "active_units": diagnostics.active_units(model, mnist.test_images),
                           "test_mse": float(np.mean((decoded - mnist.test_images) ** 2))}))
    return out


RUNNERS = {"conv": run_conv, "conv_long": lambda ctx, seed: run_conv(ctx, seed, section="conv_long"), "sweep": run_sweep, "collapse": run_collapse, "likelihood": run_likelihood}


def _context(sections):
    """The data and, for the judges of ``conv``, ``tools/latent_study.py``'s reference sets (built once)."""
    if {"conv", "conv_long"} & set(sections):
        import latent_study

        return latent_study.Context()
    return types.SimpleNamespace(mnist=data.load_mnist())


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sections", nargs="+", default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--output", type=pathlib.Path, default=OUT)
    parser.add_argument("--epochs", type=int, default=None, help="override every section's epochs (a smoke test)")
    args = parser.parse_args(argv)
    if args.epochs is not None:
        EPOCHS.update({k: args.epochs for k in EPOCHS})
    import jax

    recipe = {"seeds": args.seeds, "epochs": EPOCHS, "conv": CONV, "betas": list(BETAS),
              "collapse": {"beta": COLLAPSE_BETA, "latent_dim": COLLAPSE_LATENT, "warmup_steps": WARMUP_STEPS,
                           "free_bits": FREE_BITS},
              "samples": {"count": SAMPLES, "seed": f"{SAMPLE_SEED} + training seed"},
              "optimizer": "Adam, learning rate 1e-3, batch 128", "data": "bundled train split (4,500 digits)",
              "evaluation": "bundled test split (500 digits); train.evaluate with seed 0, 10 draws of z"}
    result = {"recipe": recipe, "rows": [], "code_version": _commit(), "run_seconds": {},
              "versions": {"jax": jax.__version__, "python": platform.python_version()}}
    if args.output.exists():  # keep the rows (and times) of the sections not run now
        kept = json.loads(args.output.read_text())
        result["rows"] = [r for r in kept["rows"] if r["section"] not in args.sections]
        result["run_seconds"] = {k: v for k, v in kept.get("run_seconds", {}).items()
                                 if k not in args.sections and k != "total"}
    start_all = time.time()
    ctx = _context(args.sections)
    for section in args.sections:
        start = time.time()
        for seed in args.seeds:
            for condition, measures in RUNNERS[section](ctx, seed):
                result["rows"] += [{"section": section, "condition": condition, "seed": seed, "measure": m,
                                    "value": float(v)} for m, v in measures.items()]
                brief = ", ".join(f"{m} {v:.3g}" for m, v in measures.items())
                print(f"{section} {condition} seed {seed}: {brief} ({time.time() - start_all:.0f} s)", flush=True)
            args.output.write_text(json.dumps(result, indent=1) + "\n")
        result["run_seconds"][section] = round(time.time() - start)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.output} in {(time.time() - start_all) / 60:.1f} min")


if __name__ == "__main__":
    main()
