"""indicators.csv: statistics-shaped indicators computed in each run's worker, summed bands, both engines."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.calibration.indicators import INDICATORS
from analysis.cli import main
from analysis.experiment import Experiment, rep_seed
from analysis.indicator_table import simulate_indicated
from analysis.summary import summarise_indicators
from model.compiled import compile_scenario
from model.params import load_scenario
from model.types import AGE_BANDS, BANDS
from tests.conftest import REPO

ES_CREDIT = REPO / "scenarios" / "es" / "training_credit.yaml"
#: One whole calendar year (2026) from the presets' start on 5 January.
ONE_YEAR = ["population.workers=300", "horizon_weeks=53"]
#: A "share" over the year's *average* employees: someone hired and trained within the year counts
#: whole in the numerator and in part in the denominator, so a small group with turnover can pass 1.
PER_AVERAGE_EMPLOYEE = {"employee_training_rate"}
COLUMNS = ["scenario", "rep", "indicator", "country", "year", "group", "value", "numerator", "denominator"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    loaded = load_scenario(ES_CREDIT, ["population.workers=600", "horizon_weeks=110"])
    exp = Experiment([loaded], reps=2, seed=3, engine="vector", indicators=True).run()
    return exp.results[0].indicator_table()


def test_one_row_per_rep_indicator_year_and_group_with_the_issue_columns(table):
    assert list(table.columns) == COLUMNS
    yearly = table[table["year"].notna()]
    assert set(yearly["year"]) == {2026, 2027}
    assert not yearly.duplicated(["scenario", "rep", "indicator", "year", "group"]).any()
    groups = set(table.loc[table["indicator"] == "firm_training_rate", "group"])
    assert {"all", "size=1-5", "size=10-49"} <= groups
    groups = set(table.loc[table["indicator"] == "employee_training_rate", "group"])
    assert {"all", "gender=f", "gender=m", *(f"age={a}" for a in AGE_BANDS)} == groups
    assert {"women_share", "women_enrolment_share", "credit_uptake_rate"} <= set(table["indicator"])
    funders = table[table["indicator"].isin(["deadweight_share", "substitution_share"])]
    assert len(funders) > 0 and funders["year"].isna().all()
    assert funders["group"].str.startswith("instrument=").all()


def test_shares_are_shares_and_counts_are_consistent_with_the_value(table):
    yearly = table[table["year"].notna()]
    shares = yearly[[INDICATORS[n].unit == "share" for n in yearly["indicator"]]]
    subsets = shares[~shares["indicator"].isin(PER_AVERAGE_EMPLOYEE)]["value"].dropna()
    assert len(subsets) > 100 and subsets.between(0, 1).all()
    rates = shares[shares["indicator"].isin(PER_AVERAGE_EMPLOYEE)]
    assert (rates["value"] >= 0).all() and rates.loc[rates["group"] == "all", "value"].between(0, 1).all()
    ratio = shares[shares["denominator"] > 0]
    np.testing.assert_allclose(ratio["value"], ratio["numerator"] / ratio["denominator"], rtol=1e-12)
    assert shares.loc[shares["denominator"] == 0, "value"].isna().all()  # no share of nobody
    counts = yearly[yearly["indicator"].isin(["enrolments", "training_participants"])]
    np.testing.assert_allclose(counts["value"], counts["numerator"])
    assert counts["denominator"].isna().all()


def _band_sum(table: pd.DataFrame, indicator: str, dim: str, values) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = table[table["indicator"] == indicator]
    whole = rows[rows["group"] == "all"].set_index(["rep", "year"])[["numerator", "denominator"]]
    bands = rows[rows["group"].isin([f"{dim}={v}" for v in values])]
    return whole, bands.groupby(["rep", "year"])[["numerator", "denominator"]].sum()


@pytest.mark.parametrize("indicator", ["firm_training_rate", "firm_mc_training_rate", "credit_uptake_rate"])
def test_size_bands_add_up_to_all_firms(table, indicator):
    whole, summed = _band_sum(table, indicator, "size", BANDS)
    assert (whole["numerator"] > 0).any()
    pd.testing.assert_frame_equal(summed.sort_index(), whole.sort_index(), check_names=False)


def test_gender_and_age_bands_add_up_to_all_employees(table):
    for dim, values in (("gender", ("f", "m")), ("age", AGE_BANDS)):
        whole, summed = _band_sum(table, "training_participants", dim, values)
        np.testing.assert_allclose(summed["numerator"].sort_index(), whole["numerator"].sort_index())
        whole, summed = _band_sum(table, "employee_training_rate", dim, values)
        np.testing.assert_allclose(summed.sort_index().to_numpy(), whole.sort_index().to_numpy())


def test_mesa_and_vector_engines_give_the_same_indicators():
    compiled = compile_scenario(load_scenario(ES_CREDIT, ONE_YEAR).config)
    seed = rep_seed(1, 0)
    _, mesa = simulate_indicated(compiled, seed, "mesa", deadweight=True)
    _, vector = simulate_indicated(compiled, seed, "vector", deadweight=True)
    assert (mesa["year"] == 2026).sum() > 50
    pd.testing.assert_frame_equal(mesa, vector)


def test_summary_is_the_mean_and_interval_over_replications():
    rows = [
        {"scenario": "a", "rep": r, "indicator": "firm_training_rate", "country": "FI", "year": 2026}
        | {"group": "all", "value": v, "numerator": 10 * v, "denominator": 10.0}
        for r, v in enumerate([0.2, 0.4, 0.6])
    ]
    whole_run = {"year": pd.NA, "group": "instrument=x", "numerator": np.nan, "denominator": np.nan}
    rows.append(rows[0] | whole_run)
    summary = summarise_indicators(pd.DataFrame(rows))
    first = summary.iloc[0]
    assert first["n"] == 3 and first["mean"] == pytest.approx(0.4)
    assert first["lo"] < 0.4 < first["hi"] and first["numerator"] == pytest.approx(4.0)
    last = summary.iloc[1]
    assert pd.isna(last["year"]) and last["n"] == 1 and np.isnan(last["numerator"])


def test_cli_writes_indicators_only_when_asked_and_rerun_keeps_them(tmp_path):
    small = ["--set", "population.workers=200", "--set", "horizon_weeks=53", "--engine", "vector"]
    plain, asked, again = tmp_path / "plain", tmp_path / "asked", tmp_path / "again"
    assert main(["run", str(ES_CREDIT), "--reps", "2", "--out", str(plain), *small]) == 0
    assert not (plain / "indicators.csv").exists() and not (plain / "indicators_summary.csv").exists()
    assert "indicators" not in json.loads((plain / "manifest.json").read_text())
    args = ["run", str(ES_CREDIT), "--reps", "2", "--no-deadweight", "--indicators", *small]
    assert main([*args, "--out", str(asked)]) == 0
    table = pd.read_csv(asked / "indicators.csv")
    assert list(table.columns) == COLUMNS and set(table["rep"]) == {0, 1}
    assert not table["indicator"].isin(["deadweight_share", "substitution_share"]).any()  # no counterfactual
    summary = pd.read_csv(asked / "indicators_summary.csv")
    assert len(summary) == len(table) // 2 and (summary["n"] <= 2).all()
    meta = json.loads((asked / "manifest.json").read_text())
    assert meta["indicators"]["table"] == "indicators.csv"
    assert main(["rerun", str(asked / "manifest.json"), "--out", str(again)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(again / "indicators.csv"), table)
