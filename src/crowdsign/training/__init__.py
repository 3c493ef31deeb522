"""Training: the stages of a run (:mod:`~crowdsign.training.run`), the epoch loop, targets from
the crowd, crowd losses, calibration, sweeps. :func:`crowdsign.pipeline.train` runs them."""
