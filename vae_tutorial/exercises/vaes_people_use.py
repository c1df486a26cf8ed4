"""Checks of 11-vaes-people-use: a free-bits KL, a transposed convolution's output size, a beta for a target rate."""

from __future__ import annotations

import numpy as np

from vae_tutorial.exercises.feedback import Wrong, as_array, call, close, diagnose, exercise, fmt

__all__ = ["check_free_bits_kl", "check_transposed_conv_size", "check_beta_for_rate"]


@exercise
def check_free_bits_kl(fn):
    """Check ``fn(kl_per_dim, lambda_) -> scalar``: ``sum_d max(lambda_, mean over the batch of KL_d)``.

    ``kl_per_dim`` is ``[batch, latent]`` (each image's KL in each dimension), as in Kingma et al. (2016).
    """
    kl = np.array([[0.05, 2.0, 0.0, 0.9], [0.35, 1.0, 0.2, 0.1], [0.0, 1.5, 0.1, 0.5]], np.float32)
    lam = 0.4
    batch_mean = kl.mean(axis=0)  # 0.1333, 1.5, 0.1, 0.5
    right = float(np.maximum(batch_mean, lam).sum())
    what = "free_bits_kl(kl_per_dim, 0.4)"
    out = as_array(call(fn, kl, lam, what=what), what)
    if out.size != 1:
        raise Wrong(f"{what} returned shape {out.shape}; expected one number for the batch: sum over the latent "
                    "dimensions of max(lambda_, the dimension's KL averaged over the batch).")
    diagnose(out.reshape(()), [
        ("You clamped each image's KL before averaging (mean of max(lambda_, KL)). Free bits clamp the batch "
         "average of each dimension: max(lambda_, mean over the batch), then sum over dimensions.",
         np.maximum(kl, lam).sum(axis=1).mean()),
        ("You used min where max belongs: below lambda_ the charge is lambda_ itself (a constant, so no "
         "gradient), above it the KL.", np.minimum(batch_mean, lam).sum()),
        ("That is the plain KL, without the free bits (clamping the total, max(lambda_, sum), gives the same "
         "whenever the total is above lambda_): clamp each dimension's batch-mean KL at lambda_, then sum.",
         batch_mean.sum()),
        ("You averaged over the latent dimensions: sum them (each dimension is charged separately).",
         np.maximum(batch_mean, lam).mean()),
        ("You added lambda_ to each dimension's KL: the free bits replace a KL below lambda_ by lambda_, "
         "they do not shift it.", (batch_mean + lam).sum()),
        ("You summed over the batch instead of averaging: the free-bits term is per image, like the KL.",
         np.maximum(kl.sum(axis=0), lam).sum()),
    ])
    if not close(out.reshape(()), right):
        raise Wrong(f"Expected {right:.4f} for these per-dimension KLs with lambda_ = {lam} (batch means "
                    f"{fmt(batch_mean)}); got {float(out.ravel()[0]):.4f}.")
    return (f"{right:.4f} nats: dimensions with batch-mean KL below {lam} are charged {lam} and get no gradient "
            "from the KL, so the reconstruction is free to use them.")


_SIZE_CASES = [(7, 4, 2, 1), (14, 4, 2, 1), (5, 3, 1, 0), (4, 3, 2, 1), (3, 5, 3, 2), (6, 2, 2, 0)]


