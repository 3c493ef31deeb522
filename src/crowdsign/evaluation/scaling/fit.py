"""Learning curves: error ≈ a·n^(−b) + c per condition, their uncertainty, and the noise tax.

The power law plus floor is the form of Hestness et al. (2017), "Deep learning scaling is
predictable, empirically". For a fixed exponent ``b`` the model is linear in ``(a, c)``, so the
fit scans ``b`` on a grid, solves ``(a, c)`` by weighted least squares under ``a ≥ 0,
0 ≤ c ≤ 1`` for each, keeps the best and refines the grid around it (variable projection;
numpy only). Residuals are relative (weights 1/error²) because errors span orders of magnitude.
Sizes below ``min_size`` can be left out: the "small-data region" where a model is little
better than a guess does not follow the power law.

Uncertainty comes from a bootstrap over seeds: resample the seeds with replacement, refit with
every run of the drawn seeds, and report the spread of ``a, b, c`` (seeds, not runs, are the
independent unit: a seed fixes the crowd, the initialisation and the augmentation).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

B_RANGE = (0.01, 3.0)  # exponents searched
POOR_R2 = 0.5  # a fit explaining less of its points' variance does not describe them


@dataclass(frozen=True)
class PowerLaw:
    """``error(n) = a * n**-b + c``."""

    a: float
    b: float
    c: float
    rmse: float = math.nan  # root-mean-square residual, in error (accuracy) points
    r2: float = math.nan  # share of the points' variance the curve explains (1 - SSE/SST)

    def error(self, n: np.ndarray | float) -> np.ndarray | float:
        return self.a * np.asarray(n, dtype=float) ** -self.b + self.c

    def size_for(self, error: float) -> float:
        """The ``n`` at which the curve reaches ``error``: inf at or below the floor ``c``."""
        if not math.isfinite(error) or self.a <= 0 or self.b <= 0:
            return math.nan
        if error <= self.c:
            return math.inf
        return float((self.a / (error - self.c)) ** (1.0 / self.b))


def _solve(n: np.ndarray, err: np.ndarray, w: np.ndarray, bs: np.ndarray) -> tuple[np.ndarray, ...]:
    """Best ``(a, c)`` and the weighted squared error for every exponent in ``bs``."""
    x = n[None, :] ** -bs[:, None]  # (B, N)
    sw, swy = w.sum(), w @ err
    swx, swxx, swxy = x @ w, (x * x) @ w, x @ (w * err)
    det = sw * swxx - swx * swx
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(det > 0, (sw * swxy - swx * swy) / det, 0.0)
        c = np.where(det > 0, (swy - a * swx) / sw, swy / sw)
        # c < 0: refit through the origin; a < 0 (no decrease): a flat line at the mean
        a_origin = np.where(swxx > 0, swxy / swxx, 0.0)
    low = c < 0
    a, c = np.where(low, np.maximum(a_origin, 0.0), a), np.where(low, 0.0, c)
    flat = a < 0
    a, c = np.where(flat, 0.0, a), np.where(flat, swy / sw, c)
    c = np.clip(c, 0.0, 1.0)
    sse = (((a[:, None] * x + c[:, None] - err[None, :]) ** 2) * w[None, :]).sum(1)
    return a, c, sse


def fit_power_law(
    n: np.ndarray, err: np.ndarray, *, relative: bool = True, grid: int = 120
) -> PowerLaw:
    """Least-squares fit of ``err ≈ a·n^(−b) + c`` to points ``(n, err)``.

    Args:
        n: ``(N,)`` train-set sizes (> 0), repeated for repeated runs.
        err: ``(N,)`` test errors in ``[0, 1]`` (NaN points are dropped).
        relative: weight residuals by ``1 / err²`` (relative error), so a curve that falls
            from 0.4 to 0.01 is fitted at both ends instead of at its largest errors only.
        grid: exponents per scan; two finer scans refine around the best.

    Returns:
        The fit (``rmse`` in absolute error); all NaN when fewer than 3 distinct sizes are left.
    """
    n, err = np.asarray(n, dtype=float), np.asarray(err, dtype=float)
    keep = np.isfinite(n) & np.isfinite(err) & (n > 0)
    n, err = n[keep], err[keep]
    if np.unique(n).size < 3:
        return PowerLaw(math.nan, math.nan, math.nan)
    w = 1.0 / np.maximum(err, 1e-3) ** 2 if relative else np.ones_like(err)
    bs = np.geomspace(*B_RANGE, grid)
    for _ in range(2):
        a, c, sse = _solve(n, err, w, bs)
        best = int(np.argmin(sse))
        lo, hi = bs[max(best - 1, 0)], bs[min(best + 1, bs.size - 1)]
        bs = np.linspace(lo, hi, grid)
    a, c, sse = _solve(n, err, w, bs)
    best = int(np.argmin(sse))
    law = PowerLaw(float(a[best]), float(bs[best]), float(c[best]))
    sse = float(np.sum((law.error(n) - err) ** 2))
    sst = float(np.sum((err - err.mean()) ** 2))
    r2 = 1.0 - sse / sst if sst > 0 else math.nan
    return PowerLaw(law.a, law.b, law.c, math.sqrt(sse / n.size), r2)


@dataclass(frozen=True)
class CurveFit:
    """A condition's fit on all its runs, and the bootstrap over seeds.

    Attributes:
        fit: the fit on every run.
        boot: ``(R, 3)`` bootstrap fits' ``a, b, c`` (rows with NaN where a draw could not fit).
        n_runs, n_seeds: what went in.
        sizes: the distinct sizes measured.
    """

    fit: PowerLaw
    boot: np.ndarray
    n_runs: int
    n_seeds: int
    sizes: tuple[float, ...]

    @property
    def n_boot_failed(self) -> int:
        """Bootstrap draws that gave no fit (left out of every ± and interval, and counted)."""
        return int((~np.isfinite(self.boot).all(axis=1)).sum())

    def std(self, name: str) -> float:
        col = self.boot[:, "abc".index(name)]
        col = col[np.isfinite(col)]
        return float(col.std(ddof=1)) if col.size > 1 else math.nan

    def interval(self, name: str, level: float = 0.95) -> tuple[float, float]:
        col = self.boot[:, "abc".index(name)]
        col = col[np.isfinite(col)]
        if col.size < 2:
            return math.nan, math.nan
        q = (1 - level) / 2
        return float(np.quantile(col, q)), float(np.quantile(col, 1 - q))

    def law(self, r: int) -> PowerLaw:
        """The ``r``-th bootstrap fit."""
        a, b, c = self.boot[r]
        return PowerLaw(float(a), float(b), float(c))


def seed_draws(seeds: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, len(seeds))`` seeds drawn with replacement (shared by every curve)."""
    return rng.choice(seeds, size=(n_boot, seeds.size), replace=True)


