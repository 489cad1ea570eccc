"""Scenario loading: extends chains, deep merges, provenance, --set overrides and error messages.

Every bad input is a small YAML file in ``tmp_path``; most ``extends:`` the real Finland baseline by
absolute path, so the tests exercise the same merge the policy scenarios use.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from model.params import LoadedScenario, ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[3]
FI = ROOT / "scenarios" / "fi" / "preset.yaml"  # the single-file preset (baseline.yaml extends it)


@pytest.fixture(scope="module")
def fi() -> LoadedScenario:
    return load_scenario(FI)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@cache
def p1() -> str:
    """The name of the baseline's second provider (the tests do not pin the data)."""
    return load_scenario(FI).config.providers[1].name


def child(tmp_path: Path, body: str, name: str = "child.yaml") -> Path:
    """A scenario that extends the real FI baseline by absolute path; @P1@ names providers[1]."""
    body = body.replace("@P1@", p1())
    return write(tmp_path, name, f"extends: {FI}\nname: child\n{body}")


def load_error(path: Path, overrides: list[str] | None = None) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return str(info.value)


def assert_names(message: str, file: Path | str, key: str, *expected: str) -> None:
    """The message names the file, the dotted key and what was expected."""
    assert str(Path(file).resolve()) in message or str(file) in message, message
    assert key in message, message
    for fragment in expected:
        assert fragment.lower() in message.lower(), message


# --- the real baseline ---------------------------------------------------------------------------


def test_fi_baseline_loads(fi: LoadedScenario) -> None:
    cfg = fi.config
    assert cfg.country == "FI"
    assert cfg.preset is True
    assert len(cfg.providers) >= 2
    assert len(cfg.pathway.modules) >= 3
    assert fi.chain == (str(FI.resolve()),)
    assert fi.assumption_count() > 0


KINDS = {"report", "public", "source", "lever", "calibrated", "assumption", "default"}
DESCRIPTIVE = {"name", "description", "preset", "country"}  # labels, exempt from provenance


def test_fi_baseline_every_value_has_provenance(fi: LoadedScenario) -> None:
    assert len(fi.provenance) > 100
    for key, prov in fi.provenance.items():
        assert fi.origin[key] == str(FI.resolve())
        if key.rsplit(".", 1)[-1] in DESCRIPTIVE:
            continue
        assert prov.kind in KINDS, (key, prov)
        assert prov.text, key
        if prov.kind == "assumption" and prov.range is not None:
            lo, hi = prov.range
            assert lo <= hi, key


def test_hash_is_stable_across_loads(fi: LoadedScenario) -> None:
    again = load_scenario(FI)
    assert isinstance(fi.hash, str) and fi.hash
    assert again.hash == fi.hash
    assert load_scenario(str(FI)).hash == fi.hash


def test_hash_depends_on_values_not_on_provenance(fi: LoadedScenario) -> None:
    # Same value, different provenance (override instead of lever): same parameters, same hash.
    assert load_scenario(FI, ["fees.multiplier=1.0"]).hash == fi.hash
    assert load_scenario(FI, ["fees.multiplier=1.5"]).hash != fi.hash
    assert load_scenario(FI, ["population.workers=2001"]).hash != fi.hash


def test_hash_changes_when_a_child_changes_a_value(tmp_path: Path) -> None:
    a = load_scenario(child(tmp_path, "moderation:\n  sampling_rate: 0.2\n", "a.yaml"))
    b = load_scenario(child(tmp_path, "moderation:\n  sampling_rate: 0.3\n", "b.yaml"))
    assert a.hash != b.hash


def test_overrides_do_not_leak_into_later_loads(fi: LoadedScenario) -> None:
    load_scenario(FI, ["population.workers=123", "providers[0].seats=99"])
    again = load_scenario(FI)
    assert again.config.population.workers == fi.config.population.workers
    assert again.config.providers[0].seats == fi.config.providers[0].seats
    assert again.hash == fi.hash


