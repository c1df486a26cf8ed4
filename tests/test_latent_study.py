"""The committed study table (tools/latent_study.py) and its summaries (vae_tutorial.study).

The slow test re-runs the study's reduced slice and checks it against the committed slice table,
so the table cannot drift from the code.
"""

import importlib.util
import pathlib

import numpy as np
import pytest

from vae_tutorial import study

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSETS = ROOT / "vae_tutorial" / "assets"

# Tolerance of the slice check. Same machine and versions reproduce the table bit for bit; another
# BLAS or JAX release changes the last digits of training, which five epochs amplify a little.
# A share of 100 paths moves by 0.01 per path; a reconstruction by fractions of a nat.
RTOL, ATOL = 0.02, 0.03


def _tool():
    spec = importlib.util.spec_from_file_location("latent_study", ROOT / "tools" / "latent_study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_table_covers_the_design():
    tool, rows, meta = _tool(), study.load(), study.info()
    assert meta["latent_dims"] == list(tool.LATENT_DIMS) and meta["seeds"] == list(tool.SEEDS)
    assert len(tool.SEEDS) >= 5 and {2, 8, 32} <= set(tool.LATENT_DIMS)
    cells = {(r["model"], r["latent_dim"], r["seed"]) for r in rows}
    assert cells == {(m, d, s) for m in study.MODELS for d in tool.LATENT_DIMS for s in tool.SEEDS}
    measures = {r["measure"] for r in rows}
    assert {"test_reconstruction", "midpoint_realism", "sample_realism", "sample_frechet",
            "same_class_midpoint_realism", "box_sample_realism", "fitted_sample_realism"} <= measures
    assert set(meta["measures"]) == measures
    assert meta["recipe"] == tool.RECIPE and meta["slice"] == tool.SLICE
    for r in rows:
        assert np.isfinite(r["value"])
        if "realism" in r["measure"] or "confidence" in r["measure"] or "realistic" in r["measure"]:
            assert 0.0 <= r["value"] <= 1.0, r


def test_long_and_slice_tables_cover_their_designs():
    tool = _tool()
    long_cells = {(r["model"], r["latent_dim"], r["seed"]) for r in study.load(table="long")}
    assert long_cells == {(m, d, s) for m in study.MODELS for d in tool.LONG["latent_dims"] for s in tool.SEEDS}
    slice_cells = {(r["model"], r["latent_dim"], r["seed"]) for r in study.load(table="slice")}
    assert slice_cells == set(tool.slice_cells())


def test_every_measure_is_documented_in_the_tool():
    doc = _tool().__doc__
    for measure in ("test_reconstruction", "train_reconstruction", "test_kl", "test_neg_elbo", "midpoint_",
                    "path_", "path_all_realistic", "same_class_", "sample_", "fitted_sample_", "box_sample_",
                    "latent_gap", "realism_pixels", "frechet", "sharpness", "prior_sample_"):
        assert measure in doc


def _rows(values):
    """Hand-made rows: ``values[model][latent_dim] = [value per seed]`` for a measure "m"."""
    return [{"model": m, "latent_dim": d, "seed": s, "measure": "m", "value": v}
            for m, by_dim in values.items() for d, seeds in by_dim.items() for s, v in enumerate(seeds)]


def test_summary_mean_and_standard_error():
    rows = _rows({"autoencoder": {2: [1.0, 2.0, 3.0, 4.0]}, "vae": {2: [2.0, 2.0, 2.0, 2.0]}})
    out = study.summary(rows, "m")
    # std (n - 1) of 1, 2, 3, 4 is sqrt(5/3); over sqrt(4).
    assert out["autoencoder", 2] == pytest.approx((2.5, np.sqrt(5 / 3) / 2, 4))
    assert out["vae", 2] == (2.0, 0.0, 4)
    with pytest.raises(KeyError, match="no measure 'x'"):
        study.summary(rows, "x")


def test_paired_differences_use_the_per_seed_differences():
    # The AE varies a lot across seeds, the VAE by the same amount plus 1: the paired SE is 0.
    rows = _rows({"autoencoder": {8: [10.0, 20.0, 30.0]}, "vae": {8: [11.0, 21.0, 31.0]}})
    assert study.paired_differences(rows, "m") == {8: (pytest.approx(1.0), pytest.approx(0.0), 3)}
    # Seeds present for one model only are left out.
    rows += [{"model": "vae", "latent_dim": 8, "seed": 9, "measure": "m", "value": 100.0}]
    assert study.paired_differences(rows, "m")[8].n == 3


def test_load_rejects_unknown_models(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("model,latent_dim,seed,measure,value\ngan,2,0,m,1.0\n")
    with pytest.raises(ValueError, match="model must be one of"):
        study.load(path)


@pytest.mark.slow
def test_slice_reproduces_the_committed_table():
    """Re-run the slice (both models, latent size 2, seed 0, SLICE['epochs'] epochs) and compare every measure."""
    tool = _tool()
    committed = {(r["model"], r["measure"]): r["value"] for r in study.load(table="slice")
                 if r["latent_dim"] == tool.SLICE["latent_dim"] and r["seed"] == tool.SLICE["seed"]}
    fresh = {(r["model"], r["measure"]): r["value"] for r in tool.run(tool.slice_cells(), epochs=tool.SLICE["epochs"],
                                                                       log=lambda text: None)}
    assert set(fresh) == set(committed)
    for key, value in fresh.items():
        assert value == pytest.approx(committed[key], rel=RTOL, abs=ATOL), key


def test_errorbars_draws_means_and_standard_errors():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _rows({"autoencoder": {2: [1.0, 3.0], 8: [2.0, 2.0]}, "vae": {2: [0.0, 0.0]}})
    fig, ax = plt.subplots()
    container = study.errorbars(ax, rows, "m", model="autoencoder")
    line = container.lines[0]
    np.testing.assert_allclose(np.asarray(line.get_xdata(), float), [2, 8])
    np.testing.assert_allclose(np.asarray(line.get_ydata(), float), [2.0, 2.0])
    segments = container.lines[2][0].get_segments()  # the vertical bars: mean -+ SE
    np.testing.assert_allclose([s[:, 1] for s in segments], [[1.0, 3.0], [2.0, 2.0]])
    with pytest.raises(KeyError, match="no rows for model 'vae'"):
        study.errorbars(ax, _rows({"autoencoder": {2: [1.0, 2.0]}}), "m", model="vae")
    plt.close(fig)
