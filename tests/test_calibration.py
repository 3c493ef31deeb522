"""Temperature scaling: the fit recovers a known temperature, and a trained checkpoint carries
the one it was fitted to, which load_model (and so evaluate, predict, export) applies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from crowdsign.augment import eval_preset
from crowdsign.inference import load_model
from crowdsign.runtime.checkpoint import load_checkpoint
from crowdsign.runtime.metrics import classification_metrics
from crowdsign.training.calibration import T_RANGE, TemperatureScaled, fit_temperature


def _overconfident(n: int, temperature: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits ``z`` and labels drawn from ``softmax(z / temperature)``."""
    g = torch.Generator().manual_seed(seed)
    logits = 4.0 * torch.randn(n, 5, generator=g)
    labels = torch.multinomial((logits / temperature).softmax(1), 1, generator=g).squeeze(1)
    return logits, labels


@pytest.mark.parametrize("true_t", [0.5, 2.5])
def test_fit_recovers_the_temperature_the_labels_were_drawn_at(true_t):
    logits, labels = _overconfident(6000, true_t, seed=0)
    t = fit_temperature(logits, labels)
    assert abs(t - true_t) / true_t < 0.1
    names = [str(i) for i in range(5)]
    before, _ = classification_metrics(logits.softmax(1), labels, names)
    after, _ = classification_metrics((logits / t).softmax(1), labels, names)
    assert after["ece"] < 0.03 < before["ece"]
    assert after["accuracy"] == before["accuracy"]  # one temperature moves no argmax


def test_fit_stays_in_range_and_handles_no_images():
    logits = torch.tensor([[10.0, -10.0]] * 4)
    assert fit_temperature(logits, torch.tensor([1, 1, 1, 1])) == pytest.approx(T_RANGE[1], 1e-3)
    assert fit_temperature(torch.empty(0, 3), torch.empty(0, dtype=torch.long)) == 1.0


def test_temperature_scaled_divides_and_refuses_nonsense():
    net = torch.nn.Linear(3, 4)
    x = torch.randn(2, 3)
    torch.testing.assert_close(TemperatureScaled(net, 2.0)(x), net(x) / 2.0)
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="temperature"):
            TemperatureScaled(net, bad)


def test_a_trained_checkpoint_carries_its_val_temperature_and_loads_with_it(smoke_run):
    cfg, metrics = smoke_run
    best = Path(cfg.paths.output_dir) / "checkpoints" / "best.pt"
    state = load_checkpoint(best)
    t = state["temperature"]
    assert T_RANGE[0] <= t <= T_RANGE[1] and t == metrics["val/temperature"]
    loaded = load_model(best)
    assert loaded.temperature == t
    raw = loaded.model.model  # the network under the temperature
    image = eval_preset(image_size=loaded.image_size)(np.full((40, 30, 3), 90, np.uint8))
    x = (torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255 - 0.5) / 0.5
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(x).softmax(1), (raw(x) / t).softmax(1))


def test_fit_through_label_noise_recovers_the_temperature_noisy_labels_hide():
    # a calibrated model (T = 1), scored against labels of which 15% were flipped at random
    logits, labels = _overconfident(8000, 1.0, seed=1)
    g = torch.Generator().manual_seed(2)
    flip = torch.rand(len(labels), generator=g) < 0.15
    other = (labels + torch.randint(1, 5, labels.shape, generator=g)) % 5
    noisy = torch.where(flip, other, labels)
    naive = fit_temperature(logits, noisy)
    aware = fit_temperature(logits, noisy, noise=0.15)
    assert naive > 1.3  # the crowd's mistakes read as over-confidence
    assert abs(aware - 1.0) < 0.1
    names = [str(i) for i in range(5)]
    ece_naive = classification_metrics((logits / naive).softmax(1), labels, names)[0]["ece"]
    ece_aware = classification_metrics((logits / aware).softmax(1), labels, names)[0]["ece"]
    assert ece_aware < 0.03 < ece_naive
    with pytest.raises(ValueError, match="noise"):
        fit_temperature(logits, noisy, noise=0.9)