# --- --set overrides ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "get", "expected"),
    [
        ("population.workers=5000", lambda c: c.population.workers, 5000),
        ("fees.multiplier=1.5", lambda c: c.fees.multiplier, 1.5),
        ("moderation.required=true", lambda c: c.moderation.required, True),
        ("moderation.sampling_rate=0.35", lambda c: c.moderation.sampling_rate, 0.35),
        ("diffusion.p=0.01", lambda c: c.diffusion.p, 0.01),
        ("diffusion.q=0.5", lambda c: c.diffusion.q, 0.5),
        ("horizon_weeks=52", lambda c: c.horizon_weeks, 52),
        ("providers[0].seats=30", lambda c: c.providers[0].seats, 30),
        ("providers[2].seats=3", lambda c: c.providers[2].seats, 3),
        ("pathway.modules[1].fee_eur=1234", lambda c: c.pathway.modules[1].fee_eur, 1234),
    ],
)
def test_set_override(fi: LoadedScenario, override: str, get, expected) -> None:
    assert get(fi.config) != expected  # the override really changes something
    loaded = load_scenario(FI, [override])
    assert get(loaded.config) == expected
    key = override.partition("=")[0]
    assert loaded.provenance[key].kind == "override"


def test_set_list_index_changes_only_that_item(fi: LoadedScenario) -> None:
    loaded = load_scenario(FI, ["providers[1].seats=40"])
    before, after = fi.config.providers, loaded.config.providers
    assert after[1].seats == 40
    assert after[1].model_copy(update={"seats": before[1].seats}) == before[1]
    assert [p for i, p in enumerate(after) if i != 1] == [p for i, p in enumerate(before) if i != 1]


def test_set_beats_child_file_and_last_set_wins(tmp_path: Path) -> None:
    path = child(tmp_path, "fees:\n  multiplier: 2.0\n")
    assert load_scenario(path).config.fees.multiplier == 2.0
    loaded = load_scenario(path, ["fees.multiplier=3.0", "fees.multiplier=4.0"])
    assert loaded.config.fees.multiplier == 4.0


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("fees.multiplier", "dotted.key=value"),
        ("=3", "empty"),
        ("providers[99].seats=3", "providers"),
        ("fees.multiplier.x=3", "fees.multiplier.x"),
    ],
)
def test_bad_set_syntax_or_path(override: str, fragment: str) -> None:
    message = load_error(FI, [override])
    assert "--set" in message
    assert fragment in message


@pytest.mark.parametrize(
    ("override", "key", "fragment"),
    [
        ("moderation.sampling_rte=0.3", "moderation.sampling_rte", "unknown key"),
        ("moderation.sampling_rate=1.5", "moderation.sampling_rate", "less than or equal to 1"),
        ("population.workers=many", "population.workers", "integer"),
        ("providers[0].seats=-1", "providers[0].seats", "greater than or equal to 0"),
    ],
)
def test_bad_set_value_names_key_and_reason(override: str, key: str, fragment: str) -> None:
    message = load_error(FI, [override])
    assert "--set" in message
    assert key in message
    assert fragment in message


# --- bad input: each a ScenarioError naming the file, the dotted key and the reason --------------


def test_unknown_key(tmp_path: Path) -> None:
    path = child(tmp_path, "moderation:\n  sampling_rte: 0.3\n")
    assert_names(load_error(path), path, "moderation.sampling_rte", "unknown key")


def test_unknown_key_in_a_list_item(tmp_path: Path) -> None:
    path = child(tmp_path, "providers:\n  - {name: @P1@, seets: 3}\n")
    assert_names(load_error(path), path, "providers[1].seets", "unknown key")


def test_unknown_section(tmp_path: Path) -> None:
    path = child(tmp_path, "moderaton:\n  required: true\n")
    assert_names(load_error(path), path, "moderaton", "unknown key")


