"""The scenario schema: every key a scenario file may hold, its type, range and default.

Why pydantic: it gives, for free, the dotted location of every bad value, which the loader turns into
one message naming the file, the key and what was expected. All models forbid unknown keys and are
frozen, so a run cannot change its own parameters. Units are in the names (``_eur``, ``_days``,
``_per_year``). Rates in scenario files are annual hazards; the rules convert them to weekly
probabilities.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator

from model.instruments import Instrument
from model.instruments.competitive_grant import GrantCall
from model.types import (
    SIZE_BANDS,
    AgeBand,
    Delivery,
    Hazard,
    NonNeg,
    ProviderType,
    Section,
    Share,
    SizeBand,
)

__all__ = [
    "SIZE_BANDS",
    "Scenario",
    "Module",
    "Provider",
    "Instrument",
    "GrantCall",
]


class Region(Section):
    """A region of the country: where firms, workers and providers sit."""

    name: str
    share: Share
    rural: bool = False


class Population(Section):
    """Who is simulated, and the real sector the sample stands for (DESIGN §4 Scale).

    Firms are sampled at the workers' sampling fraction: each simulated firm has its real staff
    count, drawn from its size band, and the simulated firms together employ the simulated
    employed workers. Their number follows from ``workers`` (about ``real_smes × workers ÷
    real_workers``), so it is not set.
    """

    workers: Annotated[int, Field(ge=10, le=50_000_000)] = 2000
    real_workers: Annotated[int, Field(ge=1)] = 19000
    real_smes: Annotated[int, Field(ge=1)] = 5955
    jobseeker_share: Share = 0.05
    size_shares: dict[SizeBand, Share] = Field(
        default_factory=lambda: {"1-5": 0.7, "6-9": 0.15, "10-49": 0.13, "50-249": 0.02}
    )
    women_share_employed: Share = 0.03
    women_share_jobseekers: Share = 0.1
    age_shares: dict[AgeBand, Share] = Field(
        default_factory=lambda: {"16-29": 0.25, "30-49": 0.45, "50+": 0.30}
    )
    caring_share_women: Share = 0.4
    caring_share_men: Share = 0.2
    hv_experience_share: Share = 0.15
    regions: list[Region] = Field(default_factory=lambda: [Region(name="all", share=1.0)])
    ca_coverage: Share = 0.0
    wage_eur_per_hour: NonNeg = 22.0
    hours_per_year: NonNeg = 1650.0
    training_budget_eur_per_employee: NonNeg = 330.0

    @model_validator(mode="before")
    @classmethod
    def _smes_is_derived(cls, data: object) -> object:
        if isinstance(data, dict) and "smes" in data:
            raise ValueError(
                "smes: is no longer set: simulated firms are drawn at the workers' sampling fraction "
                "(each with its real staff count), so their number follows from population.workers, "
                "real_workers and real_smes; remove this key"
            )
        return data

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Population:
        for label, shares in (
            ("size_shares", self.size_shares),
            ("age_shares", self.age_shares),
            ("regions", {r.name: r.share for r in self.regions}),
        ):
            total = sum(shares.values())
            if shares and abs(total - 1.0) > 1e-6:
                raise ValueError(f"{label}: shares must add up to 1, they add up to {total:.4f}")
        return self


class Module(Section):
    """One module of the learning pathway; gateways are prerequisites (DESIGN §2)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: str = ""
    hours: Annotated[float, Field(gt=0.0, le=2000.0)]
    fee_eur: NonNeg
    prerequisites: list[str] = Field(default_factory=list)
    requires_hv_experience: bool = False
    rpl_substitutable: bool = False
    partial: bool = (
        False  # a partial accreditation, valid only within the VET system (Spain's Grade A, L1058)
    )


class Bundle(Section):
    """A certificate made of units: Spain's Grade A units make a Grade B certificate, B units a higher grade.

    ``parts`` are module ids or bundles listed before it; a learner who holds every module of a bundle
    (through its parts) is issued the certificate (report L1018–1027, L1202–1222).
    """

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: str = ""
    grade: Literal["B", "C", "D", "E"]
    parts: Annotated[list[str], Field(min_length=1)]


