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


if __name__ == "__main__":
    for name in sys.argv[1:] or pretrained.NAMES:
        build(name)