@pytest.mark.parametrize(
    ("body", "key", "expected"),
    [
        ("population:\n  workers: many\n", "population.workers", "integer"),
        ("moderation:\n  required: maybe\n", "moderation.required", "boolean"),
        ("fees:\n  multiplier: [1, 2]\n", "fees.multiplier", "number"),
        ("horizon_weeks: 1.5\n", "horizon_weeks", "integer"),
        ("start_date: soon\n", "start_date", "date"),
        ("providers:\n  - {name: @P1@, seats: lots}\n", "providers[1].seats", "number"),
    ],
)
def test_wrong_type(tmp_path: Path, body: str, key: str, expected: str) -> None:
    path = child(tmp_path, body)
    assert_names(load_error(path), path, key, expected)


@pytest.mark.parametrize(
    ("body", "key", "expected"),
    [
        ("moderation:\n  sampling_rate: 1.5\n", "moderation.sampling_rate", "less than or equal"),
        ("diffusion:\n  p: -0.1\n", "diffusion.p", "greater than or equal"),
        ("horizon_weeks: 0\n", "horizon_weeks", "greater than or equal"),
        ("population:\n  workers: 5\n", "population.workers", "greater than or equal"),
        ("fees:\n  multiplier: 25\n", "fees.multiplier", "less than or equal"),
        ("providers:\n  - {name: @P1@, type: university}\n", "providers[1].type", "public_vet"),
    ],
)
def test_out_of_range(tmp_path: Path, body: str, key: str, expected: str) -> None:
    path = child(tmp_path, body)
    message = load_error(path)
    assert_names(message, path, key, expected)


def test_out_of_range_message_shows_the_bad_value(tmp_path: Path) -> None:
    path = child(tmp_path, "moderation:\n  sampling_rate: 1.5\n")
    assert "1.5" in load_error(path)


@pytest.mark.parametrize(
    "body",
    [
        "fees:\n  multiplier: true\n",
        "moderation:\n  sampling_rate: on\n",
        "moderation:\n  required: 1\n",
    ],
)
def test_wrong_type_bool_vs_number_is_rejected(tmp_path: Path, body: str) -> None:
    path = child(tmp_path, body)
    load_error(path)


def test_missing_extends_target(tmp_path: Path) -> None:
    path = write(tmp_path, "orphan.yaml", "extends: no_such_parent.yaml\nname: x\n")
    assert_names(load_error(path), path, "extends", "no_such_parent.yaml", "does not exist")


def test_extends_must_be_a_path(tmp_path: Path) -> None:
    path = write(tmp_path, "bad_extends.yaml", "extends: [a.yaml]\nname: x\n")
    assert_names(load_error(path), path, "extends", "path")


def test_extends_cycle(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    b = write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\n")
    message = load_error(a)
    assert_names(message, a, "extends", "cycle")
    assert str(b.resolve()) in message


def test_extends_self_cycle(tmp_path: Path) -> None:
    a = write(tmp_path, "self.yaml", "extends: self.yaml\nname: a\n")
    assert_names(load_error(a), a, "extends", "cycle")


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "name: x\ncountry: FI\n\tbad: 1\n")
    message = load_error(path)
    assert str(path) in message
    assert "line 3" in message


def test_invalid_yaml_in_a_parent_names_the_parent(tmp_path: Path) -> None:
    parent = write(tmp_path, "parent.yaml", "name: p\ncountry: FI\nproviders: [a, b\nx: 1\n")
    kid = write(tmp_path, "kid.yaml", "extends: parent.yaml\nname: k\n")
    message = load_error(kid)
    assert str(parent.resolve()) in message
    assert re.search(r"line \d+", message)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "list.yaml", "- 1\n- 2\n")
    message = load_error(path)
    assert str(path) in message and "mapping" in message


def test_empty_file_lists_required_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.yaml", "")
    message = load_error(path)
    for key in ("name", "country", "pathway", "providers"):
        assert f"{path.resolve()}: {key}: required key is missing" in message


def test_preset_value_without_provenance(tmp_path: Path) -> None:
    path = child(tmp_path, "preset: true\nmoderation:\n  sampling_rate: 0.3\n")
    assert_names(load_error(path), path, "moderation.sampling_rate", "provenance")


