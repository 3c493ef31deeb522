"""Runtime: what every layer above the data may use to run a model and keep its results.

- :mod:`~crowdsign.runtime.device`: :class:`Precision`, ``resolve_device``, ``resolve_precision``,
  ``seed_everything``, ``configure_threads`` (with :mod:`~crowdsign.runtime.packing`).
- :mod:`~crowdsign.runtime.checkpoint`: atomic ``save_checkpoint``, safe ``load_checkpoint``.
- :mod:`~crowdsign.runtime.scoring`: ``predict_proba``, ``evaluate_split`` (with
  :mod:`~crowdsign.runtime.metrics`).
- :mod:`~crowdsign.runtime.tensorboard`: :class:`RunLogger` (with :mod:`~crowdsign.runtime.figures`).
- :mod:`~crowdsign.runtime.run_version`: what a finished run was made of (config and code hashes).
"""
