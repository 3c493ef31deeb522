"""Model size and CPU latency per image: PyTorch eager vs ONNX Runtime, batch 1 and 64.

    .venv/bin/python benchmarks/export.py [--ckpt <run>/checkpoints/best.pt]
        [--model compact_resnet --image-size 64] [--threads 1] [--seconds 1.0]

Without ``--ckpt`` the model is built from ``configs/model/<name>.yaml`` with random weights
(latency does not depend on the weights). Both runtimes do the same work: uint8 NCHW in,
normalisation, the network, logits out (PyTorch: ``to_model_input`` then the model under
``torch.inference_mode``; ONNX: the exported graph, which normalises itself). Latency is the
median wall time of one batch over repeats (after warm-up), divided by the batch size, with
``--threads`` intra-op threads for both runtimes.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from crowdsign.cli import CONFIG_DIR
from crowdsign.inference import LoadedModel, load_model
from crowdsign.inference.export import check_onnx_parity, export_onnx
from crowdsign.models.inputs import to_model_input


def build(args: argparse.Namespace) -> LoadedModel:
    if args.ckpt:
        return load_model(args.ckpt)
    with initialize_config_dir(CONFIG_DIR, version_base="1.3"):
        cfg = compose("train", [f"model={args.model}"])
    model = instantiate(cfg.model, num_classes=2).eval()
    return LoadedModel(
        model=model,
        class_names=("not_stop", "stop"),
        image_size=args.image_size,
        stop_indices=(1,),
        config={"model": {"_target_": cfg.model._target_}},
        epoch=0,
        path=Path(f"<random {args.model}>"),
    )


def per_image_ms(run: Callable[[], object], batch: int, seconds: float) -> float:
    """Median wall milliseconds per image of ``run()`` (one batch) after 3 warm-up calls."""
    for _ in range(3):
        run()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times) / batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ckpt", help="a crowdsign checkpoint; default: random weights")
    parser.add_argument("--model", default="compact_resnet", help="configs/model/<name>.yaml")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=1.0, help="timing per cell")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    loaded = build(args)
    model = loaded.model.cpu().eval()
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        export_onnx(loaded, path)
        worst = check_onnx_parity(path, loaded)
        onnx_bytes = path.stat().st_size
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    s = loaded.image_size
    params = sum(p.numel() for p in model.parameters())
    print(f"model: {loaded.path} ({params:,} parameters), input {s}x{s}")
    print(f"CPU threads: {args.threads}; torch {torch.__version__}, onnxruntime {ort.__version__}")
    print(f"parity: max |onnx - torch| = {worst:.2e}\n")
    print(f"| size | PyTorch state_dict | {buf.tell() / 1e6:.2f} MB |")
    print(f"| size | ONNX file | {onnx_bytes / 1e6:.2f} MB |\n")
    print("| batch | PyTorch ms/image | ONNX Runtime ms/image | speed-up |")
    print("|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for batch in (1, 64):
        images = rng.integers(0, 256, (batch, 3, s, s), dtype=np.uint8)
        tensor = torch.from_numpy(images)

        def run_torch(tensor: torch.Tensor = tensor) -> object:
            with torch.inference_mode():
                return model(to_model_input(tensor))

        def run_onnx(images: np.ndarray = images) -> object:
            return session.run(["logits"], {"images": images})

        pt = per_image_ms(run_torch, batch, args.seconds)
        ox = per_image_ms(run_onnx, batch, args.seconds)
        print(f"| {batch} | {pt:.3f} | {ox:.3f} | {pt / ox:.2f}× |")


if __name__ == "__main__":
    main()
