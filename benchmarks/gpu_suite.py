"""One GPU suite, one process, one Markdown table: what a GPU workstation run needs measured.

    python benchmarks/gpu_suite.py              # on one H100/H200: about 8 minutes
    python benchmarks/gpu_suite.py --quick      # CI-sized, on a CPU: under 2 minutes

Sections (each a few rows of the table; ``--skip`` leaves sections out):

- ``throughput``: images/s of ``compact_resnet`` and ``resnet18`` at 64 px: the model alone
  (forward, backward, AdamW on a uint8 batch already on the device), the full pipeline with the
  CPU loader (NumPy/cv2 ``default`` preset in ``--workers`` DataLoader workers) and with the
  device loader (``trainer.data_on_device``: images and the batched preset on the device), and
  each pipeline's ratio to the model alone.
- ``gtsrb``: one training run on GTSRB (43 classes) with ``experiment=gtsrb_gpu`` when that
  config exists, else the recipe named in the row; wall seconds and test accuracy on GTSRB's
  held-apart photos (goal: >= 99% in <= 60 s). ``--quick``: the ``debug=smoke`` world instead.
- ``aggregate``: Dawid–Skene and GLAD ``fit_codes`` on ``--answers`` synthetic answers
  (10 per task, 2,000 workers) on the device, after one warm-up fit.
- ``packing``: a sweep of ``--sweep-runs`` short training runs launched as
  ``python train.py -m ... hydra/launcher=gpu_pack hydra.launcher.n_jobs=--pack-jobs``, against
  ``--sequential-runs`` of them one at a time (n_jobs=1), scaled to the sweep's size.

Every figure is measured in this run on this machine (printed in the header); wall-clock.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # sibling benchmark modules

from suite_parts import (  # noqa: E402
    aggregate_rows,
    gtsrb_rows,
    packing_rows,
    throughput_rows,
)

SECTIONS = ("throughput", "gtsrb", "aggregate", "packing")


def settings(args: argparse.Namespace) -> argparse.Namespace:
    """Fill the sizes ``--quick`` shrinks."""
    quick = args.quick
    defaults = {
        "size": 16 if quick else 64,
        "batch": 8 if quick else 256,
        "steps": 2 if quick else 30,
        "workers": 0 if quick else min(8, max(1, (os.cpu_count() or 2) - 2)),
        "answers": 200_000 if quick else 10_000_000,
        "sweep_runs": 2 if quick else 16,
        "sequential_runs": 1 if quick else 4,
        "pack_jobs": 2 if quick else 8,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def default_gtsrb_root() -> str:
    """``$CROWDSIGN_GTSRB``, else the first of ``shared/data/gtsrb`` in or beside the repo."""
    if "CROWDSIGN_GTSRB" in os.environ:
        return os.environ["CROWDSIGN_GTSRB"]
    candidates = [REPO / "shared/data/gtsrb", REPO.parent / "shared/data/gtsrb"]
    candidates.append(REPO.parents[1] / "shared/data/gtsrb")  # a worktree under <root>/wt/
    return str(next((c for c in candidates if c.exists()), candidates[0]))


def header(args: argparse.Namespace, device: torch.device) -> str:
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    return (
        f"# crowdsign GPU suite{' (--quick)' if args.quick else ''}: {name}, "
        f"{os.cpu_count()} CPUs, torch {torch.__version__}, load average "
        f"{os.getloadavg()[0]:.1f} at start"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="CI sizes; runs on a CPU in < 2 min")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--skip", nargs="*", default=[], choices=SECTIONS)
    p.add_argument("--size", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--steps", type=int, help="timed steps per throughput row")
    p.add_argument("--workers", type=int, help="CPU loader workers")
    p.add_argument("--answers", type=int)
    p.add_argument("--sweep-runs", type=int)
    p.add_argument("--sequential-runs", type=int)
    p.add_argument("--pack-jobs", type=int)
    p.add_argument("--gtsrb-root", default=default_gtsrb_root())
    args = settings(p.parse_args(argv))
    device = torch.device(args.device)
    start = time.perf_counter()
    print(header(args, device), flush=True)
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="gpu_suite_") as tmp:
        work = Path(tmp)
        parts = {
            "throughput": lambda: throughput_rows(args, device),
            "gtsrb": lambda: gtsrb_rows(args, device, work),
            "aggregate": lambda: aggregate_rows(args, device),
            "packing": lambda: packing_rows(args, device, work),
        }
        for name, part in parts.items():
            if name in args.skip:
                continue
            t = time.perf_counter()
            try:
                rows += part()
            except Exception as err:  # noqa: BLE001 - one failed section must not hide the rest
                rows.append((name, "failed", f"{type(err).__name__}: {str(err)[:120]}", ""))
            print(f"  {name}: {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    print()
    print("| section | measure | value | goal |")
    print("|---|---|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nsuite wall time {time.perf_counter() - start:.0f} s")
    return 0 if all(r[1] != "failed" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