class Rpl(Section):
    """Recognition of prior learning: substitutes a gateway only with moderated evidence (L417)."""

    enabled: bool = True
    assessment_days: Annotated[float, Field(ge=1.0, le=365.0)] = 14.0
    fee_eur: NonNeg = 0.0
    hours: Annotated[float, Field(gt=0.0, le=200.0)] = 8.0  # learner's time to assemble and present evidence
    competent_share: Share = 0.9  # candidates whose moderated workplace evidence shows real competence
    acceptance_rate: Share = 0.8  # evidence packages the assessor accepts; the others take the course


class Pathway(Section):
    """The stackable modules and their gateways; scenario data, not code."""

    modules: Annotated[list[Module], Field(min_length=1, max_length=8)]
    bundles: Annotated[list[Bundle], Field(max_length=8)] = Field(default_factory=list)
    partial_value: Share = 1.0  # what a partial unit alone is worth to an employer, beside a full one
    bundle_hiring_bonus: NonNeg = 0.0  # extra hiring value of a completed certificate the firm accepts
    rpl: Rpl = Rpl()
    # Share of learners a provider of each type leaves able to do the work (a provider may set its own).
    competence_by_provider_type: dict[ProviderType, Share] = Field(
        default_factory=lambda: {
            "public_vet": 0.85,
            "private": 0.75,
            "oem": 0.9,
            "sector_body": 0.9,
            "hei": 0.85,
        }
    )

    @model_validator(mode="after")
    def _prerequisites_exist(self) -> Pathway:
        ids = [m.id for m in self.modules]
        if len(set(ids)) != len(ids):
            raise ValueError("module ids must be unique")
        for i, m in enumerate(self.modules):
            for p in m.prerequisites:
                if p not in ids[:i]:
                    raise ValueError(f"module '{m.id}': prerequisite '{p}' must be a module listed before it")
        known = set(ids)
        for i, b in enumerate(self.bundles):
            if b.id in known:
                raise ValueError(f"bundles[{i}].id: '{b.id}' is already a module or bundle id")
            for part in b.parts:
                if part not in known:
                    raise ValueError(
                        f"bundles[{i}].parts: '{part}' is not a module or a bundle listed before it"
                    )
            known.add(b.id)
        return self


class Provider(Section):
    """A training provider, or ``count`` identical ones (DESIGN §2 Providers)."""

    name: str
    count: Annotated[int, Field(ge=1, le=10000)] = 1
    type: ProviderType
    region: str
    seats: Annotated[float, Field(ge=0.0)]
    teachers: Annotated[int, Field(ge=0)] = 2
    intake_interval_weeks: Annotated[int, Field(ge=1, le=52)] = 1
    min_cohort: Annotated[int, Field(ge=1)] = 1
    fee_multiplier: NonNeg = 1.0
    delivery: Delivery = "classroom"
    hours_per_week: Annotated[float, Field(gt=0.0, le=60.0)] = 16.0
    assessment: Literal["mcq", "practical"] = "mcq"
    joins_moderation: bool = False
    issues_edc: bool = False
    esco_tagged: bool = False
    modules: list[str] | None = None
    could_teach: list[str] = Field(default_factory=list)  # modules it opens when money allows (grants)
    competence: Share | None = None  # share of its learners able to do the work; None: its type's
    certified: bool = True  # certified trainer (Portugal: DGERT); rules can ask provider.certified


class Supply(Section):
    """How providers decide what to offer, when to run a cohort, their fees and their seats (issue 18).

    A cohort runs when its fees, the grant money the provider holds and its core public funding cover
    the teaching; a provider whose module does not break even over a year stops offering it, and grant
    money opens every module it can teach. Each year fees move toward demand within bounds; each
    quarter a provider whose waiting list persists adds seats if its money allows. Continuous
    admission (individual study paths, L299, L311) starts whoever waits. ``enabled: false`` keeps
    offers, fees and seats as listed.
    """

    enabled: bool = True
    teacher_eur_per_hour: NonNeg = 60.0
    learner_cost_eur: NonNeg = 50.0  # materials and assessment per learner
    edc_cost_eur: NonNeg = 5.0  # issuing one European Digital Credential
    moderation_cost_eur: NonNeg = 40.0  # per learner: preparing assessment evidence for the panel
    core_funding_by_type: dict[ProviderType, Share] = Field(
        default_factory=lambda: {
            "public_vet": 0.6,
            "private": 0.0,
            "oem": 0.3,
            "sector_body": 0.3,
            "hei": 0.6,
        }
    )
    fee_step: Annotated[float, Field(ge=0.0, le=0.5)] = 0.05  # a year's fee change, relative
    fee_min_mult: Annotated[float, Field(gt=0.0, le=1.0)] = 0.7  # bounds of the fee, relative to listed
    fee_max_mult: Annotated[float, Field(ge=1.0, le=5.0)] = 1.5
    queue_ratio_for_seats: NonNeg = 1.0  # average waiting list ÷ seats over a quarter that adds seats
    seat_step: Annotated[float, Field(ge=0.0, le=2.0)] = 0.25
    max_seats_mult: Annotated[float, Field(ge=1.0, le=10.0)] = 3.0


