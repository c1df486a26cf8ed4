"""Training throughput of ``vae_tutorial.train.fit`` against a plain PyTorch eager loop.

Both train the same VAE (784-512-2, ReLU, Bernoulli decoder, analytic Gaussian KL) on the
bundled MNIST sample (4,500 training digits) with Adam (lr 1e-3), batch 128, a fresh shuffle
each epoch and the last partial batch dropped (35 steps per epoch), in float32 on the CPU.

What is measured:

* compile: wall time of the first ``fit(fresh_model, ..., epochs=1)`` call in this process,
  JIT tracing and XLA compilation included; the persistent compilation cache is switched off,
  so nothing is read from disk. A second ``fit(..., epochs=1)`` on another fresh model gives
  the same epoch without compilation.
* steps/s: each round trains a fresh model for ``--epochs`` epochs with each framework (JAX,
  then PyTorch, alternating, so slow drifts of the machine hit both). The time is taken from
  the end of epoch 1 to the end of the last epoch, so the first epoch (JIT work, allocator and
  thread-pool warm-up) is left out. The median over rounds is reported. For ``fit`` the end of
  each epoch is observed through its progress-bar hook (``fit`` calls ``float()`` on the epoch
  metrics before the bar update, so the epoch's work has finished).
* test -ELBO: ``vae_tutorial.train.evaluate`` (10 samples of z per image) for JAX and the same
  10-sample estimate in PyTorch, on the 500 bundled test digits, after the same number of
  epochs; median over rounds.

Usage::

    python benchmarks/train_throughput.py [--epochs 30] [--rounds 3] [--json results.json]

PyTorch is an optional extra (``pip install torch`` or ``pip install -e '.[bench]'``); it is
only imported by this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
from sysinfo import cpu_model, usable_cores, version

BATCH_SIZE = 128
LEARNING_RATE = 1e-3
LATENT_DIM = 2
HIDDEN = 512
PIXELS = 784
EVAL_SAMPLES = 10
ENV_VARS = (
    "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
    "NVPL_BLAS_DEBUG_CPU_TYPE", "XLA_FLAGS", "JAX_PLATFORMS", "JAX_COMPILATION_CACHE_DIR",
    "KMP_BLOCKTIME", "GOMP_SPINCOUNT",
)


# ------------------------------------------------------------------------------------------
# Machine and versions
# ------------------------------------------------------------------------------------------




def busy_cpu_seconds() -> float | None:
    """CPU seconds spent by every process on the machine since boot (``/proc/stat``), or None."""
    try:
        with open("/proc/stat", encoding="utf-8") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system



def machine_info() -> dict:
    return {
        "cpu_model": cpu_model(),
        "nproc": usable_cores(),
        "os_cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "env": {name: os.environ.get(name) for name in ENV_VARS},
    }


def versions() -> dict:
    return {
        "python": platform.python_version(),
        **{name: version(name) for name in ("jax", "jaxlib", "flax", "optax", "torch", "numpy")},
    }


# ------------------------------------------------------------------------------------------
# JAX: vae_tutorial.train.fit
# ------------------------------------------------------------------------------------------


class _EpochClock:
    """Stands in for ``tqdm`` inside ``vae_tutorial.train``: records when each epoch ends."""

    stamps: list[float] = []

    def __init__(self, *args, **kwargs):
        _EpochClock.stamps = []

    def update(self, n=1):
        _EpochClock.stamps.append(time.perf_counter())

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def jax_fresh_model(seed: int):
    from flax import nnx

    from vae_tutorial import models

    return models.VAE(LATENT_DIM, hidden_sizes=(HIDDEN,), activation="relu", rngs=nnx.Rngs(params=seed))


def jax_first_epochs(train_images) -> dict:
    """The first fit call of the process (compile included), then the same call compiled."""
    from vae_tutorial import train

    model = jax_fresh_model(100)
    start = time.perf_counter()
    train.fit(model, train_images, epochs=1, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE,
              seed=100, progress=False)
    first = time.perf_counter() - start
    model = jax_fresh_model(101)
    start = time.perf_counter()
    train.fit(model, train_images, epochs=1, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE,
              seed=101, progress=False)
    second = time.perf_counter() - start
    return {"first_fit_epoch_s": first, "second_fit_epoch_s": second}


def jax_round(train_images, test_images, *, epochs: int, seed: int) -> dict:
    from vae_tutorial import train

    model = jax_fresh_model(seed)
    original = train.tqdm
    train.tqdm = _EpochClock
    try:
        start = time.perf_counter()
        history = train.fit(model, train_images, epochs=epochs, batch_size=BATCH_SIZE,
                            learning_rate=LEARNING_RATE, seed=seed, progress=False)
        end = time.perf_counter()
    finally:
        train.tqdm = original
    stamps = _EpochClock.stamps
    assert len(stamps) == epochs and not history.interrupted
    steps_per_epoch = len(train_images) // BATCH_SIZE
    test = train.evaluate(model, test_images, seed=0, num_samples=EVAL_SAMPLES)
    return {
        "steps_per_s": (epochs - 1) * steps_per_epoch / (stamps[-1] - stamps[0]),
        "epoch_s": [b - a for a, b in zip(stamps, stamps[1:])],
        "first_epoch_s": stamps[0] - start,
        "fit_call_s": end - start,
        "train_loss_last_epoch": history.loss[-1],
        "test_neg_elbo": test["loss"],
    }


# ------------------------------------------------------------------------------------------
# PyTorch eager: the same model, loss and optimizer
# ------------------------------------------------------------------------------------------


def torch_setup(threads: int):
    import torch

    torch.set_num_threads(threads)
    torch.set_default_dtype(torch.float32)
    return torch


def torch_fresh_model(torch, seed: int):
    """784-512-4 encoder and 2-512-784 decoder, initialised like flax's ``nnx.Linear``
    (truncated-normal LeCun kernels, zero biases) so the two runs start from comparable weights."""
    nn = torch.nn
    gen = torch.Generator().manual_seed(seed)

    def linear(n_in, n_out):
        layer = nn.Linear(n_in, n_out)
        std = (1.0 / n_in) ** 0.5 / 0.87962566103423978  # flax's variance_scaling truncated normal
        with torch.no_grad():
            nn.init.trunc_normal_(layer.weight, std=std, a=-2 * std, b=2 * std, generator=gen)
            layer.bias.zero_()
        return layer

    encoder = nn.Sequential(linear(PIXELS, HIDDEN), nn.ReLU(), linear(HIDDEN, 2 * LATENT_DIM))
    decoder = nn.Sequential(linear(LATENT_DIM, HIDDEN), nn.ReLU(), linear(HIDDEN, PIXELS))
    return encoder, decoder


def torch_elbo_terms(torch, encoder, decoder, x, gen, num_samples=1):
    """Per-image reconstruction (mean over ``num_samples`` draws of z) and analytic KL."""
    functional = torch.nn.functional
    out = encoder(x)
    mean, log_var = out[:, :LATENT_DIM], out[:, LATENT_DIM:]
    std = torch.exp(0.5 * log_var)
    rec = 0.0
    for _ in range(num_samples):
        eps = torch.randn(mean.shape, generator=gen)
        logits = decoder(mean + std * eps)
        rec = rec + functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
    kl = 0.5 * torch.sum(torch.exp(log_var) + mean**2 - 1.0 - log_var, dim=-1)
    return rec / num_samples, kl


def torch_train(torch, train_images, *, epochs: int, seed: int):
    """Train a fresh model; returns the modules, per-epoch losses and epoch end times."""
    data = torch.from_numpy(np.ascontiguousarray(train_images.reshape(-1, PIXELS), dtype=np.float32))
    encoder, decoder = torch_fresh_model(torch, seed)
    params = [*encoder.parameters(), *decoder.parameters()]
    optimizer = torch.optim.Adam(params, lr=LEARNING_RATE)
    gen = torch.Generator().manual_seed(seed + 1)
    steps = data.shape[0] // BATCH_SIZE
    losses, stamps = [], []
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(data.shape[0], generator=gen)[: steps * BATCH_SIZE]
        total = torch.zeros(())
        for i in range(steps):
            x = data[order[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]]
            rec, kl = torch_elbo_terms(torch, encoder, decoder, x, gen)
            loss = rec.mean() + kl.mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach()
        losses.append(float(total) / steps)  # one sync per epoch, like fit's float(metrics)
        stamps.append(time.perf_counter())
    return encoder, decoder, losses, start, stamps


def torch_evaluate(torch, encoder, decoder, test_images, *, seed: int = 0) -> float:
    x = torch.from_numpy(np.ascontiguousarray(test_images.reshape(-1, PIXELS), dtype=np.float32))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        rec, kl = torch_elbo_terms(torch, encoder, decoder, x, gen, num_samples=EVAL_SAMPLES)
    return float((rec + kl).mean())


def torch_round(torch, train_images, test_images, *, epochs: int, seed: int) -> dict:
    encoder, decoder, losses, start, stamps = torch_train(torch, train_images, epochs=epochs, seed=seed)
    steps_per_epoch = len(train_images) // BATCH_SIZE
    return {
        "steps_per_s": (epochs - 1) * steps_per_epoch / (stamps[-1] - stamps[0]),
        "epoch_s": [b - a for a, b in zip(stamps, stamps[1:])],
        "first_epoch_s": stamps[0] - start,
        "fit_call_s": stamps[-1] - start,
        "train_loss_last_epoch": losses[-1],
        "test_neg_elbo": torch_evaluate(torch, encoder, decoder, test_images),
    }


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30, help="epochs per run (>= 2; default 30)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating JAX/PyTorch rounds (default 3)")
    parser.add_argument("--json", metavar="PATH", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.epochs < 2 or args.rounds < 1:
        parser.error("--epochs must be >= 2 and --rounds >= 1")

    wall_start = time.perf_counter()
    busy_at_start, own_at_start = busy_cpu_seconds(), own_cpu_seconds()
    import jax

    # Measure compilation honestly: never read compiled programs from a persistent cache.
    jax.config.update("jax_enable_compilation_cache", False)

    from vae_tutorial import data

    mnist = data.load_mnist()
    train_images, test_images = mnist.train_images, mnist.test_images
    jax_fresh_model(0)  # backend start-up and eager init kernels, outside the compile timing

    compile_info = jax_first_epochs(train_images)  # must be the first fit call in the process

    try:
        torch = torch_setup(usable_cores())
    except ImportError:
        print("PyTorch is not installed: pip install -e '.[bench]' (or pip install torch)", file=sys.stderr)
        return 2

    # The same one-epoch warm-up for PyTorch (thread pool, allocator), reported for reference.
    start = time.perf_counter()
    torch_train(torch, train_images, epochs=1, seed=100)
    torch_first_epoch = time.perf_counter() - start

    rounds = []
    for r in range(args.rounds):
        j = jax_round(train_images, test_images, epochs=args.epochs, seed=r)
        t = torch_round(torch, train_images, test_images, epochs=args.epochs, seed=r)
        rounds.append({"round": r + 1, "jax": j, "torch": t})
        print(f"round {r + 1}/{args.rounds}: jax {j['steps_per_s']:.0f} steps/s "
              f"(-ELBO {j['test_neg_elbo']:.2f}), torch {t['steps_per_s']:.0f} steps/s "
              f"(-ELBO {t['test_neg_elbo']:.2f})", flush=True)

    def median(framework, key):
        return statistics.median(r[framework][key] for r in rounds)

    jax_sps, torch_sps = median("jax", "steps_per_s"), median("torch", "steps_per_s")
    jax_elbo, torch_elbo = median("jax", "test_neg_elbo"), median("torch", "test_neg_elbo")
    ratio = jax_sps / torch_sps
    steps = len(train_images) // BATCH_SIZE
    # Per-epoch view, more robust to bursts of noise than whole-run means: the median and the
    # fastest single epoch (2..N) over all rounds.
    epoch_times = {fw: [e for r in rounds for e in r[fw]["epoch_s"]] for fw in ("jax", "torch")}
    per_epoch = {fw: {"median_epoch_steps_per_s": steps / statistics.median(ts),
                      "fastest_epoch_steps_per_s": steps / min(ts)} for fw, ts in epoch_times.items()}
    best_ratio = per_epoch["jax"]["fastest_epoch_steps_per_s"] / per_epoch["torch"]["fastest_epoch_steps_per_s"]
    elbo_gap = abs(jax_elbo - torch_elbo)
    compile_s = compile_info["first_fit_epoch_s"]
    summary = {
        "jax_steps_per_s": jax_sps,
        "torch_steps_per_s": torch_sps,
        "throughput_ratio_jax_over_torch": ratio,
        "per_epoch": per_epoch,
        "throughput_ratio_fastest_epochs": best_ratio,
        "jax_first_fit_epoch_s": compile_s,
        "jax_second_fit_epoch_s": compile_info["second_fit_epoch_s"],
        "torch_first_epoch_s": torch_first_epoch,
        "jax_test_neg_elbo": jax_elbo,
        "torch_test_neg_elbo": torch_elbo,
        "test_neg_elbo_gap": elbo_gap,
        "goals": {
            "throughput_ratio_ge_1.5": ratio >= 1.5,
            "first_epoch_compile_le_3s": compile_s <= 3.0,
            "neg_elbo_within_2_nats": elbo_gap <= 2.0,
        },
    }
    info = machine_info()
    vers = versions()
    wall = time.perf_counter() - wall_start
    busy_at_end = busy_cpu_seconds()
    other_cpu = None
    if busy_at_start is not None and busy_at_end is not None:
        other_cpu = max(0.0, (busy_at_end - busy_at_start) - (own_cpu_seconds() - own_at_start))
    info["other_processes_cpu_s"] = other_cpu

    print()
    print(f"machine : {info['cpu_model']}, nproc {info['nproc']} (torch threads {torch.get_num_threads()})")
    print("env     : " + ", ".join(f"{k}={v}" for k, v in info["env"].items() if v is not None)
          + (" (none of the BLAS/thread variables set)" if not any(info["env"].values()) else ""))
    if info["env"].get("OPENBLAS_CORETYPE") is None:
        print("          OPENBLAS_CORETYPE is not set")
    if other_cpu is not None:
        share = other_cpu / (wall * info["nproc"])
        print(f"noise   : other processes used {other_cpu:.1f} CPU-s during the {wall:.0f} s run "
              f"({share:.0%} of the {info['nproc']} cores)"
              + ("; timings are contended, rerun on a quiet machine" if share > 0.05 else "")
              + "; a shared virtual machine's host can still slow both in bursts (compare rounds)")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print(f"setup   : VAE 784-512-2 relu, Adam lr {LEARNING_RATE:g}, batch {BATCH_SIZE}, "
          f"{len(train_images)} train / {len(test_images)} test digits, {steps} steps/epoch, "
          f"{args.epochs} epochs x {args.rounds} rounds, float32 CPU; persistent JAX cache off")
    print()
    header = f"{'':34}{'JAX fit':>12}{'PyTorch':>12}"
    print(header)
    print("-" * len(header))
    for r in rounds:
        print(f"{'steps/s, round ' + str(r['round']):34}{r['jax']['steps_per_s']:12.1f}{r['torch']['steps_per_s']:12.1f}")
    print(f"{'steps/s, median (epochs 2..N)':34}{jax_sps:12.1f}{torch_sps:12.1f}")
    print(f"{'steps/s, median single epoch':34}{per_epoch['jax']['median_epoch_steps_per_s']:12.1f}"
          f"{per_epoch['torch']['median_epoch_steps_per_s']:12.1f}")
    print(f"{'steps/s, fastest single epoch':34}{per_epoch['jax']['fastest_epoch_steps_per_s']:12.1f}"
          f"{per_epoch['torch']['fastest_epoch_steps_per_s']:12.1f}")
    print(f"{'first epoch, first call (s)':34}{compile_s:12.2f}{torch_first_epoch:12.2f}")
    print(f"{'first epoch, compiled (s)':34}{compile_info['second_fit_epoch_s']:12.2f}{'':>12}")
    print(f"{'whole run of N epochs, median (s)':34}{median('jax', 'fit_call_s'):12.2f}{median('torch', 'fit_call_s'):12.2f}")
    print(f"{'train loss, last epoch, median':34}{median('jax', 'train_loss_last_epoch'):12.2f}{median('torch', 'train_loss_last_epoch'):12.2f}")
    print(f"{'test -ELBO (10 samples), median':34}{jax_elbo:12.2f}{torch_elbo:12.2f}")
    print("-" * len(header))
    print(f"throughput ratio jax/torch : {ratio:.2f}x   (goal >= 1.5x: {'met' if ratio >= 1.5 else 'NOT met'})")
    print(f"  (fastest epochs: {best_ratio:.2f}x)")
    print(f"first fit epoch incl. JIT  : {compile_s:.2f} s (goal <= 3 s: {'met' if compile_s <= 3 else 'NOT met'})")
    print(f"test -ELBO gap             : {elbo_gap:.2f} nats (goal <= 2: {'met' if elbo_gap <= 2 else 'NOT met'})")
    total = time.perf_counter() - wall_start
    print(f"benchmark wall time        : {total:.0f} s")

    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"machine": info, "versions": vers, "epochs": args.epochs, "rounds": rounds,
                       "summary": summary, "wall_time_s": total}, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
