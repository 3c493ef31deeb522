"""``evaluate.py report=scaling`` on a sweep dir of fabricated runs with known learning curves."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from crowdsign.evaluation.evaluate import evaluate
from crowdsign.evaluation.scaling.collect import (
    collect,
    method_label,
    planned_jobs,
    run_row,
    variant_of,
)
from crowdsign.evaluation.scaling.report import write_hparams

SIZES = (100, 200, 400, 800, 1600)
NOISES = (0.0, 0.2)
SEEDS = (0, 1, 2)
SHIFT = {0.0: 1.0, 0.2: 2.5}  # noise 0.2 needs 2.5x the images for the same error
A, B, C = 0.8, 0.45, 0.03
FAILED = (0.2, 1600, 2)  # noise, size, seed
NEVER_STARTED = (0.2, 1600, 1)
UNFINISHED = (0.0, 1600, 2)


def _overrides(noise: float, size: int, seed: int) -> list[str]:
    return [f"data.train_size={size}", f"crowd.noise={noise}", f"seed={seed}", "crowd=uniform"]


def _write_run(root: Path, noise: float, size: int, seed: int, status: str = "done") -> Path:
    overrides = _overrides(noise, size, seed)
    cell = ",".join(sorted(o for o in overrides if not o.startswith("seed=")))
    run = root / cell / f"seed={seed}"
    (run / ".hydra").mkdir(parents=True)
    config = {
        "seed": seed,
        "data": {"train_size": size, "task": "binary"},
        "crowd": {"_target_": "x.simulate_uniform", "noise": noise, "labels_per_image": 1},
        "aggregate": {"target": "hard"},
        "trainer": {"epochs": 3, "label_smoothing": 0.0},
        "paths": {"output_dir": "${hydra:runtime.output_dir}"},  # unresolvable offline
    }
    choices = {"crowd": "uniform", "aggregate": "mv", "data": "synthetic", "model": "tiny_cnn"}
    (run / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    hydra = {"hydra": {"runtime": {"choices": choices}}}
    (run / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(hydra))
    if status == "done":
        jitter = 0.002 * (seed - 1)
        err = A * (size / SHIFT[noise]) ** -B + C + jitter
        metrics = {
            "test/accuracy": 1 - err,
            "test/balanced_accuracy": 1 - err,
            "test/stop_recall": 1 - 1.5 * err,
            "train/label_noise": noise,
            "time/total_s": 1.0,
        }
        record = {"metrics": metrics, "n_train": size, "git_sha": "0123456789abcdef"}
        (run / "metrics.json").write_text(json.dumps(record))
        (run / "crowd").mkdir()
        cost = {"total": size * 0.012, "fair_total": size * 0.02, "answers": size}
        (run / "crowd" / "cost.json").write_text(json.dumps({"report": cost}))
    elif status == "failed":
        error = {"type": "ValueError", "message": "noise too high\nsecond line", "traceback": "..."}
        (run / "error.json").write_text(json.dumps(error))
    return run


@pytest.fixture
def sweep_dir(tmp_path: Path) -> Path:
    root = tmp_path / "sweep"
    for noise in NOISES:
        for size in SIZES:
            for seed in SEEDS:
                point = (noise, size, seed)
                if point == NEVER_STARTED:
                    continue
                status = {FAILED: "failed", UNFINISHED: "incomplete"}.get(point, "done")
                _write_run(root, *point, status=status)
    plan = {
        "hydra": {
            "sweeper": {
                "_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper",
                "params": {
                    "data.train_size": ",".join(map(str, SIZES)),
                    "crowd.noise": "0.0,0.2",
                    "seed": "0,1,2",
                },
            },
            "overrides": {"task": ["crowd=uniform"]},
        }
    }
    (root / "multirun.yaml").write_text(yaml.safe_dump(plan))
    return root


def test_planned_jobs_follow_the_basic_sweeper(sweep_dir):
    jobs = planned_jobs(sweep_dir)
    assert len(jobs) == len(SIZES) * len(NOISES) * len(SEEDS)
    assert frozenset(_overrides(*NEVER_STARTED)) in jobs


def test_collect_reads_status_axes_and_cost(sweep_dir):
    sweep = collect(sweep_dir)
    runs = sweep.runs
    assert len(runs) == 29
    assert runs["status"].value_counts().to_dict() == {"done": 27, "failed": 1, "incomplete": 1}
    done = runs[runs["status"] == "done"]
    assert set(done["crowd"]) == {"uniform"} and set(done["method"]) == {"mv"}
    assert set(done["k"]) == {1.0} and set(done["noise"]) == {0.0, 0.2}
    assert (done["cost"] == done["size"] * 0.012).all()
    failed = runs[runs["status"] == "failed"].iloc[0]
    assert failed["error_type"] == "ValueError" and failed["error_message"] == "noise too high"
    assert failed["size"] == 1600  # from the config: a failed run has no metrics
    assert list(sweep.missing["seed"]) == ["1"]


def test_report_files_numbers_and_what_is_missing(make_cfg, sweep_dir):
    overrides = ["report=scaling", f"sweep_dir={sweep_dir}", "report.bootstrap=100"]
    cfg = make_cfg("evaluate", [*overrides, "report.fit_min_size=0"])
    headline = evaluate(cfg)  # ckpt_path stays ??? : a scaling report needs no checkpoint
    out = sweep_dir / "report"
    assert headline["runs/done"] == 27 and headline["runs/failed"] == 1
    assert headline["runs/incomplete"] == 1 and headline["runs/missing"] == 1
    for name in ("runs.csv", "summary.csv", "fits.csv", "noise_tax.csv", "budget.csv"):
        assert (out / name).is_file(), name
    for name in ("learning_curves.png", "heatmap.png", "cost.png"):
        assert (out / name).stat().st_size > 10_000, name
    events = sorted((out / "tb").rglob("events.out.tfevents.*"))
    assert len({e.parent for e in events}) == 27  # one hparams entry per finished run

    summary = pd.read_csv(out / "summary.csv")
    cell = summary[(summary["condition"] == "uniform 0.2") & (summary["size"] == 1600)].iloc[0]
    assert (cell["n_runs"], cell["n_failed"], cell["n_incomplete"]) == (1, 1, 0)
    full = summary[(summary["condition"] == "uniform 0") & (summary["size"] == 100)].iloc[0]
    assert full["n_runs"] == 3
    expected = 1 - (A * 100.0**-B + C)
    assert full["test/accuracy_mean"] == pytest.approx(expected, abs=1e-9)
    assert full["test/accuracy_std"] == pytest.approx(0.002, rel=1e-6)

    fits = pd.read_csv(out / "fits.csv").set_index("condition")
    assert fits.loc["uniform 0", "b"] == pytest.approx(B, abs=0.05)
    assert fits.loc["uniform 0", "c"] == pytest.approx(C, abs=0.01)
    assert fits.loc["uniform 0", "n_runs"] == 14 and fits.loc["uniform 0", "n_seeds"] == 3
    assert fits.loc["uniform 0", "b_std"] > 0 and fits.loc["uniform 0", "r2"] > 0.99
    assert fits.loc["uniform 0", "n_boot"] == 100

    tax = pd.read_csv(out / "noise_tax.csv")
    assert set(tax["condition"]) == {"uniform 0.2"} and set(tax["option"]) == {"k=1 mv"}
    assert not tax["poor_fit"].any()
    assert tax["multiplier"].to_numpy() == pytest.approx([2.5, 2.5], rel=0.1)

    md = (out / "report.md").read_text()
    assert "**partial sweep**" in md
    assert "bootstrap draws failed" in md and "## Paired comparisons" in md
    assert (out / "paired.csv").is_file()
    assert md.startswith("# Scaling study: sweep\n") and str(sweep_dir.parent) not in md
    assert (
        "27 finished**, 1 failed, 1 started but unfinished, 1 not started; planned by the latest launch (multirun.yaml): 30"
        in md
    )
    missing = md.split("## What is missing")[1]
    assert "crowd.noise=0.2,crowd=uniform,data.train_size=1600`: seed 1" in missing
    assert "crowd.noise=0.0,crowd=uniform,data.train_size=1600/seed=2" in missing  # unfinished
    failed = md.split("## What failed")[1].split("\n## ")[0]
    assert "data.train_size=1600/seed=2`: ValueError: noise too high" in failed
    assert "| 1/3 |" in md.split("## Runs per cell")[1]  # the cell with a failure and a gap
    assert "Reference (clean) curve: **uniform 0, k=1 mv**" in md
    clean_800 = 1 - (A * 800.0**-B + C)
    volume = md.split("## Test accuracy by volume × noise")[1].split("\n## ")[0]
    assert f"| 800 | {clean_800:.3f} ± 0.002 (3) |" in volume  # mean ± std (runs)
    assert not any(math.isnan(v) for v in headline.values())


def test_report_on_an_empty_or_missing_dir(make_cfg, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    cfg = make_cfg("evaluate", ["report=scaling", f"sweep_dir={empty}"])
    headline = evaluate(cfg)
    md = (empty / "report" / "report.md").read_text()
    assert headline["runs/done"] == 0 and "0 finished" in md and "plan is unknown" in md
    with pytest.raises(FileNotFoundError, match="nowhere"):
        evaluate(make_cfg("evaluate", ["report=scaling", f"sweep_dir={tmp_path / 'nowhere'}"]))
    with pytest.raises(ValueError, match="sweep_dir"):
        evaluate(make_cfg("evaluate", ["report=scaling"]))


def test_hparams_are_rewritten_not_appended(sweep_dir):
    runs = collect(sweep_dir).runs
    done = runs[runs["status"] == "done"]
    tb = sweep_dir / "report" / "tb"
    write_hparams(done, tb)
    first = sorted(p.parent.name for p in tb.rglob("events.out.tfevents.*"))
    write_hparams(done, tb)
    assert sorted(p.parent.name for p in tb.rglob("events.out.tfevents.*")) == first
    assert len(set(first)) == len(done) == 27  # one entry (folder) per finished run
    assert len(collect(sweep_dir).runs) == 29  # the report folder is not read as runs


def test_training_variants_are_separate_methods():
    """Soft targets and label smoothing swept beside the aggregator show as their own methods."""
    assert method_label("ds", "hard", None) == "ds"
    assert method_label("ds", "soft", None) == "ds/soft"
    assert method_label("mv", "hard", 0.1) == "mv/ls=0.1"
    assert method_label("mv", "hard", None, 0.7) == "mv/gce=0.7"
    assert method_label(None, None, None) == "labels"
    # a recipe override (robust=...) is read back through its config, not as a variant
    overrides = ["robust=gce", "crowd.noise=0.3", "model=tiny_cnn", "seed=1"]
    assert (
        variant_of(overrides, frozenset()) == "model=tiny_cnn"
    )  # crowd=none: the source's own labels


def _option_runs() -> pd.DataFrame:
    """Per-seed runs: at 256 gce wins on every seed; at 1,024 mv wins on average only."""
    per_seed = {
        (256, "k=1 mv"): (0.70, 0.69, 0.71),
        (256, "k=1 mv/gce=0.7"): (0.75, 0.745, 0.755),
        (1024, "k=1 mv"): (0.95, 0.83, 0.92),
        (1024, "k=1 mv/gce=0.7"): (0.85, 0.85, 0.85),
    }
    rows = [
        {"condition": "uniform 0.3", "option": o, "size": size, "seed": seed, "test/accuracy": v}
        for (size, o), values in per_seed.items()
        for seed, v in enumerate(values)
    ]
    return pd.DataFrame(rows)


def test_volume_by_option_bolds_only_a_resolved_paired_win():
    from crowdsign.evaluation.scaling.markdown import volume_by_option
    from crowdsign.evaluation.scaling.summary import summarize

    runs = _option_runs().assign(status="done", k=1.0, method="mv", crowd="uniform", noise=0.3)
    summary = summarize(runs)
    text = "\n".join(volume_by_option(summary, "test/accuracy", "Test accuracy", runs))
    assert "### uniform 0.3" in text
    assert "| 256 | 0.700 ± 0.010 (3) | **0.750 ± 0.005 (3)** |" in text
    assert "| 1,024 | *0.900 ± 0.062 (3)* | 0.850 ± 0.000 (3) |" in text  # not resolved
    assert volume_by_option(summary[:1], "test/accuracy", "x") == []  # one option
    # a size where only one option ran has nothing to beat: no mark
    lone = runs[~((runs["size"] == 1024) & (runs["option"] == "k=1 mv"))]
    text = "\n".join(volume_by_option(summarize(lone), "test/accuracy", "T", lone))
    assert "| 1,024 | – | 0.850 ± 0.000 (3) |" in text


def test_paired_difference_is_a_t_interval_over_shared_seeds():
    from crowdsign.evaluation.scaling.paired import paired_difference, paired_table

    a = pd.Series([0.75, 0.745, 0.755, 0.9], index=[0, 1, 2, 7])  # seed 7: B has none
    b = pd.Series([0.70, 0.69, 0.71], index=[0, 1, 2])
    r = paired_difference(a, b)
    d = np.array([0.05, 0.055, 0.045])
    half = 4.303 * d.std(ddof=1) / np.sqrt(3)
    assert r["n"] == 3 and r["diff"] == pytest.approx(0.05)
    assert (r["lo"], r["hi"]) == pytest.approx((0.05 - half, 0.05 + half))
    assert r["resolved"] == 1.0
    assert paired_difference(b.iloc[:1], a)["resolved"] == 0.0  # one seed: never resolved
    table = paired_table(_option_runs(), "test/accuracy")
    at = table[(table["size"] == 1024) & (table["a"] == "k=1 mv")].iloc[0]
    assert at["diff"] == pytest.approx(0.05) and at["resolved"] == 0.0


def test_paired_lines_name_the_best_and_the_resolution():
    from crowdsign.evaluation.scaling.markdown import paired_lines
    from crowdsign.evaluation.scaling.paired import paired_table

    text = "\n".join(paired_lines(paired_table(_option_runs(), "test/accuracy"), "acc"))
    assert "| uniform 0.3 | 256 | k=1 mv/gce=0.7 − k=1 mv | +0.050 [" in text
    assert "(3 seeds, resolved)" in text and "(3 seeds, not resolved)" in text


def test_committed_reports_carry_no_machine_paths():
    import re

    docs = Path(__file__).parents[1] / "docs"
    pattern = re.compile(r"(?<![\w.])/(work|home|tmp|root|Users|mnt|scratch|data)/")
    # reports and tables; a README's example commands may name an output folder like /tmp/x
    files = [
        p
        for p in docs.rglob("*")
        if p.suffix in (".md", ".csv", ".json", ".yaml") and p.name != "README.md"
    ]
    assert files
    for path in files:
        assert not pattern.search(path.read_text()), path


def test_failed_bootstrap_draws_are_counted_and_shown():
    from crowdsign.evaluation.scaling.fit import CurveFit, PowerLaw
    from crowdsign.evaluation.scaling.markdown import fit_lines

    boot = np.array([[1.0, 0.5, 0.01], [np.nan, np.nan, np.nan], [1.2, 0.6, 0.02]])
    curve = CurveFit(PowerLaw(1.1, 0.55, 0.015, rmse=0.01, r2=0.9), boot, 9, 3, (1.0, 2.0))
    assert curve.n_boot_failed == 1
    assert curve.std("b") == pytest.approx(np.std([0.5, 0.6], ddof=1))
    text = "\n".join(fit_lines({("c", "o"): curve}, {}))
    assert "bootstrap draws failed" in text and "| 9 (3) | 1/3 |" in text


@pytest.mark.parametrize(
    "config",
    [
        {"robust": {"target": "soft", "label_smoothing": 0.1, "gce_q": 0.0}},
        # a run saved before the keys moved into robust (issue 14)
        {"aggregate": {"target": "soft"}, "trainer": {"label_smoothing": 0.1, "gce_q": 0.0}},
    ],
)
def test_the_method_reads_robust_keys_of_new_and_old_runs(tmp_path, config):
    run = tmp_path / "cell" / "seed=0"
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"seed": 0, **config}))
    (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(["seed=0"]))
    hydra = {"hydra": {"runtime": {"choices": {"aggregate": "mv"}}}}
    (run / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(hydra))
    assert run_row(run, tmp_path)["method"] == "mv/soft/ls=0.1"


def test_noise_tax_reference_is_the_plain_clean_recipe() -> None:
    from crowdsign.evaluation.scaling.fit import CurveFit, PowerLaw
    from crowdsign.evaluation.scaling.report import clean_reference

    curves = [("clean 0", "k=1 ds/soft", 0.0), ("clean 0", "k=1 mv", 0.0),
              ("clean 0", "k=1 mv/ls=0.1", 0.0), ("uniform 0.3", "k=1 mv", 0.3)]  # fmt: skip
    done = pd.DataFrame(
        [
            {"condition": c, "option": o, "train/label_noise": z, "k": 1}
            for c, o, z in curves
            for _ in range(3)
        ]
    )
    law = PowerLaw(1.0, 0.3, 0.0)
    fits = {(c, o): CurveFit(law, np.zeros((0, 3)), 3, 3, [256.0]) for c, o, _ in curves}
    assert clean_reference(done, fits, clean_max_noise=0.02) == ("clean 0", "k=1 mv")
    # without a plain clean curve the least noisy robust one is used
    fits_robust = {key: fit for key, fit in fits.items() if key != ("clean 0", "k=1 mv")}
    keep = done["option"] != "k=1 mv"
    assert (
        clean_reference(done[keep | (done["condition"] != "clean 0")], fits_robust, 0.02)[0]
        == "clean 0"
    )