class Moderation(Section):
    """External moderation: panels sit on a cadence and audit sampled assessments (L379, L622–624).

    Panels convened by sector bodies audit sampled assessment artefacts with finite assessor
    capacity; what waits for the next sitting is the backlog. An audit finds a pass that the
    learner's competence does not bear out with ``audit_detection``; the learner is reassessed and
    the provider's published record shows a failed audit.
    """

    required: bool = False
    sampling_rate: Share = 0.2
    assessors: Annotated[int, Field(ge=0)] = 4
    sitting_interval_days: Annotated[int, Field(ge=7, le=365)] = 28
    audits_per_assessor_per_sitting: NonNeg = 12.0
    audit_detection: Share = 0.8
    audit_false_alarm: Share = 0.02
    deterrence: Share = 0.5  # share of false passes a provider stops letting through once it may be audited
    approval_audits: NonNeg = 4.0  # panel capacity one re-approval of renewed content takes, in audits
    reassessment_days: Annotated[float, Field(ge=0.0)] = 21.0
    cost_per_audit_eur: NonNeg = 150.0


class Verification(Section):
    """Authenticity checks of credentials by employers (pilot KPI, L697)."""

    checks_per_holder_per_year: Hazard = 0.5
    infra_failure_rate: Share = 0.02
    metadata_incomplete_rate: Share = 0.05
    paper_success_rate: Share = (
        0.8  # a phone call or e-mail to the issuer answers; short courses are trusted (L435)
    )
    paper_check_days: NonNeg = 5.0  # how long a paper/PDF check takes (an EDC check is instant)
    edc_issue_days: NonNeg = 2.0
    paper_issue_days: NonNeg = 10.0


class Diffusion(Section):
    """Bass awareness diffusion; annual hazards (public-facts §10)."""

    p: Hazard = 0.03
    q: Hazard = 0.38
    worker_p: Hazard = 0.03
    worker_q: Hazard = 0.3
    employer_channel_per_year: Hazard = 1.0
    initial_sme_aware: Share = 0.1
    initial_worker_aware: Share = 0.05


class OutreachTarget(Section):
    """A campaign aimed at a group: a raised external awareness rate, and/or people contacted directly.

    Contacts reach the whole group at random, aware or not, so returns diminish as the group learns
    of micro-credentials: each contact of someone still unaware makes them aware with ``conversion``;
    a contact of someone already aware is spent for nothing. Each contact costs ``cost_eur_per_person``.
    """

    p_multiplier: Annotated[float, Field(ge=1.0, le=100.0)] = 1.0
    cost_eur_per_year: NonNeg = 0.0
    people_per_year: NonNeg = 0.0  # real people (firms, for SMEs) contacted a year
    cost_eur_per_person: NonNeg = 0.0
    conversion: Share = 0.3


class Outreach(Section):
    """Awareness campaigns aimed at SMEs (L1510), women, or rural areas."""

    smes: OutreachTarget = OutreachTarget()
    women: OutreachTarget = OutreachTarget()
    rural: OutreachTarget = OutreachTarget()


class Ev(Section):
    """EV share of a workshop's service mix over time (public-facts §7)."""

    service_share_start: Share = 0.05
    service_share_growth_per_year: Annotated[float, Field(ge=0.0, le=1.0)] = 0.02
    service_share_max: Share = 0.6
    firm_spread: Annotated[float, Field(ge=0.0, le=3.0)] = 0.5