def fit_curve(
    runs: pd.DataFrame, draws: np.ndarray, *, metric: str, min_size: float = 0
) -> CurveFit:
    """Fit one condition's ``1 - metric`` against ``size`` (sizes ≥ ``min_size``); refit on
    each row of ``draws``."""
    runs = runs[np.isfinite(runs[metric].to_numpy(dtype=float)) & (runs["size"] >= min_size)]
    n = runs["size"].to_numpy(dtype=float)
    err = 1.0 - runs[metric].to_numpy(dtype=float)
    seed = runs["seed"].to_numpy()
    by_seed = {s: np.flatnonzero(seed == s) for s in np.unique(seed)}
    boot = np.full((len(draws), 3), np.nan)
    for r, drawn in enumerate(draws):
        rows = [by_seed[s] for s in drawn if s in by_seed]
        if rows:
            idx = np.concatenate(rows)
            f = fit_power_law(n[idx], err[idx])
            boot[r] = f.a, f.b, f.c
    return CurveFit(
        fit=fit_power_law(n, err),
        boot=boot if len(by_seed) > 1 else np.full((0, 3), np.nan),
        n_runs=len(runs),
        n_seeds=len(by_seed),
        sizes=tuple(sorted(set(n.tolist()))),
    )


def fit_curves(
    runs: pd.DataFrame,
    keys: list[str],
    *,
    metric: str,
    n_boot: int,
    seed: int = 0,
    min_size: float = 0,
) -> dict[Hashable, CurveFit]:
    """One :class:`CurveFit` per group of ``keys`` over the finished ``runs``."""
    rng = np.random.default_rng(seed)
    seeds = np.unique(runs["seed"].to_numpy())
    draws = seed_draws(seeds, n_boot, rng) if seeds.size > 1 else np.empty((0, 0))
    return {
        key: fit_curve(group, draws, metric=metric, min_size=min_size)
        for key, group in runs.groupby(keys, dropna=False, sort=True)
    }


