"""The committed autoencoder-against-VAE study: load its table, summarise it over seeds.

``tools/latent_study.py`` (``make study``) trains both models for several latent sizes and training
seeds and writes ``assets/latent_study.csv`` in long form (``model, latent_dim, seed, measure,
value``); the recipe, the code version and reference values of real digits go to
``assets/latent_study.json``. The tool's docstring says what each measure is. Introduced in
08-vae-against-autoencoder.
"""

from __future__ import annotations

import csv
import json
from importlib import resources
from typing import NamedTuple

import numpy as np

__all__ = ["load", "info", "summary", "paired_differences", "per_seed", "estimate", "errorbars", "Estimate",
           "TABLE_FILE", "INFO_FILE", "TABLES", "MODELS"]

TABLE_FILE, INFO_FILE = "latent_study.csv", "latent_study.json"
#: The shipped tables by name: the study, the slice the tests re-run, the 100-epoch overfitting check.
TABLES = {"main": TABLE_FILE, "slice": "latent_study_slice.csv", "long": "latent_study_long.csv"}
MODELS = ("autoencoder", "vae")


class Estimate(NamedTuple):
    """A mean over training seeds, its standard error (std with ``n - 1`` over sqrt(n)) and ``n``."""

    mean: float
    se: float
    n: int


def load(path=None, *, table: str = "main") -> list[dict]:
    """A study table as rows ``{"model", "latent_dim", "seed", "measure", "value"}``.

    Args:
        path: a CSV file in the study's long form; without it, the shipped table named ``table``.
        table: ``"main"`` (the study), ``"slice"`` or ``"long"`` (see ``TABLES``).
    """
    if path is None:
        if table not in TABLES:
            raise ValueError(f"table must be one of {sorted(TABLES)}, got {table!r}")
        with resources.as_file(resources.files("vae_tutorial").joinpath("assets", TABLES[table])) as file:
            return load(file)
    with open(path, newline="") as file:
        rows = [{"model": r["model"], "latent_dim": int(r["latent_dim"]), "seed": int(r["seed"]),
                 "measure": r["measure"], "value": float(r["value"])} for r in csv.DictReader(file)]
    unknown = {r["model"] for r in rows} - set(MODELS)
    if unknown:
        raise ValueError(f"model must be one of {MODELS}, the table holds {sorted(unknown)}")
    return rows


def info() -> dict:
    """The study's recipe, seeds, reference values and code version (``assets/latent_study.json``)."""
    return json.loads(resources.files("vae_tutorial").joinpath("assets", INFO_FILE).read_text())


def estimate(values) -> Estimate:
    """Mean, standard error and count of per-seed values (or of per-seed differences)."""
    values = np.asarray(values, np.float64)
    se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
    return Estimate(float(values.mean()), se, len(values))


def per_seed(rows, model: str, latent_dim: int, measure: str) -> dict[int, float]:
    """``{seed: value}`` of one measure for one model and latent size (empty when absent)."""
    return {r["seed"]: r["value"] for r in rows
            if r["model"] == model and r["latent_dim"] == latent_dim and r["measure"] == measure}


def summary(rows, measure: str) -> dict[tuple[str, int], Estimate]:
    """Mean and standard error over seeds of ``measure``, by ``(model, latent_dim)``.

    Raises:
        KeyError: when no row holds ``measure``.
    """
    cells = sorted({(r["model"], r["latent_dim"]) for r in rows if r["measure"] == measure},
                   key=lambda c: (MODELS.index(c[0]), c[1]))
    if not cells:
        raise KeyError(f"no measure {measure!r} in the table; it holds {sorted({r['measure'] for r in rows})}")
    return {(m, d): estimate(list(per_seed(rows, m, d, measure).values())) for m, d in cells}


def paired_differences(rows, measure: str) -> dict[int, Estimate]:
    """VAE minus autoencoder, paired by training seed: mean and standard error of the per-seed differences.

    The two models of one seed share the pairs of test digits and the sample seeds, so the SE of the
    differences is the right yardstick for "is there a difference". Only seeds present for both
    models count; latent sizes where ``measure`` exists for one model only are left out.

    Returns:
        ``{latent_dim: Estimate}``.
    """
    out = {}
    for d in sorted({r["latent_dim"] for r in rows if r["measure"] == measure}):
        vae, ae = per_seed(rows, "vae", d, measure), per_seed(rows, "autoencoder", d, measure)
        seeds = sorted(set(vae) & set(ae))
        if seeds:
            out[d] = estimate([vae[s] - ae[s] for s in seeds])
    if not out:
        raise KeyError(f"measure {measure!r} is not in the table for both models")
    return out


def errorbars(ax, rows, measure: str, *, model: str, label: str | None = None, **style):
    """Plot ``measure`` against the latent size for ``model``: the mean over seeds with +- one standard error.

    ``style`` goes to ``ax.errorbar`` (colour, marker, line style). The x axis is logarithmic base 2.
    Returns the ``ErrorbarContainer``.
    """
    estimates = {key: e for key, e in summary(rows, measure).items() if key[0] == model}
    dims = sorted(d for _, d in estimates)
    if not dims:
        raise KeyError(f"measure {measure!r} has no rows for model {model!r}")
    style = {"marker": "o", "capsize": 3, **style}
    container = ax.errorbar(dims, [estimates[model, d].mean for d in dims],
                            yerr=[estimates[model, d].se for d in dims], label=label or model, **style)
    ax.set_xscale("log", base=2)
    ax.set_xticks(dims, [str(d) for d in dims])
    ax.set_xlabel("latent size")
    return container
