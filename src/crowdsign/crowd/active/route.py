"""From whom: which available worker answers an image next (the request's routing).

``route="thompson"`` (the adaptive default): each candidate worker's accuracy is drawn from a
Beta posterior, mean = the worker's estimated accuracy (:mod:`.assess`), weight = their compared
answers + ``prior_strength``; the highest draw gets the task. A worker never compared yet is
drawn from the prior (the pool's mean accuracy with ``pooled_prior``), so new workers keep
getting some tasks (exploration) until their accuracy is known, and a worker estimated poor is
rarely asked again. Flagged workers are never candidates (``block_flagged``).
``route="greedy"``: the highest estimated accuracy, no exploration (ties at random).
``route="random"``: no routing: whoever comes first (the export's seeded order).
"""

from __future__ import annotations

import numpy as np

from crowdsign.crowd.active.assess import Assessment
from crowdsign.crowd.active.oracle import Router

ROUTES = ("thompson", "greedy", "random")


def make_router(
    a: Assessment,
    route: str,
    prior_strength: float,
    rng: np.random.Generator,
) -> Router | None:
    """The router for one batch, from the assessment it was planned on (None: random order)."""
    if route == "random":
        return None
    if route not in ROUTES:
        raise ValueError(f"strategy.route={route!r}: use one of {', '.join(ROUTES)}")
    skills = a.skills
    compared = a.compared if a.compared is not None else skills * 0.0
    prior = float(a.next_accuracy)
    k = len(a.classes)

    def router(workers: np.ndarray) -> np.ndarray:
        mean = skills.reindex(workers).fillna(prior).to_numpy(dtype=float)
        if route == "greedy":
            return mean + 1e-9 * rng.random(len(workers))
        n = compared.reindex(workers).fillna(0.0).to_numpy(dtype=float) + prior_strength
        mean = np.clip(mean, 1e-3, 1 - 1e-3)
        draw = rng.beta(mean * n, (1 - mean) * n)
        return np.where(mean <= 1.0 / k + 1e-9, -1.0, draw)  # chance-level: last resort

    return router