def test_preset_with_provenance_on_every_value_loads(tmp_path: Path) -> None:
    body = (
        "preset: true\nmoderation:\n"
        "  sampling_rate: {value: 0.3, assumption: 'panel sample', range: [0.1, 0.5]}\n"
    )
    loaded = load_scenario(child(tmp_path, body))
    assert loaded.config.preset is True
    assert loaded.config.moderation.sampling_rate == 0.3


def test_child_does_not_inherit_preset(tmp_path: Path) -> None:
    loaded = load_scenario(child(tmp_path, "moderation:\n  sampling_rate: 0.3\n"))
    assert loaded.config.preset is False


def test_assumption_without_range(tmp_path: Path) -> None:
    path = child(tmp_path, "moderation:\n  sampling_rate: {value: 0.3, assumption: guess}\n")
    assert_names(load_error(path), path, "moderation.sampling_rate", "range")


def test_assumption_outside_its_range(tmp_path: Path) -> None:
    body = "moderation:\n  sampling_rate: {value: 0.9, assumption: guess, range: [0.1, 0.5]}\n"
    path = child(tmp_path, body)
    assert_names(load_error(path), path, "moderation.sampling_rate", "outside its range")


def test_assumption_range_upside_down(tmp_path: Path) -> None:
    body = "moderation:\n  sampling_rate: {value: 0.3, assumption: guess, range: [0.5, 0.1]}\n"
    path = child(tmp_path, body)
    assert_names(load_error(path), path, "moderation.sampling_rate", "range")


@pytest.mark.parametrize(
    ("body", "key", "fragment"),
    [
        (  # a table of magnitudes
            "employer:\n  downtime_by_size:\n    value: {'1-5': 1.0, '6-9': 0.5}\n    assumption: guess\n",
            "employer.downtime_by_size",
            "factor",
        ),
        (  # a share table
            "population:\n  age_shares: {value: {'16-29': 0.5, '30-49': 0.5}, assumption: guess}\n",
            "population.age_shares",
            "exponent",
        ),
        (  # records: provider seats
            "providers:\n  value:\n    - {name: x, type: private, region: uusimaa, seats: 5}\n"
            "  assumption: guess\n",
            "providers",
            "seats",
        ),
    ],
)
def test_table_assumption_without_range(tmp_path: Path, body: str, key: str, fragment: str) -> None:
    path = child(tmp_path, body)
    assert_names(load_error(path), path, key, "needs a plausible range", fragment)


def test_tables_without_numbers_to_act_on_need_no_range(tmp_path: Path) -> None:
    # names only; calendar weeks; a single share (tempering cannot change it)
    body = (
        "flows:\n  inflows:\n"
        "    - name: {value: vet_graduates, source: report L293}\n"
        "      weeks: {value: [20, 21], assumption: school year}\n"
        "      age_shares: {value: {'16-29': 1.0}, assumption: young}\n"
        # a number with its own provenance inside the table is not the table's
        "providers:\n  value:\n    - {name: x, type: private, region: uusimaa, "
        "seats: {value: 5, source: report L1}}\n  assumption: who teaches\n"
    )
    loaded = load_scenario(child(tmp_path, body))
    assert loaded.config.flows.inflows[0].weeks == [20, 21]
    assert not [k for k in loaded.tables() if k.startswith(("providers", "flows.inflows[0]."))]


@pytest.mark.parametrize(
    ("body", "key", "fragment"),
    [
        ("employer:\n  issuer_quality: {value: {oem: 0.9}, assumption: g, range: [2, 3]}\n", "quality", "1"),
        ("employer:\n  issuer_quality: {value: {oem: 0.9}, assumption: g, range: [0, 2]}\n", "quality", "<="),
        (  # a range with nothing to act on
            "flows:\n  inflows:\n    - name: {value: vet_graduates, source: report L293}\n"
            "      weeks: {value: [20, 21], assumption: school year, range: [0.5, 2]}\n",
            "flows.inflows[0].weeks",
            "drop the range",
        ),
        ("moderation:\n  required: {value: true, assumption: g, range: [0, 1]}\n", "required", "range"),
    ],
)
def test_bad_table_ranges(tmp_path: Path, body: str, key: str, fragment: str) -> None:
    path = child(tmp_path, body)
    assert_names(load_error(path), path, key, fragment)


