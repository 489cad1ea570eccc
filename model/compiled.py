"""Scenario parameters turned into the arrays and constants the rules use.

Why a compiled form: rules take plain arrays (module hours, prerequisite bit masks, weekly
probabilities), never the nested scenario. Unit conversions happen here once: annual hazards to
weekly probabilities, real euros and seats to the simulated sample (DESIGN §4 Scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.eligibility import Rule, parse
from model.instruments import KINDS, InstrumentKind
from model.params.schema import Instrument, Scenario
from model.rules.firm_sizes import StaffDistribution, staff_distribution
from model.types import AGE_BANDS, ASSESSMENTS, BANDS, DELIVERIES, PTYPES, SIZE_BANDS

__all__ = [
    "Compiled",
    "InstrumentSpec",
    "compile_scenario",
    "weekly",
    "PTYPES",
    "DELIVERIES",
    "ASSESSMENTS",
    "BANDS",
    "AGE_BANDS",
    "TRIGGERS",
]

TRIGGERS = ("enrolment", "completion", "credential")
DAYS_PER_YEAR = 365.25


def weekly(hazard_per_year: float | np.ndarray) -> float | np.ndarray:
    """Probability of at least one event in a week, from an annual hazard (DESIGN §4 Time)."""
    if isinstance(hazard_per_year, float | int):  # scalars are most calls: skip NumPy's overhead
        return 1.0 - math.exp(-hazard_per_year * 7.0 / DAYS_PER_YEAR)
    return 1.0 - np.exp(-np.asarray(hazard_per_year) * 7.0 / DAYS_PER_YEAR)


@dataclass(frozen=True)
class InstrumentSpec:
    """One funding instrument in array-ready form."""

    index: int
    id: str
    kind: str
    impl: InstrumentKind  # what the kind does (model.instruments)
    rule: Rule
    fee_coverage: float
    wage_coverage: float
    cap_eur: float
    trigger: int  # 1 enrolment, 2 completion, 3 credential (the worker's stage that pays)
    payee: str
    config: Instrument

    @property
    def owner(self) -> str:
        """Whose pool pays: global (the funder), firm, provider or worker."""
        return self.impl.owner


@dataclass(frozen=True)
class Compiled:
    """Everything the rules need from a scenario, with units converted."""

    cfg: Scenario
    w_scale: float  # real workers per simulated worker (people and euros)
    f_scale: float  # real SMEs per simulated SME: the same sampling fraction as workers
    staff: StaffDistribution  # staff counts of firms within their size bands
    n_modules: int
    module_ids: tuple[str, ...]
    hours: np.ndarray
    fee: np.ndarray
    prereq: np.ndarray  # uint8 bit mask of prerequisite modules
    needs_hv: np.ndarray
    rpl_sub: np.ndarray
    partial: np.ndarray  # modules that are partial accreditations (valid only within the VET system)
    bundle_masks: np.ndarray  # uint8 per bundle: the modules it takes (parts flattened), bit mask
    module_bundle: np.ndarray  # per module: the first bundle it is part of, or -1
    region_names: tuple[str, ...]
    region_rural: np.ndarray
    instruments: tuple[InstrumentSpec, ...]
    start_ordinal: int  # date.toordinal() of day 0

    @property
    def n_instruments(self) -> int:
        """Number of funding instruments (width of per-instrument arrays, at least 1)."""
        return max(1, len(self.instruments))

    def ev_share(self, step: int) -> float:
        """National EV share of the service mix in a given week."""
        ev = self.cfg.ev
        years = step * 7.0 / DAYS_PER_YEAR
        return min(ev.service_share_max, ev.service_share_start + ev.service_share_growth_per_year * years)

    def day0(self, step: int) -> int:
        """First day of a week (days since ``start_date``)."""
        return step * 7

    def year_of(self, step: int) -> int:
        """Calendar year of a week's first day."""
        import datetime as dt

        return dt.date.fromordinal(self.start_ordinal + step * 7).year


def _instrument(i: int, inst: Instrument) -> InstrumentSpec:
    trigger = {"enrolment": 1, "completion": 2, "credential": 3}[inst.trigger]
    cap = float("inf") if inst.cap_eur_per_learner is None else float(inst.cap_eur_per_learner)
    return InstrumentSpec(
        index=i,
        id=inst.id,
        kind=inst.kind,
        impl=KINDS[inst.kind],
        rule=parse(inst.eligibility),
        fee_coverage=inst.fee_coverage,
        wage_coverage=inst.wage_coverage,
        cap_eur=cap,
        trigger=trigger,
        payee=inst.payee,
        config=inst,
    )


def compile_scenario(cfg: Scenario) -> Compiled:
    """Convert a validated scenario into rule-ready arrays."""
    mods = cfg.pathway.modules
    ids = tuple(m.id for m in mods)
    masks: dict[str, int] = {m: 1 << i for i, m in enumerate(ids)}
    for b in cfg.pathway.bundles:  # parts are modules or bundles listed before: flatten in order
        masks[b.id] = 0
        for part in b.parts:
            masks[b.id] |= masks[part]
    bundle_masks = np.array([masks[b.id] for b in cfg.pathway.bundles], dtype=np.uint8)
    module_bundle = np.array(
        [next((j for j, mb in enumerate(bundle_masks) if mb >> i & 1), -1) for i in range(len(ids))],
        dtype=np.int64,
    )
    prereq = np.zeros(len(mods), dtype=np.uint8)
    for i, m in enumerate(mods):
        for p in m.prerequisites:
            prereq[i] |= np.uint8(1 << ids.index(p))
    pop = cfg.population
    w_scale = pop.real_workers / pop.workers
    shares = np.array([pop.size_shares.get(b, 0.0) for b in BANDS])
    real_mean_staff = pop.real_workers * (1.0 - pop.jobseeker_share) / pop.real_smes
    return Compiled(
        cfg=cfg,
        w_scale=w_scale,
        f_scale=w_scale,
        staff=staff_distribution([SIZE_BANDS[b] for b in BANDS], shares, real_mean_staff),
        n_modules=len(mods),
        module_ids=ids,
        hours=np.array([m.hours for m in mods], dtype=np.float64),
        fee=np.array([m.fee_eur for m in mods], dtype=np.float64) * cfg.fees.multiplier,
        prereq=prereq,
        needs_hv=np.array([m.requires_hv_experience for m in mods], dtype=bool),
        rpl_sub=np.array([m.rpl_substitutable for m in mods], dtype=bool),
        partial=np.array([m.partial for m in mods], dtype=bool),
        bundle_masks=bundle_masks,
        module_bundle=module_bundle,
        region_names=tuple(r.name for r in pop.regions),
        region_rural=np.array([r.rural for r in pop.regions], dtype=bool),
        instruments=tuple(_instrument(i, inst) for i, inst in enumerate(cfg.funding.instruments)),
        start_ordinal=cfg.start_date.toordinal(),
    )
