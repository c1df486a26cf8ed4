"""The autoencoder sampled from N(0, I), over the study's latent sizes and seeds (issue 20; `make study` companion).

The study (``tools/latent_study.py``) samples each autoencoder from a Gaussian fitted to its training
codes, its best simple prior. Notebook 08's first figure also shows the naive choice, the VAE's own
rule applied to an autoencoder: decode draws from N(0, I). This tool measures it with the study's
recipe, seeds, judges and sample count: for every latent size and seed it trains the autoencoder
exactly as the study does, then judges ``SAMPLES`` draws from N(0, I) and, on the same model,
``SAMPLES`` draws from the fitted Gaussian (so the two generators are paired within each model).

Writes ``vae_tutorial/assets/latent_study_ae_prior.csv`` in the study's long form (``model`` is
``autoencoder``) with the measures ``prior_sample_{realism, realism_pixels, confidence, frechet,
sharpness, latent_gap}``, ``fitted_sample_{...}`` and ``test_reconstruction`` (to compare with the
study's table: training is reproducible bit for bit only on the same machine and versions).

Usage: ``python tools/ae_prior_samples.py`` (about 5 minutes on 2 CPU cores),
``--latent-dims 32 --seeds 0 1`` (a part, printed, not written).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np
from flax import nnx

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import latent_study as ls  # noqa: E402  (the study's recipe, seeds, judges and table writer)
from vae_tutorial import latent, models, plausibility, train  # noqa: E402

OUTPUT = ls.ASSETS / "latent_study_ae_prior.csv"


def run_autoencoder(ctx: ls.Context, latent_dim: int, seed: int) -> dict[str, float]:
    """Train the study's autoencoder for ``(latent_dim, seed)``; judge N(0, I) draws and fitted-Gaussian draws."""
    mnist = ctx.mnist
    model = models.Autoencoder(latent_dim, hidden_sizes=tuple(ls.RECIPE["hidden_sizes"]),
                               activation=ls.RECIPE["activation"], rngs=nnx.Rngs(params=seed))
    train.fit(model, mnist.train_images, epochs=ls.RECIPE["epochs"], batch_size=ls.RECIPE["batch_size"],
              learning_rate=ls.RECIPE["learning_rate"], beta=ls.RECIPE["beta"], seed=seed, progress=False)
    out = {"test_reconstruction": train.evaluate(model, mnist.test_images)["reconstruction"]}
    train_codes, test_codes = latent.encodings(model, mnist.train_images), latent.encodings(model, mnist.test_images)
    draws = {"prior_sample": np.random.default_rng(ls.SAMPLE_SEED + seed).standard_normal(
                 (ls.SAMPLES, latent_dim)).astype(np.float32),
             "fitted_sample": latent.fit_gaussian(train_codes).sample(ls.SAMPLES, seed=ls.SAMPLE_SEED + seed)}
    for prefix, z in draws.items():
        out.update(ls._judge_set(ctx, latent.decode(model, z), prefix, frechet=True))
        out[f"{prefix}_latent_gap"] = float(np.median(plausibility.relative_gap(z, train_codes, test_codes)))
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latent-dims", type=int, nargs="+", default=list(ls.LATENT_DIMS))
    parser.add_argument("--seeds", type=int, nargs="+", default=list(ls.SEEDS))
    args = parser.parse_args(argv)
    ctx, rows, start = ls.Context(), [], time.time()
    for d in args.latent_dims:
        for s in args.seeds:
            t = time.time()
            measures = run_autoencoder(ctx, d, s)
            rows += [{"model": "autoencoder", "latent_dim": d, "seed": s, "measure": m, "value": v}
                     for m, v in measures.items()]
            print(f"autoencoder d={d:<2} seed {s}: test reconstruction {measures['test_reconstruction']:.2f}, "
                  f"realism N(0, I) {measures['prior_sample_realism']:.2f}, fitted {measures['fitted_sample_realism']:.2f}, "
                  f"{time.time() - t:.0f} s", flush=True)
    full = args.latent_dims == list(ls.LATENT_DIMS) and args.seeds == list(ls.SEEDS)
    if full:
        ls.write_table(rows, OUTPUT)
        print(f"wrote {OUTPUT.name} ({len(rows)} rows) in {(time.time() - start) / 60:.1f} min")


if __name__ == "__main__":
    main()