def test_table_leaves_know_their_table_after_a_keyed_merge(tmp_path: Path) -> None:
    # the child's instrument list holds one item, merged after the baseline's: its index changes
    body = (
        "funding:\n  instruments:\n    - id: grant\n      kind: competitive_grant\n      calls:\n"
        "        value:\n          - {open_week: 16, budget_eur: 1000}\n"
        "        assumption: guess\n        range: [0.5, 2]\n"
    )
    loaded = load_scenario(child(tmp_path, body))
    n = len(loaded.config.funding.instruments) - 1
    tables = loaded.tables()
    assert [k for k in tables if k.startswith("funding")] == [f"funding.instruments[{n}].calls"]
    prov, leaves = tables[f"funding.instruments[{n}].calls"]
    assert prov.table_range == (0.5, 2.0) and prov.range is None  # no scalar range for other tools
    assert f"funding.instruments[{n}].calls[0].budget_eur" in leaves


def test_range_on_a_source_is_rejected(tmp_path: Path) -> None:
    body = "moderation:\n  sampling_rate: {value: 0.3, source: 'report L379', range: [0.1, 0.5]}\n"
    path = child(tmp_path, body)
    assert_names(load_error(path), path, "moderation.sampling_rate", "range")


def test_wrapper_with_two_tags_is_rejected(tmp_path: Path) -> None:
    body = "moderation:\n  sampling_rate: {value: 0.3, source: a, assumption: b}\n"
    path = child(tmp_path, body)
    assert_names(load_error(path), path, "moderation.sampling_rate", "exactly one")


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("worker.salary > 3", "unknown attribute 'worker.salary'"),
        ("worker.woman and", "syntax error"),
        ("__import__('os')", "not allowed"),
        ("worker.gender == 'x'", "never 'x'"),
    ],
)
def test_bad_eligibility_rule(tmp_path: Path, rule: str, expected: str) -> None:
    body = f'funding:\n  instruments:\n    - {{id: vouch, kind: voucher, eligibility: "{rule}"}}\n'
    path = child(tmp_path, body)
    assert_names(load_error(path), path, "funding.instruments[0].eligibility", expected)


def test_good_eligibility_rule_loads(tmp_path: Path) -> None:
    rule = 'firm.size <= 49 and (worker.gender == \\"f\\" or worker.jobseeker)'
    body = f'funding:\n  instruments:\n    - {{id: vouch, kind: voucher, eligibility: "{rule}"}}\n'
    loaded = load_scenario(child(tmp_path, body))
    assert loaded.config.funding.instruments[0].eligibility.startswith("firm.size <= 49")


def test_cross_reference_error_names_file_and_key(tmp_path: Path) -> None:
    path = child(tmp_path, "providers:\n  - {name: @P1@, region: nowhere}\n")
    assert_names(load_error(path), path, "providers[1].region", "nowhere")


def test_shares_error_names_the_child_file_and_dotted_key(tmp_path: Path) -> None:
    body = "population:\n  size_shares: {'1-5': 0.5, '6-9': 0.1, '10-49': 0.1, '50-249': 0.1}\n"
    path = child(tmp_path, body)
    message = load_error(path)
    assert "add up to 1" in message
    assert_names(message, path, "population.size_shares")


def test_inflow_age_shares_must_add_up_to_one(tmp_path: Path) -> None:
    """A shortfall would silently go to 50+ and a table range would then move it (tempering renormalises)."""
    body = "flows:\n  inflows:\n    - {name: vet_graduates, age_shares: {'16-29': 0.6, '30-49': 0.3}}\n"
    path = child(tmp_path, body)
    message = load_error(path)
    assert "add up to 1" in message and "0.9000" in message
    assert_names(message, path, "flows.inflows[0]")


# --- provenance ----------------------------------------------------------------------------------
#
# Kinds are checked on values the tests write themselves, so they do not pin the baseline's data.

