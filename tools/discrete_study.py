"""The discrete VAE against the Gaussian VAE at a matched budget, over training seeds (issue 22).

Both models have the same MLPs (784-512-code, code-512-784), data (the bundled 4,500 training
digits), optimizer (Adam, learning rate 1e-3, batch 128) and length (``EPOCHS`` epochs):

* ``gaussian``: :class:`vae_tutorial.models.VAE` with a 20-dimensional Gaussian code,
  ``train.fit(epochs=EPOCHS, seed=seed)`` (the recipe of the shipped ``vae-20d``, shorter: 30 epochs
  instead of 100, so that ten trainings fit on a shared two-core machine);
* ``discrete``: :class:`vae_tutorial.discrete.DiscreteVAE`, 20 categorical variables of 10
  classes, Gumbel-softmax gradients with the temperature annealed from 1.0 to 0.5 in 3 stages
  (:data:`vae_tutorial.discrete.PRETRAINED_RECIPE`, the shipped ``discrete-vae-20x10``).

For each seed in ``SEEDS`` and each model it records, on the 500 test digits:
``test_neg_elbo``, ``test_reconstruction``, ``test_kl`` (``train.evaluate``, 10 draws per image, seed 0),
``train_neg_elbo``; ``reconstruction_accuracy``: the share of test reconstructions (decoded from the
mean of q for the Gaussian, the most probable code for the discrete model) that the shipped CNN reads
as the digit's label; ``sample_realism``: improved precision (k = 3) in the CNN's feature space of
500 decoded draws from the prior against the training digits (``judges.realism``);
``sample_confidence``: the MLP classifier's mean top probability on those draws; ``train_seconds``.

Writes ``vae_tutorial/assets/discrete_study.json``: recipe, per-run values, and for each measure the
per-model mean, standard error and the paired (same seed) difference discrete - gaussian with its
standard error. Also ``vae_tutorial/assets/discrete_study_gaussian.npz``: seed 0's Gaussian VAE's
reconstructions of the first test digit of each class (``reconstructions``, float16 [10, 28, 28]) and
its decodings of 10 prior draws with key ``SAMPLE_KEY`` (``samples``), so that the notebook can show
them beside the shipped discrete VAE's without a second checkpoint. The JSON is rewritten after every
seed. Usage: ``python tools/discrete_study.py [--seeds 0 1 2 3 4] [--save-pretrained]``
(``--save-pretrained`` also writes the shipped checkpoint from seed 0, which is the recipe of
``tools/train_pretrained.py discrete``).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import time

import flax
import jax
import numpy as np
from flax import nnx

from vae_tutorial import data, discrete, judges, models, plausibility, train

import train_pretrained  # tools/, next to this script

OUT = pathlib.Path(__file__).resolve().parents[1] / "vae_tutorial" / "assets" / "discrete_study.json"
PICTURES = OUT.with_name("discrete_study_gaussian.npz")
SAMPLE_KEY = 12345
SEEDS = (0, 1, 2, 3, 4)
EPOCHS = discrete.PRETRAINED_RECIPE["epochs"]
SAMPLES = 500
MEASURES = ("test_neg_elbo", "test_reconstruction", "test_kl", "train_neg_elbo", "reconstruction_accuracy",
            "sample_realism", "sample_confidence", "train_seconds")


def measure(model, mnist, radii, reconstruct, draw) -> dict:
    test = train.evaluate(model, mnist.test_images)
    train_loss = train.evaluate(model, mnist.train_images)["loss"]
    recon = np.asarray(model.decode(reconstruct(mnist.test_images)))
    samples = np.asarray(model.decode(draw(jax.random.key(SAMPLE_KEY), SAMPLES)))
    return {
        "test_neg_elbo": test["loss"], "test_reconstruction": test["reconstruction"], "test_kl": test["kl"],
        "train_neg_elbo": train_loss,
        "reconstruction_accuracy": float(np.mean(judges.predict(recon) == mnist.test_labels)),
        "sample_realism": judges.realism(samples, mnist.train_images, space="features", radii=radii),
        "sample_confidence": float(np.mean(plausibility.confidence(samples))),
    }


def run(seed: int, mnist, radii, *, save_pretrained: bool = False) -> dict:
    start = time.perf_counter()
    gaussian = models.VAE(20, rngs=nnx.Rngs(params=seed))
    train.fit(gaussian, mnist.train_images, epochs=EPOCHS, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    g = measure(gaussian, mnist, radii, lambda x: gaussian.encode(x)[0],
                lambda key, n: jax.random.normal(key, (n, 20)))
    g["train_seconds"] = seconds
    if seed == 0:
        heroes = [int(np.flatnonzero(mnist.test_labels == c)[0]) for c in range(10)]
        np.savez_compressed(PICTURES, reconstructions=np.asarray(gaussian.decode(gaussian.encode(
            mnist.test_images[heroes])[0]), np.float16), samples=np.asarray(gaussian.decode(
            jax.random.normal(jax.random.key(SAMPLE_KEY), (SAMPLES, 20)))[:10], np.float16))
    start = time.perf_counter()
    model, histories = discrete.train_recipe(mnist.train_images, seed=seed)
    seconds = time.perf_counter() - start
    if seed == train_pretrained.SEED and save_pretrained:  # the same recipe and seed as the shipped model
        train_pretrained.build_discrete((model, histories, seconds))
    d = measure(model, mnist, radii, model.mode, model.sample_prior)
    d["train_seconds"] = seconds
    return {"gaussian": g, "discrete": d}


def summarise(runs: dict) -> dict:
    out = {}
    for name in MEASURES:
        g = np.array([runs[s]["gaussian"][name] for s in runs])
        d = np.array([runs[s]["discrete"][name] for s in runs])
        n = len(g)
        se = lambda x: float(np.std(x, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
        out[name] = {"gaussian_mean": float(g.mean()), "gaussian_se": se(g), "discrete_mean": float(d.mean()),
                     "discrete_se": se(d), "difference_mean": float((d - g).mean()), "difference_se": se(d - g)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--save-pretrained", action="store_true",
                        help="also write the shipped discrete-vae-20x10.ckpt from seed 0's discrete model")
    args = parser.parse_args()
    mnist = data.load_mnist()
    radii = judges.kth_neighbour_radii(judges.features(mnist.train_images), k=3)
    begin = time.perf_counter()
    runs = {}
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                            cwd=OUT.parents[1]).stdout.strip()
    for seed in args.seeds:
        runs[seed] = run(seed, mnist, radii, save_pretrained=args.save_pretrained)
        print(f"seed {seed}: " + "; ".join(f"{m}: {r['test_neg_elbo']:.2f} test -ELBO, "
                                           f"{r['train_seconds']:.0f} s" for m, r in runs[seed].items()), flush=True)
        result = {
            "recipe": {"epochs": EPOCHS, "gaussian": {"class": "VAE", "latent_dim": 20},
                       "discrete": discrete.PRETRAINED_RECIPE, "samples": SAMPLES, "sample_key": SAMPLE_KEY,
                       "evaluation": "train.evaluate(model, images), seed 0, 10 draws per image"},
            "seeds": list(runs), "runs": {str(s): r for s, r in runs.items()}, "summary": summarise(runs),
            "commit": commit, "seconds": round(time.perf_counter() - begin),
            "versions": {"jax": jax.__version__, "flax": flax.__version__},
        }
        OUT.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(json.dumps(result["summary"], indent=1))


if __name__ == "__main__":
    main()