class Course(Section):
    """A kind of training firms buy besides micro-credentials (OEM product courses, safety refreshers...)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: str = ""
    hours: Annotated[float, Field(gt=0.0, le=200.0)]
    cost_eur: NonNeg  # per participant
    value: Annotated[float, Field(ge=-20.0, le=20.0)] = 0.0  # base utility of the course to a firm
    ev_value_weight: Annotated[float, Field(ge=-20.0, le=20.0)] = 0.0  # extra utility per unit of EV share
    group_share: Share = 0.2  # share of the firm's other staff who join the lead participant
    provider_type: ProviderType = "private"
    delivery: Delivery = "classroom"
    certified: bool = True  # its trainer is certified (Portugal: DGERT; rules can ask provider.certified)


class TrainingDuty(Section):
    """A statutory duty to train, as Portugal's Código do Trabalho art. 131 sets it (public-facts §4).

    Every worker is owed ``entitlement_hours_per_year`` of training a year; hours the employer does not
    provide accrue to the worker as a credit (up to ``credit_cap_hours``), which pays the worker's own
    training time. Firms must train at least ``duty_share`` of their staff a year; a firm that acts on
    the duty (``compliance_by_size``, an assumption) weighs training more while it is below the quota.
    """

    entitlement_hours_per_year: NonNeg = 0.0
    duty_share: Share = 0.0
    compliance_by_size: dict[SizeBand, Share] = Field(
        default_factory=lambda: {"1-5": 0.0, "6-9": 0.0, "10-49": 0.0, "50-249": 0.0, "250+": 0.0}
    )
    duty_weight: NonNeg = 2.0
    credit_cap_hours: NonNeg = 120.0


class Training(Section):
    """Firms' whole training: occasions to train, and the choice among courses and micro-credentials.

    A firm meets a training occasion at an annual rate ``occasion_rate_per_year × staff^staff_elasticity``
    scaled by how attractive its options are (a multinomial logit with the outside option of not
    training): each option's utility is its value less its net cost (fees and release time, less
    funding) relative to the firm's training plan, less the share of the firm's working time it
    takes, less any overrun of what is left of the year's plan. A subsidy therefore both adds
    training and shifts it between options (substitution).
    """

    occasion_rate_per_year: Hazard = 0.3
    staff_elasticity: Annotated[float, Field(ge=0.0, le=2.0)] = 0.8
    cost_weight: NonNeg = 1.0
    downtime_weight: NonNeg = 2.0
    overrun_weight: NonNeg = 1.0
    plan_spread: Annotated[float, Field(ge=0.0, le=2.0)] = 0.5  # lognormal sd of firms' training plans
    courses: Annotated[list[Course], Field(max_length=8)] = Field(default_factory=list)
    duty: TrainingDuty = TrainingDuty()

    @model_validator(mode="after")
    def _unique_courses(self) -> Training:
        ids = [c.id for c in self.courses]
        if len(set(ids)) != len(ids):
            raise ValueError("courses: course ids must be unique")
        return self


class Employer(Section):
    """SMEs' view of micro-credentials: the value of sponsoring one, trust and acceptance (DESIGN §2)."""

    mc_value: Annotated[float, Field(ge=-20.0, le=20.0)] = 0.0  # base utility of sponsoring an MC module
    need_weight: NonNeg = 5.0
    need_floor: Share = 0.5  # share of the EV need left when no staff lacks the first gateway
    trust_weight: float = 1.5
    # How employers come to trust micro-credentials: "learning" from evidence (holders' work, their
    # own checks, peers' experience; issue 16), or "signals" (a weighted sum of regional label shares).
    trust_rule: Literal["learning", "signals"] = "learning"
    prior_strength: Annotated[float, Field(gt=0.0, le=1000.0)] = 4.0  # pseudo-observations of the prior
    risk_aversion: NonNeg = 1.0  # posterior sds a belief must clear the threshold by (HV safety, L375)
    wrong_hire_cost_ratio: NonNeg = 1.0  # cost of a wrong hire ÷ gain of a right one: threshold r/(1+r)
    observations_per_holder_per_year: Hazard = 2.0  # times a firm sees a holder's work on a credential
    good_if_competent: Share = 0.95
    good_if_not_competent: Share = 0.3
    failed_check_weight: NonNeg = 0.5  # a check that cannot verify a credential, as bad observations
    peer_weight: NonNeg = 0.02  # weight another firm of the region gives an observation it hears of
    reputation_report_weight: NonNeg = 0.2  # weight of one holder's reported work in a provider's record
    initial_trust_mean: Share = 0.35
    initial_trust_sd: Annotated[float, Field(ge=0.0, le=1.0)] = 0.12
    acceptance_threshold_mean: Share = 0.45
    acceptance_threshold_sd: Annotated[float, Field(ge=0.0, le=1.0)] = 0.12
    trust_adjust_per_year: Hazard = 1.0
    signal_weight_moderated: NonNeg = 0.3
    signal_weight_verifiable: NonNeg = 0.2
    signal_weight_issuer: NonNeg = 0.2
    signal_weight_peers: NonNeg = 0.2
    signal_weight_experience: NonNeg = 0.1
    prior_quality: Share = 0.4
    experience_step: Share = 0.3  # weight of one week's checks in a firm's running verification experience
    issuer_quality: dict[ProviderType, Share] = Field(
        default_factory=lambda: {
            "public_vet": 0.6,
            "private": 0.4,
            "oem": 0.8,
            "sector_body": 0.8,
            "hei": 0.6,
        }
    )
    design_group_join_per_year: Hazard = 0.05