KIND_BODY = """\
start_date: {value: 2026-02-02, source: "report L688-690: pilot from 2026"}
horizon_weeks: {value: 200, assumption: "long enough", range: [104, 520]}
population:
  real_workers: {value: 19001, source: "public-facts §6: about 19,000"}
  jobseeker_share: {value: 0.1, source: "L901: south savo"}
  workers: 2500
moderation:
  required: {value: true, source: "report L307"}
  sampling_rate: {value: 0.3, calibrated: "targets.yaml 2026-01-01 loss 0.1"}
  assessors: {value: 5, source: "panel size from a workshop note"}
fees:
  multiplier: {value: 0.5, source: "lever: half fees"}
outreach:
  value:
    smes: {p_multiplier: 2.0, cost_eur_per_year: 1000.0}
    women: {p_multiplier: 3.0}
  source: "lever: campaigns"
employer:
  issuer_quality:
    value: {public_vet: 0.5, private: 0.5, oem: 0.9, sector_body: 0.9, hei: 0.5}
    assumption: "issuer standing"
    range: [0.8, 1.2]
"""


@pytest.fixture(scope="module")
def kinds(tmp_path_factory) -> LoadedScenario:
    path = child(tmp_path_factory.mktemp("kinds"), KIND_BODY)
    return load_scenario(path, ["diffusion.q=0.5", "providers[0].seats=7"])


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("start_date", "report"),
        ("moderation.required", "report"),
        ("population.jobseeker_share", "report"),  # "L901..." is a report line
        ("population.real_workers", "public"),
        ("horizon_weeks", "assumption"),
        ("employer.issuer_quality.oem", "assumption"),  # inherited from a dict wrapper
        ("fees.multiplier", "lever"),
        ("outreach.smes.p_multiplier", "lever"),  # inherited from a section wrapper
        ("outreach.smes.cost_eur_per_year", "lever"),
        ("outreach.women.p_multiplier", "lever"),
        ("moderation.sampling_rate", "calibrated"),
        ("moderation.assessors", "source"),
        ("population.workers", "set"),
        ("name", "set"),
        ("diffusion.q", "override"),
        ("providers[0].seats", "override"),
    ],
)
def test_provenance_kind_at_dotted_path(kinds: LoadedScenario, key: str, kind: str) -> None:
    assert kinds.provenance[key].kind == kind


def test_provenance_values_and_texts(kinds: LoadedScenario) -> None:
    cfg = kinds.config
    assert cfg.horizon_weeks == 200 and cfg.population.workers == 2500
    assert cfg.outreach.smes.p_multiplier == 2.0 and cfg.outreach.women.p_multiplier == 3.0
    assert cfg.diffusion.q == 0.5 and cfg.providers[0].seats == 7
    assert kinds.provenance["horizon_weeks"].range == (104, 520)
    assert kinds.provenance["fees.multiplier"].range is None
    assert kinds.provenance["fees.multiplier"].text == "lever: half fees"
    assert kinds.provenance["outreach.smes.p_multiplier"].text == "lever: campaigns"


def test_origins(kinds: LoadedScenario) -> None:
    mine = kinds.chain[-1]
    assert mine != str(FI.resolve())
    assert kinds.origin["population.workers"] == mine
    assert kinds.origin["outreach.women.p_multiplier"] == mine
    assert kinds.origin["diffusion.p"] == str(FI.resolve())
    assert "--set" in kinds.origin["diffusion.q"]
    assert "--set" in kinds.origin["providers[0].seats"]


def test_child_plain_values_are_set_and_inherited_keep_theirs(tmp_path: Path, fi: LoadedScenario) -> None:
    path = child(tmp_path, "moderation:\n  sampling_rate: 0.3\n")
    loaded = load_scenario(path)
    assert loaded.provenance["moderation.sampling_rate"].kind == "set"
    assert loaded.provenance["moderation.sampling_rate"].range is None
    assert loaded.origin["moderation.sampling_rate"] == str(path.resolve())
    assert loaded.provenance["moderation.assessors"] == fi.provenance["moderation.assessors"]
    assert loaded.origin["moderation.assessors"] == str(FI.resolve())
    assert loaded.chain == (str(FI.resolve()), str(path.resolve()))


