"""Use a trained checkpoint: batch prediction on files, ONNX export checked against PyTorch.

- :mod:`~crowdsign.inference.predict`: ``predict(cfg)``, ``iter_predictions``.
- :mod:`~crowdsign.inference.export`: ``export(cfg)``, ``export_onnx``, ``check_onnx_parity``.
- :mod:`~crowdsign.inference.model`: ``load_model(ckpt_path)`` → :class:`LoadedModel`.
"""

from crowdsign.inference.model import LoadedModel, load_model

__all__ = ["LoadedModel", "load_model"]
