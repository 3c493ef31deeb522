"""Learning-curve fit, noise tax and fixed-budget answer on synthetic points with known truth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crowdsign.evaluation.scaling.budget import budget_table, default_budgets
from crowdsign.evaluation.scaling.fit import (
    PowerLaw,
    fit_curves,
    fit_power_law,
    noise_tax,
    noise_tax_table,
)

SIZES = 2.0 ** np.arange(5, 13)  # 32 … 4096


@pytest.mark.parametrize("a, b, c", [(0.8, 0.45, 0.03), (2.0, 0.7, 0.10), (0.5, 0.3, 0.0)])
def test_fit_recovers_exact_power_law(a, b, c):
    n = np.repeat(SIZES, 3)
    fit = fit_power_law(n, a * n**-b + c)
    assert fit.a == pytest.approx(a, rel=1e-3)
    assert fit.b == pytest.approx(b, rel=1e-3)
    assert fit.c == pytest.approx(c, abs=1e-4)
    assert fit.rmse < 1e-5 and fit.r2 == pytest.approx(1.0, abs=1e-6)


def test_fit_recovers_power_law_from_noisy_points():
    rng = np.random.default_rng(0)
    n = np.repeat(SIZES, 5)
    err = 0.8 * n**-0.45 + 0.03 + rng.normal(0, 0.003, n.size)
    fit = fit_power_law(n, err)
    assert fit.b == pytest.approx(0.45, abs=0.05)
    assert fit.c == pytest.approx(0.03, abs=0.005)
    assert fit.rmse == pytest.approx(0.003, rel=0.3)


def test_fit_needs_three_sizes_and_ignores_nan():
    assert math.isnan(fit_power_law([10, 10, 20], [0.3, 0.31, 0.2]).b)
    n = np.array([10.0, 20, 40, 80, 160])
    err = 0.9 * n**-0.5 + 0.05
    err_nan = np.append(err, np.nan)
    assert fit_power_law(np.append(n, 320), err_nan).b == pytest.approx(0.5, rel=1e-3)


def test_flat_curve_has_no_exponent_to_speak_of():
    fit = fit_power_law(SIZES, np.full(SIZES.size, 0.2))
    assert fit.error(1e9) == pytest.approx(0.2, abs=1e-6)
    assert fit.error(32) == pytest.approx(0.2, abs=1e-6)


def test_size_for_inverts_error():
    law = PowerLaw(a=0.8, b=0.45, c=0.03)
    for n in (50.0, 500.0, 5000.0):
        assert law.size_for(float(law.error(n))) == pytest.approx(n, rel=1e-9)
    assert law.size_for(0.03) == math.inf  # the floor is never reached
    assert law.size_for(0.01) == math.inf


def test_noise_tax_of_a_shifted_curve_is_the_shift():
    """A noisy curve that needs m times the images for any error has a tax of exactly m."""
    clean = PowerLaw(a=0.8, b=0.45, c=0.03)
    m = 2.5
    noisy = PowerLaw(a=0.8 * m**0.45, b=0.45, c=0.03)  # = clean.error(n / m)
    for n in (100.0, 1000.0):
        assert noise_tax(noisy, clean, n) == pytest.approx(m, rel=1e-9)
    # a noisy floor above the clean one: the tax grows with n
    floored = PowerLaw(a=0.8, b=0.45, c=0.08)
    assert noise_tax(floored, clean, 4000) > noise_tax(floored, clean, 100) > 1
    assert math.isnan(noise_tax(clean, PowerLaw(math.nan, math.nan, math.nan), 100))


def _curve_runs(m: float, seeds=(0, 1, 2), jitter=0.002) -> pd.DataFrame:
    rng = np.random.default_rng(int(m * 10))
    rows = []
    for seed in seeds:
        for n in SIZES:
            err = 0.8 * (n / m) ** -0.45 + 0.03 + rng.normal(0, jitter)
            rows.append({"seed": seed, "size": n, "test/accuracy": 1 - err})
    return pd.DataFrame(rows)


def test_bootstrap_over_seeds_and_noise_tax_table():
    runs = pd.concat(
        [
            _curve_runs(1.0).assign(condition="clean", option="k=1 mv", k=1.0),
            _curve_runs(3.0).assign(condition="noisy", option="k=3 mv", k=3.0),
        ]
    )
    fits = fit_curves(runs, ["condition", "option"], metric="test/accuracy", n_boot=100)
    clean = fits[("clean", "k=1 mv")]
    assert clean.n_runs == 24 and clean.n_seeds == 3 and clean.boot.shape == (100, 3)
    assert 0 < clean.std("b") < 0.2
    lo, hi = clean.interval("b")
    assert lo <= clean.fit.b <= hi
    tax = noise_tax_table(fits, ("clean", "k=1 mv"), [512.0, 4096.0], {("noisy", "k=3 mv"): 3.0})
    assert list(tax["n"]) == [512.0, 4096.0]
    assert tax["multiplier"].to_numpy() == pytest.approx([3.0, 3.0], rel=0.15)
    assert (tax["multiplier_std"] > 0).all() and (tax["n_boot"] > 50).all()
    # one bought label (k = 3 per image, 3x the images) is worth about 1/9 of a clean label
    assert tax["clean_per_noisy_label"].to_numpy() == pytest.approx([1 / 9, 1 / 9], rel=0.15)


def test_one_seed_has_a_fit_but_no_spread():
    fits = fit_curves(
        _curve_runs(1.0, seeds=(0,)).assign(condition="c", option="o"),
        ["condition", "option"],
        metric="test/accuracy",
        n_boot=50,
    )
    curve = fits[("c", "o")]
    assert math.isfinite(curve.fit.b) and math.isnan(curve.std("b"))


def _budget_runs() -> pd.DataFrame:
    """k=1 costs $0.012/image, k=3 $0.036; k=3 is 0.1 more accurate at equal images."""
    rows = []
    for seed in (0, 1, 2):
        for n in (100, 200, 400, 800, 1600, 3200):
            for k, bonus in ((1, 0.0), (3, 0.1)):
                rows.append(
                    {
                        "condition": "uniform 0.3",
                        "option": f"k={k} mv",
                        "seed": seed,
                        "size": n,
                        "cost": n * k * 0.012,
                        "fair_cost": n * k * 0.02,
                        "test/accuracy": 0.5 + 0.1 * math.log10(n) + bonus + 0.001 * seed,
                    }
                )
    return pd.DataFrame(rows)


def test_budget_picks_the_option_with_more_accuracy_per_dollar():
    runs = _budget_runs()
    table = budget_table(
        runs, condition=["condition"], option=["option"], metric="test/accuracy", budgets=[10.0]
    )
    platform = table[table["basis"] == "platform pay"].set_index("option")
    n1, n3 = 10.0 / 0.012, 10.0 / 0.036
    # accuracy is linear in log n, so interpolation in log cost is exact
    assert platform.loc["k=1 mv", "mean"] == pytest.approx(0.5 + 0.1 * math.log10(n1) + 0.001)
    assert platform.loc["k=3 mv", "mean"] == pytest.approx(0.6 + 0.1 * math.log10(n3) + 0.001)
    assert platform.loc["k=1 mv", "images"] == pytest.approx(n1)
    assert platform.loc["k=1 mv", "n"] == 3
    assert platform.loc["k=1 mv", "std"] == pytest.approx(0.001)
    assert set(table["best"]) == {"k=3 mv"}  # +0.1 beats the 3x price (-0.048)


def test_budget_outside_the_measured_costs_is_not_extrapolated():
    runs = _budget_runs()
    table = budget_table(
        runs, condition=["condition"], option=["option"], metric="test/accuracy", budgets=[0.5]
    )
    k3 = table[(table["basis"] == "platform pay") & (table["option"] == "k=3 mv")]
    assert k3["n"].item() == 0 and math.isnan(k3["mean"].item())  # k=3 starts at $3.60
    budgets = default_budgets(runs, "cost", ["option"])
    assert len(budgets) == 4 and budgets[0] >= 100 * 3 * 0.012 and budgets[-1] <= 3200 * 0.012


def test_min_size_leaves_the_small_data_region_out():
    runs = _curve_runs(1.0, jitter=0.0005).assign(condition="c", option="o")
    # a flat "small-data region" below 256 images that no power law follows
    runs.loc[runs["size"] < 256, "test/accuracy"] = 0.6
    keys = ["condition", "option"]
    all_sizes = fit_curves(runs, keys, metric="test/accuracy", n_boot=0)[("c", "o")]
    above = fit_curves(runs, keys, metric="test/accuracy", n_boot=0, min_size=256)[("c", "o")]
    assert above.sizes == (256.0, 512.0, 1024.0, 2048.0, 4096.0) and above.n_runs == 15
    assert above.fit.b == pytest.approx(0.45, abs=0.03)
    assert abs(all_sizes.fit.b - 0.45) > 0.1


def test_budget_best_is_a_paired_comparison_over_seeds():
    # a seed that is easier for every option (shared subset and crowd) leaves the paired
    # difference exact: still resolved, though the per-option std is now 0.1+
    runs = _budget_runs()
    runs.loc[runs["seed"] == 0, "test/accuracy"] += 0.2
    table = budget_table(
        runs, condition=["condition"], option=["option"], metric="test/accuracy", budgets=[10.0]
    )
    assert set(table["best"]) == {"k=3 mv"}
    # one seed where only k=1 does better: the difference changes sign, not resolved
    runs = _budget_runs()
    runs.loc[(runs["seed"] == 0) & (runs["option"] == "k=1 mv"), "test/accuracy"] += 0.15
    table = budget_table(
        runs, condition=["condition"], option=["option"], metric="test/accuracy", budgets=[10.0]
    )
    assert set(table["best"]) == {"k=3 mv (≈ k=1 mv)"}


def test_a_step_is_flagged_as_no_power_law():
    """A curve stuck at chance that jumps at the largest size pins b to the search bound."""
    from crowdsign.evaluation.scaling.fit import fit_curve
    from crowdsign.evaluation.scaling.markdown import fit_lines

    runs = _curve_runs(1.0).assign(condition="c", option="o")
    runs["test/accuracy"] = np.where(runs["size"] < 4096, 0.5, 0.99)
    curve = fit_curve(runs, np.empty((0, 0)), metric="test/accuracy", min_size=256)
    assert curve.fit.r2 < 0.5
    text = "\n".join(fit_lines({("c", "o"): curve}, {}))
    assert "poor fit: not a power law" in text