def test_parameters_cover_every_leaf_with_provenance(fi: LoadedScenario) -> None:
    params = fi.parameters()
    keys = [k for k, _, _ in params]
    assert len(keys) == len(set(keys))
    assert set(fi.provenance) - {"preset"} <= set(keys)  # 'preset' describes the file, not the model
    for key, _, prov in params:
        assert prov is not None and prov.text
        if key in fi.provenance:
            assert prov == fi.provenance[key]
    assumptions = sum(1 for _, _, p in params if p.kind in ("assumption", "default"))
    assert fi.assumption_count() == assumptions > 0


def test_schema_defaults_get_default_or_public_provenance(tmp_path: Path) -> None:
    body = "funding:\n  instruments:\n    - {id: credit, kind: training_credit}\n"
    params = {k: p for k, _, p in load_scenario(child(tmp_path, body)).parameters()}
    assert params["funding.instruments[0].kind"].kind == "set"
    assert params["funding.instruments[0].fee_coverage"].kind == "default"
    assert params["funding.instruments[0].credit.floor_eur"].kind == "public"
    assert "public-facts" in params["funding.instruments[0].credit.floor_eur"].text


def test_defaults_inside_a_set_list_keep_their_own_provenance(tmp_path: Path) -> None:
    key = "funding.instruments[0].credit.floor_eur"
    in_file = load_scenario(
        child(tmp_path, "funding:\n  instruments:\n    - {id: credit, kind: training_credit}\n")
    )
    by_set = load_scenario(FI, ["funding.instruments=[{id: credit, kind: training_credit}]"])
    assert by_set.config.funding.instruments == in_file.config.funding.instruments
    file_prov = {k: p for k, _, p in in_file.parameters()}[key]
    set_prov = {k: p for k, _, p in by_set.parameters()}[key]
    assert set_prov.kind == file_prov.kind == "public"


# --- keyed list merge ----------------------------------------------------------------------------


def test_provider_merge_by_name_changes_only_that_field(tmp_path: Path, fi: LoadedScenario) -> None:
    loaded = load_scenario(child(tmp_path, "providers:\n  - {name: @P1@, seats: 30}\n"))
    before, after = fi.config.providers, loaded.config.providers
    assert [p.name for p in after] == [p.name for p in before]
    assert after[1].seats == 30
    assert after[1].model_copy(update={"seats": before[1].seats}) == before[1]
    assert [p for p in after if p.name != p1()] == [p for p in before if p.name != p1()]
    assert loaded.provenance["providers[1].seats"].kind == "set"
    assert loaded.provenance["providers[1].type"] == fi.provenance["providers[1].type"]


def test_provider_with_new_name_is_appended(tmp_path: Path, fi: LoadedScenario) -> None:
    body = "providers:\n  - {name: newcomer, type: private, region: uusimaa, seats: 5}\n"
    loaded = load_scenario(child(tmp_path, body))
    assert loaded.config.providers[:-1] == fi.config.providers
    assert loaded.config.providers[-1].name == "newcomer"
    assert loaded.config.providers[-1].seats == 5


def test_instruments_merge_by_id_across_a_chain(tmp_path: Path) -> None:
    write(
        tmp_path,
        "mid.yaml",
        f"extends: {FI}\nname: mid\nfunding:\n  instruments:\n"
        "    - {id: vouch, kind: voucher, eligibility: 'worker.woman', fee_coverage: 0.8}\n",
    )
    kid = write(
        tmp_path,
        "kid.yaml",
        "extends: mid.yaml\nname: kid\nfunding:\n  instruments:\n"
        "    - {id: vouch, fee_coverage: 0.5}\n"
        "    - {id: fund, kind: budget, budget_eur_per_year: 1000}\n",
    )
    mid = load_scenario(tmp_path / "mid.yaml").config.funding.instruments
    loaded = load_scenario(kid)
    got = loaded.config.funding.instruments
    assert [i.id for i in got] == ["vouch", "fund"]
    assert got[0].fee_coverage == 0.5
    assert got[0].model_copy(update={"fee_coverage": 0.8}) == mid[0]
    assert got[1].kind == "budget" and got[1].budget_eur_per_year == 1000
    assert loaded.origin["funding.instruments[0].eligibility"] == str((tmp_path / "mid.yaml").resolve())
    assert len(loaded.chain) == 3


