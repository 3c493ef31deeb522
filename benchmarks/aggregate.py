"""Aggregation benchmark: seconds, EM iterations and peak memory per method, beside crowd-kit.

    python benchmarks/aggregate.py --threads 1          # 1M and 10M answers, 2 and 5 classes
    PYTHONPATH=/path/to/crowdkit python benchmarks/aggregate.py   # + crowd-kit's figures
    python benchmarks/aggregate.py --tasks 1000000 --device cuda    # 10M answers on a GPU

Data: ``--tasks`` tasks (one table per value) × ``--per-task`` answers from ``--workers``
workers (default 100,000 and 1,000,000 × 10 from 2,000: 1M and 10M answers), seeded, from :func:`crowdsign.crowd.aggregate.synthetic.synthetic_crowd` with
10% spammers. Every measurement runs in a fresh subprocess (so peak memory is its own): ours
``--repeats`` times (mean ± std), crowd-kit once. Seconds are wall-clock for ``fit_codes`` on
integer codes (the training pipeline's path), and CPU seconds of the process beside them (on a
shared machine the wall clock also counts the time other jobs held the cores); the ``encode`` row is the DataFrame → codes step
that ``fit(answers)`` adds. crowd-kit's GLAD is far too slow for 1M answers: it is timed on the
first ``--glad-subsample`` answers, beside ours on the same subsample, and extrapolated
linearly. Peak memory is the rise of the process's peak RSS over its RSS before the fit (CPU),
or ``torch.cuda.max_memory_allocated`` (CUDA); "process MB" is the whole process's peak RSS
(Python, torch, the answers as int64 codes and the fit).

Threads: on a CPU shared with other jobs, torch's OpenMP threads wait for each other at every
op, so ``--threads 1`` can be many times faster than 2 (the table header gives the load).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

METHODS = ("MajorityVote", "Wawa", "DawidSkene", "OneCoinDawidSkene", "GLAD")
ITERATIVE = ("DawidSkene", "OneCoinDawidSkene", "GLAD")
SHARES = {"reliable": 0.5, "average": 0.25, "weak": 0.15, "spammer": 0.1}


def rss_mb() -> float:
    """Current resident set size; also resets the peak (VmHWM) to it where Linux allows."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # then the peak below also counts imports: an upper bound
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """Peak RSS of this process image (VmHWM; unlike ru_maxrss it is not inherited on fork)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- child: one measurement --------------------------------------------------------------------
def child(args: argparse.Namespace) -> dict:
    data = np.load(args.data)
    n = args.subsample or len(data["task"])
    task, worker, label, truth = (
        data["task"][:n],
        data["worker"][:n],
        data["label"][:n],
        data["truth"],
    )
    if args.impl == "ours":
        return run_ours(args, task, worker, label, truth)
    return run_crowdkit(args, task, worker, label, truth)


def run_ours(args, task, worker, label, truth) -> dict:
    import pandas as pd
    import torch

    from crowdsign.crowd import aggregate
    from crowdsign.crowd.answers import CodedAnswers, encode

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if args.method == "encode":
        df = pd.DataFrame({"task": task, "worker": worker, "label": label})
        before = rss_mb()
        start = time.perf_counter()
        encode(df)
        return {"seconds": time.perf_counter() - start, "peak_mb": peak_rss_mb() - before}
    ids = np.arange  # the synthetic ids are 0..n-1 already: no DataFrame on the fit's path
    codes = CodedAnswers(
        *(torch.from_numpy(np.ascontiguousarray(v)) for v in (task, worker, label)),
        task_ids=ids(int(task.max()) + 1),
        worker_ids=ids(int(worker.max()) + 1),
        label_ids=ids(int(label.max()) + 1),
    ).to(device)
    model = getattr(aggregate, args.method)(device=device)
    if device.type == "cuda":
        model.fit_codes(codes)  # warm up kernels and the allocator
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    before = rss_mb()
    start, cpu_start = time.perf_counter(), time.process_time()
    model.fit_codes(codes)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    peak = (
        torch.cuda.max_memory_allocated() / 2**20
        if device.type == "cuda"
        else peak_rss_mb() - before
    )
    hard = model.hard_labels().cpu().numpy()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "process_mb": peak_rss_mb(),
        "iterations": getattr(model, "n_iter_", None),
        "peak_mb": peak,
        "accuracy": float((codes.label_ids[hard] == truth[codes.task_ids]).mean()),
    }


def run_crowdkit(args, task, worker, label, truth) -> dict:
    import pandas as pd

    warnings.simplefilter("ignore")  # crowd-kit's pandas deprecation warnings
    from crowdkit import aggregation as ck

    df = pd.DataFrame({"task": task, "worker": worker, "label": label})
    kwargs = {"n_iter": 100} if args.method in ITERATIVE else {}
    model = getattr(ck, args.method)(**kwargs)
    note = ""
    before = rss_mb()
    start = time.perf_counter()
    try:
        labels = model.fit_predict(df)
    except AttributeError as err:  # crowd-kit 1.4.2's Wawa under scikit-learn >= 1.6
        if args.method != "Wawa":
            raise
        note = f"Wawa raises ({str(err)[:40]}…); timed its two steps via MajorityVote"
        start = time.perf_counter()
        skills = ck.MajorityVote().fit(df).skills_
        labels = ck.MajorityVote().fit_predict(df, skills=skills)
    seconds = time.perf_counter() - start
    history = getattr(model, "loss_history_", None)
    return {
        "seconds": seconds,
        "iterations": len(history) if history else None,
        "peak_mb": peak_rss_mb() - before,
        "accuracy": float((labels.to_numpy() == truth[labels.index.to_numpy()]).mean()),
        "note": note,
    }


# --- parent: data, subprocesses, table ---------------------------------------------------------
def measure(args, data: Path, method: str, impl: str, subsample: int = 0) -> dict:
    cmd = [sys.executable, __file__, "--child", "--data", str(data), "--method", method]
    cmd += ["--impl", impl, "--device", args.device, "--threads", str(args.threads)]
    cmd += ["--subsample", str(subsample)]
    timeout = args.crowdkit_timeout if impl == "crowdkit" else None
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"> {timeout} s (stopped)"}
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1][:80]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarise(runs: list[dict]) -> dict:
    if any("error" in r for r in runs):
        return next(r for r in runs if "error" in r)
    secs = [r["seconds"] for r in runs]
    row = dict(runs[0])
    row["seconds"] = statistics.mean(secs)
    row["std"] = statistics.stdev(secs) if len(secs) > 1 else 0.0
    row["n"] = len(secs)
    row["peak_mb"] = max(r["peak_mb"] for r in runs)
    if "cpu_seconds" in runs[0]:
        row["cpu_seconds"] = statistics.mean(r["cpu_seconds"] for r in runs)
        row["process_mb"] = max(r["process_mb"] for r in runs)
    return row


def fmt_row(k: int, method: str, impl: str, answers: int, r: dict) -> str:
    if "error" in r:
        return f"| {k} | {method} | {impl} | {answers:,} | {r['error']} | | | | | | |"
    sec = f"{r['seconds']:.2f}"
    if r.get("n", 1) > 1:
        sec += f" ± {r['std']:.2f} (n={r['n']})"
    cpu = "" if r.get("cpu_seconds") is None else f"{r['cpu_seconds']:.2f}"
    it = "" if r.get("iterations") is None else str(r["iterations"])
    acc = "" if r.get("accuracy") is None else f"{r['accuracy']:.4f}"
    proc = "" if r.get("process_mb") is None else f"{r['process_mb']:.0f}"
    note = r.get("note", "")
    return (
        f"| {k} | {method} | {impl} | {answers:,} | {sec} | {cpu} | {it} | {r['peak_mb']:.0f} "
        f"| {proc} | {acc} | {note} |"
    )


def main(args: argparse.Namespace) -> None:
    import torch
    from toy_data import synthetic_crowd

    have_ck = args.crowdkit != "off" and importlib.util.find_spec("crowdkit") is not None
    threads = args.threads or torch.get_num_threads()
    print(
        f"# Aggregation benchmark: {', '.join(f'{t:,}' for t in args.tasks)} tasks × "
        f"{args.per_task} answers, "
        f"{args.workers:,} workers, 10% spammers; device {args.device}, torch {torch.__version__}, "
        f"{threads} threads; load average at start {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs; crowd-kit {'yes' if have_ck else 'not installed'}",
        flush=True,
    )
    print()
    print(
        "| classes | method | impl | answers | seconds | CPU s | iterations | peak MB "
        "| process MB | accuracy | note |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for k, tasks in ((k, t) for k in args.classes for t in args.tasks):
            sim = synthetic_crowd(
                tasks, args.workers, k, args.per_task, shares=SHARES, seed=args.seed
            )
            c = sim.codes
            path = Path(tmp) / f"k{k}_t{tasks}.npz"
            np.savez(
                path,
                task=c.task.numpy(),
                worker=c.worker.numpy(),
                label=c.label.numpy(),
                truth=sim.truth.numpy(),
            )
            n = c.n_answers
            enc = summarise([measure(args, path, "encode", "ours") for _ in range(args.repeats)])
            print(fmt_row(k, "encode (fit(df) adds this)", "ours", n, enc), flush=True)
            for method in METHODS:
                runs = [measure(args, path, method, "ours") for _ in range(args.repeats)]
                print(fmt_row(k, method, "ours", n, summarise(runs)), flush=True)
                if not have_ck:
                    continue
                if method == "GLAD":
                    sub = min(args.glad_subsample, n)
                    ours_sub = summarise(
                        [measure(args, path, method, "ours", sub) for _ in range(args.repeats)]
                    )
                    print(fmt_row(k, method, "ours (subsample)", sub, ours_sub), flush=True)
                    theirs = measure(args, path, method, "crowdkit", sub)
                    if "error" not in theirs:
                        per_answer = theirs["seconds"] / sub
                        theirs["note"] = f"~{per_answer * n:,.0f} s for {n:,} answers, linear"
                    print(fmt_row(k, method, "crowd-kit (subsample)", sub, theirs), flush=True)
                else:
                    print(
                        fmt_row(k, method, "crowd-kit", n, measure(args, path, method, "crowdkit")),
                        flush=True,
                    )
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")
    print(
        f"process MB counts {import_rss_mb():.0f} MB of a process that only imported torch and "
        "crowdsign (this torch build); peak MB is the fit's own rise over its start"
    )


def import_rss_mb() -> float:
    """Peak RSS of a fresh process after ``import torch, crowdsign.crowd.aggregate``."""
    code = (
        "import torch, crowdsign.crowd.aggregate\n"
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tasks", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--per-task", type=int, default=10)
    p.add_argument("--workers", type=int, default=2_000)
    p.add_argument("--classes", type=int, nargs="+", default=[2, 5])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3, help="runs of ours per cell")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--crowdkit", choices=("auto", "off"), default="auto")
    p.add_argument("--crowdkit-timeout", type=int, default=900, help="seconds per crowd-kit run")
    p.add_argument("--glad-subsample", type=int, default=25_000)
    # child mode (internal)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--method", help=argparse.SUPPRESS)
    p.add_argument("--impl", default="ours", help=argparse.SUPPRESS)
    p.add_argument("--subsample", type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.child:
        print(json.dumps(child(arguments)))
    else:
        main(arguments)