@exercise
def check_transposed_conv_size(fn):
    """Check ``fn(size, kernel, stride, padding) -> int``: the output side of a transposed convolution.

    PyTorch's convention (no output padding): ``(size - 1) * stride - 2 * padding + kernel``; the
    inverse of a convolution's ``(size + 2 * padding - kernel) // stride + 1``.
    """
    cases = np.array(_SIZE_CASES)
    size, k, s, p = cases.T
    right = (size - 1) * s - 2 * p + k
    outs = []
    for case in _SIZE_CASES:
        what = f"transposed_conv_size{case}"
        out = as_array(call(fn, *case, what=what), what)
        if out.size != 1:
            raise Wrong(f"{what} returned shape {out.shape}; expected one whole number, the output side.")
        outs.append(float(out.ravel()[0]))
    outs = np.array(outs)
    diagnose(outs, [
        ("That is the size formula of an ordinary (forward) convolution, (size + 2p - k) // s + 1: it shrinks. "
         "The transposed convolution runs it backwards: (size - 1) * s - 2p + k.", (size + 2 * p - k) // s + 1),
        ("You multiplied the size by the stride only: the kernel and the padding also set the size. Each input "
         "pixel spreads a k x k kernel, the copies s apart: (size - 1) * s + k, minus 2p cropped.", size * s),
        ("Off by the stride: the first and last input pixels are (size - 1) * s apart, not size * s. Use "
         "(size - 1) * s - 2p + k.", size * s - 2 * p + k),
        ("You cropped the padding once; it is cropped on both sides: - 2 * padding.", (size - 1) * s - p + k),
        ("You added the padding: in a transposed convolution the padding is cropped from the output, "
         "- 2 * padding.", (size - 1) * s + 2 * p + k),
    ], rtol=0, atol=1e-9)
    if not np.array_equal(outs, right):
        wrong = int(np.flatnonzero(outs != right)[0])
        raise Wrong(f"For size, kernel, stride, padding = {_SIZE_CASES[wrong]} the output side is {right[wrong]}; "
                    f"you returned {outs[wrong]:g}.")
    return "Right: (size - 1) * stride - 2 * padding + kernel; 7 -> 14 -> 28 with a 4x4 kernel, stride 2, padding 1."


@exercise
def check_beta_for_rate(fn):
    """Check ``fn(betas, rates, target_rate) -> beta``: the beta whose rate is ``target_rate``.

    ``betas`` increase and ``rates`` (the KL term, nats) fall as beta grows. Interpolate linearly in
    log(beta) between the two measured betas whose rates bracket the target.
    """
    betas = np.array([0.1, 0.3, 1.0, 3.0, 10.0])
    rates = np.array([9.0, 7.2, 5.4, 3.1, 1.2])
    target = 4.5
    log_b = np.log(betas)
    # Rates fall with beta: reverse both so np.interp sees increasing x.
    right = float(np.exp(np.interp(target, rates[::-1], log_b[::-1])))
    what = "beta_for_rate(betas, rates, 4.5)"
    out = as_array(call(fn, betas, rates, target, what=what), what)
    if out.size != 1:
        raise Wrong(f"{what} returned shape {out.shape}; expected one number, a beta.")
    value = out.reshape(())
    diagnose(value, [
        ("You returned a rate: the question asks for the beta that gives that rate.", target),
        ("You interpolated beta linearly; the betas are spaced by factors of about 3, so interpolate log(beta) "
         "(and take exp at the end).", float(np.interp(target, rates[::-1], betas[::-1]))),
        ("np.interp needs increasing x values, and the rates fall as beta grows: reverse both arrays "
         "(rates[::-1], log(betas)[::-1]) before interpolating.", float(np.exp(np.interp(target, rates, log_b)))),
        ("np.interp needs increasing x values, and the rates fall as beta grows: reverse both arrays first.",
         float(np.interp(target, rates, betas))),
        ("You picked the nearest measured beta: interpolate between the two betas whose rates bracket the target.",
         float(betas[np.argmin(np.abs(rates - target))])),
    ], rtol=1e-3, atol=1e-6)
    if not close(value, right, rtol=1e-3):
        raise Wrong(f"The rate 4.5 lies between beta = 1 (5.4 nats) and beta = 3 (3.1 nats); interpolating "
                    f"log(beta) gives {right:.3f}; you returned {float(value):.4g}.")
    return (f"beta = {right:.3f}: between 1 and 3, where the measured rates bracket 4.5 nats. Defend it by "
            "training at that beta and measuring its rate on test digits.")