def noise_tax(noisy: PowerLaw, clean: PowerLaw, n: float) -> float:
    """Size multiplier at ``n``: noisy images needed per clean image for the same error.

    The noisy curve's error at ``n`` is reached by the clean curve at ``n0``; the tax is
    ``n / n0`` (so one noisy image is worth ``n0 / n`` clean ones). NaN when the clean curve
    never gets that low (the noisy error is under its floor) or either curve has no fit.
    """
    n0 = clean.size_for(float(noisy.error(n)))
    if not math.isfinite(n0) or n0 <= 0:
        return math.nan
    return n / n0


def noise_tax_table(
    fits: dict[Hashable, CurveFit], reference: Hashable, sizes: list[float], k_of: dict
) -> pd.DataFrame:
    """The noise tax of every curve against ``reference`` at each of ``sizes``.

    Columns: ``curve``, ``n``, ``multiplier`` (fit on all runs), ``multiplier_std`` (over the
    paired bootstrap), ``n_boot`` of ``n_boot_draws`` draws that gave a multiplier (the others,
    failed, are counted, not hidden), ``clean_per_noisy_label`` (= 1 / (multiplier · k): what one bought noisy
    label is worth in clean labels), ``n_clean`` (the clean size matched), ``poor_fit`` (either
    fit's R² under ``POOR_R2``) and ``extrapolated`` (``n`` outside the curve's measured sizes,
    or ``n_clean`` outside the reference's).
    """
    ref = fits[reference]
    rows = []
    for key, curve in fits.items():
        if key == reference:
            continue
        for n in sizes:
            m = noise_tax(curve.fit, ref.fit, n)
            draws = [
                noise_tax(curve.law(r), ref.law(r), n)
                for r in range(min(len(curve.boot), len(ref.boot)))
            ]
            boot = np.asarray([b for b in draws if math.isfinite(b)])
            n0 = n / m if math.isfinite(m) and m > 0 else math.nan
            k = k_of.get(key, 1.0)
            rows.append(
                {
                    "curve": key,
                    "n": n,
                    "multiplier": m,
                    "multiplier_std": float(boot.std(ddof=1)) if boot.size > 1 else math.nan,
                    "n_boot": int(boot.size),  # draws with a finite multiplier
                    "n_boot_draws": len(draws),  # all draws: the rest failed
                    "n_clean": n0,
                    "clean_per_noisy_label": 1.0 / (m * k) if m and math.isfinite(m) else math.nan,
                    "poor_fit": bool(not curve.fit.r2 >= POOR_R2 or not ref.fit.r2 >= POOR_R2),
                    "extrapolated": bool(
                        not math.isfinite(n0)
                        or not min(ref.sizes) <= n0 <= max(ref.sizes)
                        or not min(curve.sizes) <= n <= max(curve.sizes)
                    ),
                }
            )
    return pd.DataFrame(rows)
