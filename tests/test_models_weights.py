"""torchvision models from a saved state dict: backbone copied, head sized for the data."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate

from crowdsign.models import WeightsError, torchvision_classifier


def saved_resnet(tmp_path, num_classes=1000, **kwargs):
    torch.manual_seed(0)
    source = torchvision_classifier(arch="resnet18", num_classes=num_classes, **kwargs)
    path = tmp_path / "resnet18.pt"
    torch.save(source.state_dict(), path)
    return source, path


def test_state_dict_loads_backbone_and_replaces_head(tmp_path, make_cfg):
    source, path = saved_resnet(tmp_path)  # an "ImageNet" head of 1000 classes
    cfg = make_cfg("train", ["model=resnet18", f"model.weights={path}"])
    model = instantiate(cfg.model, num_classes=43)
    assert model.fc.out_features == 43
    for key, value in source.state_dict().items():
        if not key.startswith("fc."):
            torch.testing.assert_close(model.state_dict()[key], value, rtol=0, atol=0)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 43)


def test_same_class_count_keeps_the_head_and_checkpoint_dicts_load(tmp_path):
    source, _ = saved_resnet(tmp_path, num_classes=2)
    path = tmp_path / "last.pt"  # a crowdsign checkpoint keeps the state dict under "model"
    torch.save({"model": source.state_dict(), "epoch": 3}, path)
    model = torchvision_classifier(arch="resnet18", num_classes=2, weights=str(path))
    torch.testing.assert_close(model.fc.weight, source.fc.weight, rtol=0, atol=0)


def test_other_architectures_build(tmp_path):
    for arch in ("mobilenet_v3_small", "resnet50"):
        model = torchvision_classifier(arch=arch, num_classes=5, small_input=arch != "resnet50")
        assert model.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 5)


def test_bad_weight_files_name_the_file_and_problem(tmp_path):
    _, path = saved_resnet(tmp_path)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(path.read_bytes()[:1000])
    imagenet_stem = tmp_path / "stem.pt"
    torch.save(
        torchvision_classifier(arch="resnet18", num_classes=3, small_input=False).state_dict(),
        imagenet_stem,
    )
    cases = {
        tmp_path / "missing.pt": "no such file",
        corrupt: "not a readable torch state dict",
        imagenet_stem: "small_input=false",
    }
    for bad, message in cases.items():
        with pytest.raises(WeightsError, match=message) as err:
            torchvision_classifier(arch="resnet18", num_classes=3, weights=str(bad))
        assert str(bad) in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(WeightsError, match="another architecture"):
        torchvision_classifier(arch="resnet50", num_classes=3, weights=str(path))
    with pytest.raises(WeightsError, match="not a torchvision weights name"):
        torchvision_classifier(arch="resnet18", num_classes=3, weights="NO_SUCH_WEIGHTS")


def test_bad_weights_file_ends_train_with_one_line_and_exit_2(tmp_path, cache_dir, capsys):
    from entrypoints import run_main

    from crowdsign import cli

    args = ["debug=smoke", f"hydra.run.dir={tmp_path / 'run'}", f"paths.cache_dir={cache_dir}"]
    missing = tmp_path / "nowhere.pt"
    outcome = run_main(cli.train, [*args, "model=resnet18", f"model.weights={missing}"], capsys)
    assert outcome.code == 2, outcome.err[-2000:]
    assert len(outcome.err_lines) == 1 and str(missing) in outcome.err_lines[0]
    assert "Traceback" not in outcome.err


def test_a_checkpoint_loads_without_its_start_weights_file(tmp_path, make_cfg):
    """The checkpoint holds every weight: loading it never re-reads ``model.weights``, which
    may be gone (another machine, a cleaned tmp dir)."""
    from crowdsign.inference.model import load_model
    from crowdsign.pipeline import train

    _, path = saved_resnet(tmp_path, num_classes=1000)
    cfg = make_cfg(
        "train",
        [
            "debug=smoke",
            "model=resnet18",
            f"model.weights={path}",
            "trainer.epochs=1",
            "trainer.max_steps=1",
            "trainer.batch_size=4",
        ],  # fmt: skip
    )
    train(cfg)
    path.unlink()
    loaded = load_model(Path(cfg.paths.output_dir) / "checkpoints" / "best.pt")
    assert loaded.model.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 2)
