"""SEPE and FUNDAE statistics tables: samples, layouts, checks against printed totals, options."""

from __future__ import annotations

import math

import pytest

from analysis.calibration.loaders import LoaderError, load_fundae, load_sepe
from analysis.calibration.targets import COLUMNS, validate_targets
from model.compiled import compile_scenario
from model.params import load_scenario
from tests.analysis.calibration.loaders.workbooks import write_csv, write_xlsb, write_xlsx
from tests.conftest import REPO

SAMPLES = REPO / "data" / "samples"


def _row(frame, indicator, group="all", year=None):
    sel = (frame["indicator"] == indicator) & (frame["group"] == group)
    if year is not None:
        sel &= frame["year"] == year
    assert sel.sum() == 1, frame
    return frame[sel].iloc[0]


# ------------------------------------------------------------------ FUNDAE


def test_fundae_coverage_sample_by_firm_size():
    frame, _ = load_fundae(SAMPLES / "fundae_cobertura_tamano_empresa.csv")
    assert list(frame.columns) == list(COLUMNS)
    assert _row(frame, "credit_uptake_rate", "size=1-5|6-9", 2022)["value"] == pytest.approx(0.155)
    assert _row(frame, "credit_uptake_rate", "size=10-49", 2022)["value"] == pytest.approx(0.507)
    assert _row(frame, "credit_uptake_rate", "size=250+", 2016)["value"] == pytest.approx(0.93)
    assert _row(frame, "credit_uptake_rate", "all", 2019)["value"] == pytest.approx(0.198)
    # printed to one decimal: sd of the rounding is 0.1 pp / sqrt(12); '93' is printed to a whole point
    assert _row(frame, "credit_uptake_rate", "size=10-49", 2022)["uncertainty"] == pytest.approx(
        0.001 / math.sqrt(12)
    )
    assert _row(frame, "credit_uptake_rate", "size=250+", 2016)["uncertainty"] == pytest.approx(
        0.01 / math.sqrt(12)
    )
    assert not ((frame["year"] == 2018) & (frame["group"] == "size=1-5|6-9")).any()  # no single figure


def test_fundae_coverage_validates_against_a_training_credit_scenario():
    frame, _ = load_fundae(SAMPLES / "fundae_cobertura_tamano_empresa.csv", year=2022, rel_uncertainty=0.1)
    frame = frame[frame["group"] != "size=250+"]  # the Spanish preset has no workshops that large
    loaded = load_scenario(REPO / "scenarios" / "es" / "training_credit.yaml", ["start_date=2022-01-03"])
    targets, _ = validate_targets(frame, compile_scenario(loaded.config))
    assert {t.indicator for t in targets} == {"credit_uptake_rate"}
    assert {("size", t.group.get("size")) for t in targets} >= {
        ("size", ("1-5", "6-9")),
        ("size", ("10-49",)),
    }


def test_fundae_participants_sample_people_participations_and_womens_share():
    frame, _ = load_fundae(SAMPLES / "fundae_participantes_sexo.csv")
    assert _row(frame, "training_participants", "all", 2019)["value"] == 2944535
    assert _row(frame, "enrolments", "all", 2024)["value"] == 5824016
    share = _row(frame, "training_women_share", "all", 2024)
    assert share["value"] == pytest.approx(0.46) and share["uncertainty"] == pytest.approx(
        0.01 / math.sqrt(12)
    )
    assert not ((frame["indicator"] == "training_women_share") & (frame["year"] == 2018)).any()  # only men's


def test_fundae_participants_by_sex_and_age_counts(tmp_path):
    rows = [["Participantes por sexo y edad"], ["Año", "Edad", "Sexo", "Personas formadas"]]
    data = {"16-29": (100, 80), "30-49": (300, 260), "50 y más": (120, 90)}
    for age, (m, f) in data.items():
        rows += [[2023, age, "Hombres", m], [2023, age, "Mujeres", f], [2023, age, "Total", m + f]]
    rows.append([2023, "Total", "Total", sum(m + f for m, f in data.values())])
    frame, _ = load_fundae(write_xlsx(tmp_path / "p.xlsx", {"Edad": rows}))
    assert _row(frame, "training_participants")["value"] == 950
    assert _row(frame, "training_participants", "age=30-49")["value"] == 560
    assert _row(frame, "training_participants", "gender=f")["value"] == 430
    assert _row(frame, "training_women_share")["value"] == pytest.approx(430 / 950)
    assert _row(frame, "training_participants", "age=50+")["uncertainty"] == 0.5  # exact counts: the floor


def test_fundae_age_bands_that_straddle_the_models_are_left_out_with_a_note(tmp_path):
    rows = [["Año", "Tramo de edad", "Participantes"], [2022, "Total", 100]]
    rows += [[2022, label, n] for label, n in (("16-25", 10), ("26-35", 30), ("36-45", 35), ("46-55", 20))]
    rows.append([2022, "Mayores de 55", 5])
    frame, notes = load_fundae(write_csv(tmp_path / "e.csv", rows))
    assert list(frame["group"]) == ["all"] and frame["value"].iloc[0] == 100
    assert any("do not align" in n for n in notes)


