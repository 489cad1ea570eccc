"""What each lever of a package adds: decomposition arithmetic, workshop entries, the report section."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.cli import main
from analysis.decomposition import PACKAGE, TOGETHER, decompose, values_at_years
from analysis.workshop import WorkshopError, read_workshop
from tests.conftest import REPO

#: Hand-made values of one KPI in one year: three paired replications of each scenario.
VALUES = {
    "base": [0.10, 0.12, 0.11],
    "a": [0.13, 0.14, 0.14],  # +0.03, +0.02, +0.03
    "b": [0.11, 0.13, 0.11],  # +0.01, +0.01, +0.00
    "pkg": [0.16, 0.17, 0.16],  # +0.06, +0.05, +0.05
}


def _table(values: dict[str, list[float]], kpi: str = "women_share", year: int = 1) -> pd.DataFrame:
    rows = [
        {"scenario": s, "rep": r, "kpi": kpi, "year": year, "value": v}
        for s, vs in values.items()
        for r, v in enumerate(vs)
    ]
    return pd.DataFrame(rows)


def test_levers_alone_and_together_add_up_to_the_package():
    parts = decompose(_table(VALUES), "base", "pkg", ["a", "b"]).set_index("part")
    assert list(parts.index) == ["a", "b", TOGETHER, PACKAGE]
    assert parts.loc["a", "gain"] == pytest.approx(0.08 / 3)
    assert parts.loc["b", "gain"] == pytest.approx(0.02 / 3)
    assert parts.loc[PACKAGE, "gain"] == pytest.approx(0.16 / 3)
    assert parts.loc[TOGETHER, "gain"] == pytest.approx((0.16 - 0.08 - 0.02) / 3)  # reinforcing levers
    assert parts.loc[["a", "b", TOGETHER], "gain"].sum() == pytest.approx(parts.loc[PACKAGE, "gain"])
    assert parts.loc[["a", "b", TOGETHER], "share"].sum() == pytest.approx(1.0)
    assert parts.loc["a", "share"] == pytest.approx(0.5) and parts.loc[PACKAGE, "share"] == 1.0
    # paired intervals: the package's gain varies little around its mean, so it excludes 0
    assert 0 < parts.loc[PACKAGE, "lo"] < parts.loc[PACKAGE, "gain"] < parts.loc[PACKAGE, "hi"]
    assert (parts["n"] == 3).all()


def test_overlapping_levers_show_a_negative_joint_part():
    values = VALUES | {"pkg": [0.12, 0.14, 0.13]}  # +0.02 each: less than a and b alone
    parts = decompose(_table(values), "base", "pkg", ["a", "b"]).set_index("part")
    assert parts.loc[TOGETHER, "gain"] == pytest.approx((0.06 - 0.10) / 3)
    assert parts.loc[TOGETHER, "share"] < 0 < parts.loc["a", "share"]


def test_no_share_of_a_gain_chance_could_have_made():
    values = VALUES | {"pkg": [0.14, 0.08, 0.11]}  # +0.04, -0.04, 0: the package's interval holds 0
    parts = decompose(_table(values), "base", "pkg", ["a", "b"]).set_index("part")
    assert parts.loc[PACKAGE, "lo"] < 0 < parts.loc[PACKAGE, "hi"]
    assert parts["share"].isna().all()
    assert np.isfinite(parts["gain"]).all()  # the gains themselves are still shown


def test_a_replication_with_an_undefined_value_is_left_out_and_kpis_and_years_kept_apart():
    values = VALUES | {"b": [0.11, np.nan, 0.11]}
    both = pd.concat([_table(values), _table(VALUES, "women_workforce_share", 3)], ignore_index=True)
    parts = decompose(both, "base", "pkg", ["a", "b"])
    assert set(zip(parts["kpi"], parts["year"], strict=True)) == {
        ("women_share", 1),
        ("women_workforce_share", 3),
    }
    assert (parts.loc[parts["kpi"] == "women_share", "n"] == 2).all()
    assert (parts.loc[parts["kpi"] == "women_workforce_share", "n"] == 3).all()
    with pytest.raises(ValueError, match="no values for scenario"):
        decompose(both, "base", "pkg", ["a", "missing"])


def test_values_are_read_at_whole_years_within_the_horizon():
    steps = np.arange(156)
    kpis = pd.DataFrame(
        {"scenario": "s", "rep": 0, "step": steps, "women_share": steps / 1000, "women_workforce_share": 0.03}
    )
    values = values_at_years(kpis)
    assert sorted(set(values["year"])) == [1, 3]  # year 5 is beyond the horizon
    at_one = values[(values["year"] == 1) & (values["kpi"] == "women_share")]["value"]
    assert at_one.tolist() == [51 / 1000]  # the end of week 52


# ------------------------------------------------------------------ workshop entries


def _workshop(tmp_path, decomposition, scenarios=("baseline.yaml", "women_in_automotive.yaml")) -> object:
    folder = REPO / "scenarios" / "fi"
    path = tmp_path / "ws.yaml"
    listed = [str(folder / s) for s in scenarios]
    body = {"workshop": {"title": "t", "scenarios": listed, "decomposition": decomposition}}
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


def test_bundled_women_workshops_name_the_package_and_four_levers():
    for country in ("fi", "es", "pt"):
        ws = read_workshop(REPO / "scenarios" / country / "women_workshop.yaml")
        assert ws.paths[0].name == "baseline.yaml"
        assert ws.decomposition.package.name == "women_in_automotive.yaml"
        assert {v.name for v in ws.decomposition.variants} == {
            f"women_{lever}_only.yaml" for lever in ("inflow", "flexible", "priority", "outreach")
        }
        assert set(ws.paths[1:]) == {ws.decomposition.package, *ws.decomposition.variants}


@pytest.mark.parametrize(
    ("decomposition", "message"),
    [
        ("women_in_automotive.yaml", r"workshop\.decomposition: expected exactly the keys"),
        (
            {"package": "women_in_automotive.yaml", "variants": []},
            r"decomposition\.variants: expected a non-empty",
        ),
        (
            {"package": "women_in_automotive.yaml", "variants": ["women_inflow_only.yaml"]},
            r"decomposition\.variants: 'women_inflow_only\.yaml' must be one of workshop\.scenarios",
        ),
        (
            {"package": "baseline.yaml", "variants": ["women_in_automotive.yaml"]},
            r"decomposition\.package: 'baseline\.yaml' must be one of workshop\.scenarios after the baseline",
        ),
        (
            {"package": "women_in_automotive.yaml", "variants": ["women_in_automotive.yaml"]},
            r"the package and each variant must be different",
        ),
        (
            {"package": "nowhere.yaml", "variants": ["x.yaml"]},
            r"decomposition\.package: '.*nowhere\.yaml' does not exist",
        ),
    ],
)
def test_a_malformed_decomposition_is_refused_naming_file_and_key(tmp_path, decomposition, message):
    folder = REPO / "scenarios" / "fi"
    spec = decomposition
    if isinstance(spec, dict):
        spec = {
            "package": str(folder / spec["package"]),
            "variants": [str(folder / v) for v in spec["variants"]],
        }
    path = _workshop(tmp_path, spec)
    with pytest.raises(WorkshopError, match=message) as err:
        read_workshop(path)
    assert str(path) in str(err.value)


def test_compare_of_a_decomposition_set_writes_the_table_and_the_report_section(tmp_path, capsys):
    folder = REPO / "scenarios" / "fi"
    members = [
        "baseline.yaml",
        "women_in_automotive.yaml",
        "women_inflow_only.yaml",
        "women_outreach_only.yaml",
    ]
    path = tmp_path / "set.yaml"
    decomposition = {
        "package": str(folder / members[1]),
        "variants": [str(folder / m) for m in members[2:]],
    }
    body = {"workshop": {"scenarios": [str(folder / m) for m in members], "decomposition": decomposition}}
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    out = tmp_path / "out"
    small = ["--set", "population.workers=300", "--set", "horizon_weeks=53", "--engine", "vector"]
    assert (
        main(["compare", str(path), "--reps", "2", "--no-deadweight", "--report", "--out", str(out), *small])
        == 0
    )
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["decomposition"] == {
        "baseline": "fi/baseline",
        "package": "fi/women_in_automotive",
        "variants": ["fi/women_inflow_only", "fi/women_outreach_only"],
    }
    table = pd.read_csv(out / "decomposition.csv")
    assert set(table["year"]) == {1} and set(table["kpi"]) == {"women_share", "women_workforce_share"}
    page = (out / "report.html").read_text()
    assert 'id="levers"' in page and 'id="decomposition"' in page and "decomp-women_workforce_share" in page
    # without a decomposition entry there is no such section
    plain = tmp_path / "plain"
    args = ["compare", str(folder / members[0]), str(folder / members[2]), "--reps", "2"]
    assert main([*args, "--no-deadweight", "--report", "--out", str(plain), *small]) == 0
    assert (
        not (plain / "decomposition.csv").exists()
        and 'id="levers"' not in (plain / "report.html").read_text()
    )