def test_module_merge_by_id(tmp_path: Path, fi: LoadedScenario) -> None:
    before = fi.config.pathway.modules
    target = before[2].id
    body = f"pathway:\n  modules:\n    - {{id: {target}, fee_eur: 1001}}\n"
    after = load_scenario(child(tmp_path, body)).config.pathway.modules
    assert [m.id for m in after] == [m.id for m in before]
    assert [m.fee_eur for m in after] == [1001 if m.id == target else m.fee_eur for m in before]
    assert after[2].model_copy(update={"fee_eur": before[2].fee_eur}) == before[2]


def test_deep_merge_keeps_sibling_keys(tmp_path: Path, fi: LoadedScenario) -> None:
    loaded = load_scenario(child(tmp_path, "outreach:\n  women:\n    p_multiplier: 3.0\n"))
    assert loaded.config.outreach.women.p_multiplier == 3.0
    assert loaded.config.outreach.women.cost_eur_per_year == 0.0
    assert loaded.config.outreach.smes == fi.config.outreach.smes
    assert loaded.config.moderation == fi.config.moderation


def test_wrapped_list_replaces_inherited_list(tmp_path: Path) -> None:
    body = (
        "providers:\n"
        "  value:\n"
        "    - {name: only_one, type: public_vet, region: south_savo, seats: 5}\n"
        "  assumption: a single provider\n"
        "  range: [0.5, 2]\n"
    )
    loaded = load_scenario(child(tmp_path, body))
    assert [p.name for p in loaded.config.providers] == ["only_one"]
    plain = child(
        tmp_path, "providers:\n  - {name: extra, type: private, region: uusimaa, seats: 5}\n", "plain.yaml"
    )
    merged = load_scenario(plain)
    assert merged.config.providers[-1].name == "extra" and len(merged.config.providers) > 1


def test_an_instrument_holds_only_its_own_kinds_keys(tmp_path: Path) -> None:
    body = "funding:\n  instruments:\n    - {id: esf, kind: budget, budget_eur_per_year: 1000}\n"
    loaded = load_scenario(child(tmp_path, body))
    keys = {k for k, _, _ in loaded.parameters()}
    assert "funding.instruments[0].budget_eur_per_year" in keys
    assert not any(k.startswith("funding.instruments[0].credit") for k in keys)
    assert not any(k.startswith("funding.instruments[0].calls") for k in keys)
    wrong = "funding:\n  instruments:\n    - {id: esf, kind: budget, budget_eur_per_year: 1000, calls: []}\n"
    with pytest.raises(
        ScenarioError, match=r"wrong.yaml: funding\.instruments\[0\]\.calls: unknown key for a budget"
    ):
        load_scenario(child(tmp_path, wrong, "wrong.yaml"))


def test_the_baseline_is_the_preset_with_its_calibrated_values() -> None:
    baseline = load_scenario(ROOT / "scenarios" / "fi" / "baseline.yaml")
    assert baseline.chain[0] == str(FI.resolve()) and len(baseline.chain) == 2
    assert baseline.config.preset is True
    own = [
        k
        for k, f in baseline.origin.items()
        if f == baseline.chain[-1] and k not in ("name", "description", "preset")
    ]
    assert own, "the baseline sets the fitted values"
    for key in own:
        prov = baseline.provenance[key]
        assert prov.kind in ("calibrated", "assumption", "source"), key
        if prov.kind == "assumption":
            assert prov.range is not None and "fitted" in prov.text, key