def test_fundae_years_across_the_columns_coverage_in_the_title(tmp_path):
    rows = [
        ["Cobertura de la formación programada por tamaño de empresa (%)"],
        ["Tamaño de empresa", 2021, 2022],
    ]
    rows += [
        ["1 a 5", "12,0", "12,5"],
        ["6 a 9", "30,0", "31,5"],
        ["10 a 99", "55,0", "56,0"],
        ["Total", "20,0", "20,4"],
    ]
    path = write_xlsb(tmp_path / "c.xlsb", {"Cobertura": rows})
    frame, notes = load_fundae(path, year=2022)
    assert _row(frame, "credit_uptake_rate", "size=1-5")["value"] == pytest.approx(0.125)
    assert _row(frame, "credit_uptake_rate", "size=6-9")["value"] == pytest.approx(0.315)
    assert set(frame["year"]) == {2022}
    assert any("(10, 99)" in n for n in notes)  # 10-99 does not align with 10-49 / 50-249


def test_fundae_counts_that_contradict_the_printed_coverage_or_total_are_refused(tmp_path):
    head = ["Año", "Tamaño de empresa", "Empresas formadoras", "Empresas con crédito", "Cobertura (%)"]
    bad_cov = [head, [2019, "Total", "339.846", "1.715.239", "21,8"]]
    with pytest.raises(
        LoaderError, match=r"b\.csv: row 2: coverage 21.8 % but the firms on the row give 19.81 %"
    ):
        load_fundae(write_csv(tmp_path / "b.csv", bad_cov))
    bad_sum = [head, [2019, "Total", 1000, 5000, "20,0"], [2019, "De 1 a 9", 700, 4000, "17,5"]]
    bad_sum.append([2019, "10 y más", 400, 1000, "40,0"])
    with pytest.raises(
        LoaderError, match=r"s\.csv: row 2 gives firms_trained 2019 .* rows 3, 4 \(by size\) add up to 1100"
    ):
        load_fundae(write_csv(tmp_path / "s.csv", bad_sum))
    sexes = [["Año", "Sexo", "Porcentaje de participantes"], [2024, "Total", 100], [2024, "Hombres", 54]]
    sexes.append([2024, "Mujeres", 48])
    with pytest.raises(LoaderError, match="add up to 102"):
        load_fundae(write_csv(tmp_path / "x.csv", sexes))


def test_fundae_refuses_options_it_cannot_honour(tmp_path):
    path = SAMPLES / "fundae_participantes_sexo.csv"
    with pytest.raises(LoaderError, match="--region-map cannot be honoured: FUNDAE's tables are national"):
        load_fundae(path, region_map={"madrid": "madrid"})
    with pytest.raises(LoaderError, match="--field cannot be honoured: the table has no sector column"):
        load_fundae(path, field_contains=["Automoción"])
    with pytest.raises(LoaderError, match="--year 2023: the file has figures for 2016, 2018, 2019"):
        load_fundae(path, year=2023)


# ------------------------------------------------------------------ SEPE


def test_sepe_sex_across_the_columns_and_year_selection(tmp_path):
    rows = [["Participantes en formación para el empleo"], [], ["", "", "Participantes", "", ""]]
    rows += [["Año", "Comunidad autónoma", "Hombres", "Mujeres", "Total"]]
    rows += [[2022, "Total", 300, 200, 500], ["", "Madrid", 200, 150, 350], ["", "Navarra", 100, 50, 150]]
    rows += [[2023, "Total", 330, 210, 540], ["", "Madrid", 230, 160, 390], ["", "Navarra", 100, 50, 150]]
    path = write_xlsx(tmp_path / "s.xlsx", {"Datos": rows})
    frame, _ = load_sepe(path, year=2023, region_map={"madrid": "madrid", "navarra": "navarra"})
    assert set(frame["year"]) == {2023}
    assert _row(frame, "enrolments")["value"] == 540
    assert _row(frame, "enrolments", "gender=f")["value"] == 210
    assert _row(frame, "enrolments", "region=madrid")["value"] == 390
    # SEPE counts participations: the enrolment-based share, not women among distinct learners
    assert _row(frame, "women_enrolment_share")["value"] == pytest.approx(210 / 540)
    assert not (frame["indicator"] == "women_share").any()
    rows[5][4] = 600  # the 2022 total no longer matches Madrid + Navarra
    with pytest.raises(LoaderError, match=r"s\.xlsx: row [56] gives enrolments 2022 .* add up to"):
        load_sepe(write_xlsx(tmp_path / "s.xlsx", {"Datos": rows}))


def test_sepe_table_without_years_takes_year(tmp_path):
    path = write_csv(
        tmp_path / "s.csv",
        [["Sexo", "Participantes"], ["Total", "1.200"], ["Mujeres", 500], ["Hombres", 700]],
    )
    with pytest.raises(LoaderError, match="no year column .*pass --year"):
        load_sepe(path)
    frame, _ = load_sepe(path, year=2021)
    assert _row(frame, "enrolments", "all", 2021)["value"] == 1200
    with pytest.raises(LoaderError, match="--region-map cannot be honoured"):
        load_sepe(path, year=2021, region_map={"madrid": "madrid"})
