"""Decision hazards: awareness (Bass), enrolment, trust.

Each returns a weekly probability or an updated value from plain arrays; the phases draw the
uniforms and apply them. Hazards are multiplicative in their drivers so that the direction of every
lever is monotone: a lower cost never lowers a probability, a larger aware share never lowers
adoption.
"""

from __future__ import annotations

import numpy as np

from model.compiled import weekly

__all__ = [
    "enrolment_bound",
    "bass_probability",
    "enrolment_probability",
    "trust_signal",
    "trust_update",
]


def bass_probability(p: np.ndarray | float, q: float, adopted_share: np.ndarray) -> np.ndarray:
    """Weekly adoption probability with external rate p and imitation q × adopted share (annual)."""
    return weekly(np.asarray(p) + q * np.asarray(adopted_share))


def enrolment_probability(
    base_per_year: float,
    value: np.ndarray,
    out_of_pocket_eur: np.ndarray,
    hours: np.ndarray,
    time_multiplier: np.ndarray,
    far: np.ndarray,
    employer_accepts: np.ndarray,
    *,
    value_weight: float,
    cost_weight_per_100_eur: float,
    time_weight_per_10_hours: float,
    distance_penalty: float,
    employer_support_weight: float,
) -> np.ndarray:
    """Weekly probability that an aware, idle worker enrols in the next module (DESIGN §2)."""
    utility = (
        value_weight * (value - 0.5)
        - cost_weight_per_100_eur * out_of_pocket_eur / 100.0
        - time_weight_per_10_hours * hours / 10.0 * time_multiplier
        - distance_penalty * far
        + employer_support_weight * employer_accepts
    )
    return weekly(base_per_year * np.exp(utility))


def trust_signal(components: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Weighted mean of quality signals in [0, 1]: moderation, verifiability, issuer, peers, experience."""
    total = sum(weights.values())
    if total <= 0:
        return np.zeros_like(next(iter(components.values())))
    out = sum(weights[k] * components[k] for k in weights)
    return np.clip(out / total, 0.0, 1.0)


def trust_update(trust: np.ndarray, signal: np.ndarray, adjust_per_year: float) -> np.ndarray:
    """Move trust toward the signal at a weekly rate from an annual adjustment hazard."""
    rate = weekly(adjust_per_year)
    return (trust + rate * (signal - trust)).astype(np.float32)


def enrolment_bound(
    base_per_year: float,
    value_weight: float,
    value_range: tuple[float, float],
    employer_support_weight: float,
    min_time_term: float,
) -> float:
    """An upper bound of ``enrolment_probability`` over the workers deciding this week.

    Why: drawing the keyed uniform first and evaluating the full rule only where the draw falls
    under this bound gives exactly the same decisions at a fraction of the cost (thinning). The
    bound takes the best value a worker can see this week, no cost, no distance, and the shortest
    module; it must never be below the true probability, or decisions would change.
    """
    lo, hi = value_range
    best_value = value_weight * ((hi if value_weight >= 0 else lo) - 0.5)
    utility = best_value + max(0.0, employer_support_weight) - min_time_term
    return float(weekly(base_per_year * np.exp(utility)))