class Worker(Section):
    """Worker enrolment, dropout and assessment (DESIGN §2 Workers)."""

    enrol_rate_per_year: Hazard = 0.3
    value_weight: float = 2.0
    cost_weight_per_100_eur: NonNeg = 0.6
    time_weight_per_10_hours: NonNeg = 0.1
    caring_time_multiplier: Annotated[float, Field(ge=1.0, le=10.0)] = 2.0  # >= 1: caring never saves time
    distance_penalty: NonNeg = 0.8
    flexible_delivery_relief: Share = 0.7
    employer_support_weight: float = 0.5
    jobseeker_value_bonus: float = 0.5
    hiring_value_per_weight: NonNeg = 0.25  # value of acceptance in hiring, per unit of hiring weight
    bundle_value_weight: NonNeg = 0.0  # value of a unit for the share of its certificate it completes
    reimbursement_discount_per_month: NonNeg = 0.1  # how much less a refund is worth per month of waiting
    dropout_per_year: Hazard = 1.0
    caring_dropout_multiplier: NonNeg = 1.5
    flexible_dropout_relief: Share = 0.0  # share of caring's extra dropout that flexible delivery removes
    role_model_awareness: NonNeg = 0.0  # women's awareness rate rises by this x women's regional share
    role_model_value: NonNeg = (
        0.0  # value to a woman of a credential, x women's share of the region's learners
    )
    waitlist_exit_per_year: Hazard = 1.0
    pass_if_competent: Share = 0.95
    false_pass_mcq: Share = 0.5  # learners not yet competent who still pass a multiple-choice test
    false_pass_practical: Share = 0.1  # ... who pass a task-based practical assessment (L1264–1268)
    retake_days: NonNeg = 21.0


class Fees(Section):
    """Fee levels: ``multiplier`` scales every module fee (L608, L1282)."""

    multiplier: Annotated[float, Field(ge=0.0, le=20.0)] = 1.0


class Funding(Section):
    """Funding instruments; list order is the precedence when they stack."""

    instruments: list[Instrument] = Field(default_factory=list, max_length=8)

    @model_validator(mode="after")
    def _unique_ids(self) -> Funding:
        ids = [i.id for i in self.instruments]
        if len(set(ids)) != len(ids):
            raise ValueError("instrument ids must be unique")
        return self


