"""Train the pretrained models of ``vae_tutorial.pretrained`` and write them into the package.

Deterministic: each model uses fixed seeds on the bundled training split. Run from the
repository root: ``python tools/train_pretrained.py [name ...]`` (default: all).
"""

from __future__ import annotations

import pathlib
import sys
import time

import flax
import jax
import numpy as np
from flax import nnx

from vae_tutorial import checkpoints, data, models, pretrained, train

OUT = pathlib.Path(__file__).resolve().parents[1] / "vae_tutorial" / "assets" / "pretrained"
SEED = 0


def build(name: str) -> None:
    recipe = pretrained.RECIPES[name]
    mnist = data.load_mnist()
    cls = models.MODEL_CLASSES[recipe["class"]]
    model = cls(recipe["latent_dim"], rngs=nnx.Rngs(params=SEED))
    start = time.perf_counter()
    history = train.fit(model, mnist.train_images, epochs=recipe["epochs"],
                        beta=recipe["beta"] if recipe["beta"] is not None else 1.0,
                        seed=SEED, progress=False)
    seconds = time.perf_counter() - start
    test = train.evaluate(model, mnist.test_images)
    metadata = {
        "name": name, "recipe": recipe, "seed": SEED, "data": "bundled train split (4,500 digits)",
        "final_train_loss": round(history.loss[-1], 4),
        "test": {k: round(v, 4) for k, v in test.items()},
        "evaluation": "vae_tutorial.train.evaluate(model, test_images) with seed 0, 10 samples",
        "versions": {"jax": jax.__version__, "flax": flax.__version__},
    }
    checkpoints.save(model, OUT / f"{name}.ckpt", metadata=metadata)
    print(f"{name}: {history.summary()}; test loss {test['loss']:.2f} ({seconds:.0f} s)")



def build_classifier() -> None:
    """Train and write the digit classifier used by vae_tutorial.plausibility."""
    from vae_tutorial import plausibility

    mnist = data.load_mnist()
    model = plausibility.train_classifier(mnist.train_images, mnist.train_labels, epochs=30, seed=SEED)
    accuracy = float((plausibility.predict(mnist.test_images, classifier=model) == mnist.test_labels).mean())
    metadata = {"name": "digit-classifier", "data": "bundled train split (4,500 digits)", "seed": SEED,
                "epochs": 30, "test_accuracy": round(accuracy, 4),
                "versions": {"jax": jax.__version__, "flax": flax.__version__}}
    checkpoints.save(model, OUT.parent / plausibility.CLASSIFIER_FILE, metadata=metadata)
    print(f"digit classifier: test accuracy {accuracy:.3f}")


def build_people(name: str) -> None:
    """Train and write a model of 11-vaes-people-use (recipes in ``vae_tutorial.people.RECIPES``)."""
    from vae_tutorial import people, variants

    recipe = people.RECIPES[name]
    mnist = data.load_mnist()
    start = time.perf_counter()
    if recipe["class"] == "ConvVAE":
        model = variants.ConvVAE(recipe["latent_dim"], channels=recipe["channels"], rngs=nnx.Rngs(params=SEED))
        history = train.fit(model, mnist.train_images, epochs=recipe["epochs"], beta=recipe["beta"], seed=SEED,
                            progress=False)
        test = train.evaluate(model, mnist.test_images)
    else:
        model = variants.ConditionalVAE(recipe["latent_dim"], rngs=nnx.Rngs(params=SEED))
        history = train.fit(model, mnist.train_images, labels=mnist.train_labels, epochs=recipe["epochs"],
                            beta=recipe["beta"], seed=SEED, progress=False)
        test = train.evaluate(model, mnist.test_images, labels=mnist.test_labels)
    seconds = time.perf_counter() - start
    metadata = {"name": name, "recipe": recipe, "seed": SEED, "data": "bundled train split (4,500 digits)",
                "final_train_loss": round(history.loss[-1], 4), "test": {k: round(v, 4) for k, v in test.items()},
                "evaluation": "seed 0, 10 samples of z per test digit", "train_seconds": round(seconds),
                "versions": {"jax": jax.__version__, "flax": flax.__version__}}
    checkpoints.save(model, OUT / f"{name}.ckpt", metadata=metadata)
    print(f"{name}: {history.summary()}; test loss {test['loss']:.2f} ({seconds:.0f} s)")


def build_discrete(trained=None) -> None:
    """Train (or take ``trained = (model, histories, seconds)``, same recipe and seed) and write the discrete VAE.

    The recipe is ``vae_tutorial.discrete.PRETRAINED_RECIPE``: 20 categorical variables of 10 classes,
    Gumbel-softmax gradients, the temperature annealed from 1.0 to 0.5 in 3 stages of 10 epochs.
    """
    from vae_tutorial import discrete

    mnist = data.load_mnist()
    if trained is None:
        start = time.perf_counter()
        model, histories = discrete.train_recipe(mnist.train_images, seed=SEED)
        seconds = time.perf_counter() - start
    else:
        model, histories, seconds = trained
    test = train.evaluate(model, mnist.test_images)
    metadata = {
        "name": discrete.PRETRAINED, "recipe": discrete.PRETRAINED_RECIPE, "seed": SEED,
        "data": "bundled train split (4,500 digits)",
        "final_train_loss": round(histories[-1].loss[-1], 4),
        "test": {k: round(v, 4) for k, v in test.items()},
        "evaluation": "vae_tutorial.train.evaluate(model, test_images) with seed 0, 10 samples",
        "train_seconds": round(seconds, 1),
        "versions": {"jax": jax.__version__, "flax": flax.__version__},
    }
    checkpoints.save(model, OUT / f"{discrete.PRETRAINED}.ckpt", metadata=metadata)
    print(f"{discrete.PRETRAINED}: {histories[-1].summary()}; test loss {test['loss']:.2f} ({seconds:.0f} s)")


if __name__ == "__main__":
    from vae_tutorial import people

    names = sys.argv[1:] or [*pretrained.NAMES, "classifier", "discrete", *people.RECIPES]
    for name in names:
        if name in people.RECIPES:
            build_people(name)
        else:
            {"classifier": build_classifier, "discrete": build_discrete}.get(name, lambda: build(name))()
