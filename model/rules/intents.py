"""What the decisions phase hands to rationing: who wants to train in what, at what cost, funded how."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.rules.funding import Quote
from model.rules.offers import Offer, concat_offers

__all__ = ["Intents"]


@dataclass(frozen=True)
class Intents:
    """One row per learner: a micro-credential enrolment or a place on one of a firm's courses.

    Rows of one firm's training occasion share ``occasion`` (the firm's id) and stand or fall
    together; a worker's own enrolment has ``occasion`` -1.
    """

    offer: Offer
    quote: Quote
    wage_cost: np.ndarray
    sponsored: np.ndarray  # the firm pays (its occasion)
    rpl: np.ndarray
    occasion: np.ndarray

    @property
    def worker(self) -> np.ndarray:
        """The learner of each row."""
        return self.offer.worker

    @property
    def net_cost(self) -> np.ndarray:
        """What the payer (the firm for its occasions, else the learner) still pays after funding."""
        return self.offer.fee + self.wage_cost - self.quote.amount.sum(axis=1)

    def take(self, rows: np.ndarray) -> Intents:
        """The given rows (indices or a mask)."""
        return Intents(
            self.offer.take(rows),
            self.quote.take(rows),
            self.wage_cost[rows],
            self.sponsored[rows],
            self.rpl[rows],
            self.occasion[rows],
        )

    @staticmethod
    def concat(*parts: Intents) -> Intents:
        """Rows of several intents, in order."""
        return Intents(
            concat_offers(*(p.offer for p in parts)),
            Quote.concat(*(p.quote for p in parts)),
            np.concatenate([p.wage_cost for p in parts]),
            np.concatenate([p.sponsored for p in parts]),
            np.concatenate([p.rpl for p in parts]),
            np.concatenate([p.occasion for p in parts]),
        )