class Inflow(Section):
    """A stream of people entering the sector's labour pool (they arrive as jobseekers)."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    per_year: NonNeg  # real people per year
    weeks: list[Annotated[int, Field(ge=0, le=51)]] | None = None  # weeks of the year; None: all year
    women_share: Share = 0.03
    age_shares: dict[AgeBand, Share] = Field(default_factory=lambda: {"16-29": 1.0})
    hv_experience_share: Share = 0.0
    aware_share: Share = 0.1
    outreach_to_women: bool = False  # whether flows.women_inflow_multiplier applies

    @model_validator(mode="after")
    def _age_shares_sum_to_one(self) -> Inflow:
        total = sum(self.age_shares.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"age_shares: shares must add up to 1, they add up to {total:.4f}")
        return self


class Flows(Section):
    """Labour-market flows: entries, exits, firm turnover and hiring (DESIGN §4)."""

    enabled: bool = False
    inflows: list[Inflow] = Field(default_factory=list)
    retirement_per_year_50_plus: Hazard = 0.06
    exit_per_year: Hazard = 0.03
    jobseeker_exit_per_year: Hazard = 0.3
    ageing_per_year: Hazard = 0.05
    firm_closure_per_year: Hazard = 0.03
    firm_entry_per_year: Hazard = 0.03
    vacancy_per_employee_per_year: Hazard = 0.1
    vacancy_ev_growth: NonNeg = 0.5
    max_open_vacancies: Annotated[int, Field(ge=1, le=100)] = 3
    search_per_year: Hazard = 12.0
    credential_hiring_weight: NonNeg = 1.0
    women_inflow_multiplier: Annotated[float, Field(ge=0.0, le=20.0)] = 1.0
    # Employers' hiring preference: firms not open to women count a woman applicant this much less
    # (log-odds); an accepted credential offsets that share of the penalty.
    women_hiring_penalty: NonNeg = 0.0
    firms_open_to_women: Share = 1.0
    credential_offsets_penalty: Share = 0.0
    exit_multiplier_women: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0  # women's hazard of leaving

    @model_validator(mode="after")
    def _unique_streams(self) -> Flows:
        names = [i.name for i in self.inflows]
        if len(set(names)) != len(names):
            raise ValueError("inflows: stream names must be unique")
        return self


class Content(Section):
    """Technology and standards change, and how providers renew module content (agility).

    Change events make part of a module's learning outcomes out of date (OEM procedures, SFS 6002:2025,
    ADAS calibration). Providers renew in fixed annual review windows (L690), on triggers from
    skills-intelligence signals (L550), or in full curriculum cycles (L1096). A renewed module whose
    assessments are moderated must be approved again before it is issued under the moderated label.
    """

    enabled: bool = False
    change_per_year: dict[str, Hazard] = Field(default_factory=dict)  # module id -> change events/yr
    renewal: Literal["window", "trigger", "cycle"] = "window"
    window_weeks: list[Annotated[int, Field(ge=0, le=51)]] = Field(default_factory=lambda: [10])
    trigger_detect_days: Annotated[float, Field(ge=0.0, le=3650.0)] = 60.0
    cycle_years: Annotated[float, Field(gt=0.0, le=20.0)] = 5.0
    renewal_days: Annotated[float, Field(ge=0.0, le=3650.0)] = 45.0
    employer_validation_days: Annotated[float, Field(ge=0.0, le=365.0)] = 20.0
    renewal_cost_eur: NonNeg = 3000.0
    signal_weight_current: NonNeg = 0.2
    stale_value_weight: NonNeg = 0.5


class Scenario(Section):
    """A whole scenario: a country preset or a policy variant that ``extends:`` one."""

    name: str
    description: str = ""
    country: Literal["FI", "ES", "PT", "EU"]
    preset: bool = False
    start_date: dt.date = dt.date(2026, 1, 5)
    horizon_weeks: Annotated[int, Field(ge=1, le=2600)] = 260
    population: Population = Population()
    pathway: Pathway
    providers: Annotated[list[Provider], Field(min_length=1)]
    moderation: Moderation = Moderation()
    verification: Verification = Verification()
    diffusion: Diffusion = Diffusion()
    outreach: Outreach = Outreach()
    ev: Ev = Ev()
    employer: Employer = Employer()
    worker: Worker = Worker()
    fees: Fees = Fees()
    supply: Supply = Supply()
    training: Training = Training()
    funding: Funding = Funding()
    flows: Flows = Flows()
    content: Content = Content()

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        regions = {r.name for r in self.population.regions}
        modules = {m.id for m in self.pathway.modules}
        for m in self.content.change_per_year:
            if m not in modules:
                raise ValueError(f"content.change_per_year: '{m}' is not a module id of the pathway")
        for i, p in enumerate(self.providers):
            if p.region not in regions:
                raise ValueError(
                    f"providers[{i}].region: '{p.region}' is not one of the regions {sorted(regions)}"
                )
            for m in p.modules or []:
                if m not in modules:
                    raise ValueError(f"providers[{i}].modules: '{m}' is not a module id of the pathway")
            for m in p.could_teach:
                if m not in modules:
                    raise ValueError(f"providers[{i}].could_teach: '{m}' is not a module id of the pathway")
        return self
