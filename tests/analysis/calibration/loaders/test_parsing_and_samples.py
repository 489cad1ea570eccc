"""Parsing (counts, ages), the sample files and the first layouts: Vipunen, API JSON, MEFP, SEPE."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from analysis.calibration.loaders import (
    LoaderError,
    age_groups,
    load_mefp,
    load_sepe,
    load_vipunen_api,
    load_vipunen_report,
    main,
    parse_age,
    parse_count,
    read_region_map,
)
from analysis.calibration.loaders.counts import Count, read_count
from analysis.calibration.loaders.labels import OPEN, parse_size, size_groups, subtotal_of
from analysis.calibration.loaders.vipunen import region_caption
from analysis.calibration.targets import COLUMNS, TargetsError, validate_targets
from model.compiled import compile_scenario
from model.params import load_scenario
from tests.conftest import FI, REPO

SAMPLES = REPO / "data" / "samples"
ES = REPO / "scenarios" / "es" / "baseline.yaml"
ROUND_SD = math.sqrt(2 / 3)


def _row(frame: pd.DataFrame, indicator: str, group: str = "all", year: int | None = None) -> pd.Series:
    sel = (frame["indicator"] == indicator) & (frame["group"] == group)
    if year is not None:
        sel &= frame["year"] == year
    assert sel.sum() == 1, frame
    return frame[sel].iloc[0]


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "thousands", "expected"),
    [
        ("1-4", " ", (2.5, math.sqrt(1.25))),
        ("1–4", " ", (2.5, math.sqrt(1.25))),
        ("12 345", " ", (12345.0, 0.0)),
        ("12\u00a0345", " ", (12345.0, 0.0)),
        ("3,5", " ", (3.5, 0.0)),
        ("240.646", ".", (240646.0, 0.0)),
        ("1.234,5", ".", (1234.5, 0.0)),
        ("45,2%", ".", (45.2, 0.0)),
        ("", " ", None),
        ("..", ".", None),
        ("Tieto puuttuu", " ", None),
    ],
)
def test_parse_count(text, thousands, expected):
    assert parse_count(text, thousands=thousands) == expected


def test_parse_count_refuses_text():
    with pytest.raises(LoaderError, match="not a number"):
        parse_count("many")


@pytest.mark.parametrize(
    ("label", "band"),
    [
        ("21 vuotta", (21, 21)),
        ("alle 15-vuotiaat", (0, 14)),
        ("yli 70-vuotiaat", (71, OPEN)),
        ("20-24-vuotiaat", (20, 24)),
        ("De 25 a 29 años", (25, 29)),
        ("16 y menos", (0, 16)),
        ("Menores de 25", (0, 24)),
        ("40 y más", (40, OPEN)),
        ("45 y más años", (45, OPEN)),
        ("17 o más", (17, OPEN)),
        ("≤16", (0, 16)),
        ("50+", (50, OPEN)),
        ("Yhteensä", None),
        ("Total", None),
        ("Tieto puuttuu", None),
    ],
)
def test_parse_age(label, band):
    assert parse_age(label) == band


def test_age_bands_merge_into_model_bands():
    mefp = [(0, 16), (17, 17), (18, 18), (19, 19), (20, 24), (25, 29), (30, 39), (40, OPEN)]
    got = age_groups(mefp)
    assert {got[b] for b in mefp[:6]} == {"16-29"}
    assert got[(30, 39)] == got[(40, OPEN)] == "30-49|50+"
    single = [(0, 14)] + [(a, a) for a in range(15, 71)] + [(71, OPEN)]
    got = age_groups(single)
    assert got[(15, 15)] == "16-29" and got[(35, 35)] == "30-49" and got[(71, OPEN)] == "50+"
    # 21+ cannot be expressed in the model's bands
    assert age_groups([(21, 200)]) == {}


# ---------------------------------------------------------------- Vipunen


def test_vipunen_report_sample_by_field_and_gender():
    frame, notes = load_vipunen_report(
        SAMPLES / "vipunen_tutkinnot_koulutusala_sukupuoli_2012.csv", field_contains=["Tekniikan"]
    )
    assert list(frame.columns) == list(COLUMNS)
    assert _row(frame, "credentials_issued", "all", 2012)["value"] == 15206
    assert _row(frame, "credentials_issued", "gender=f", 2012)["value"] == 2658
    assert _row(frame, "credentials_issued", "gender=m", 2012)["value"] == 12548
    assert _row(frame, "credentials_issued")["uncertainty"] == pytest.approx(ROUND_SD)
    assert "Vipunen" in frame["source"].iloc[0]


def test_vipunen_report_without_filter_reads_field_totals():
    frame, _ = load_vipunen_report(SAMPLES / "vipunen_tutkinnot_koulutusala_sukupuoli_2012.csv")
    assert _row(frame, "credentials_issued")["value"] == 36532  # the Yhteensä row, not the sum twice


def test_vipunen_report_sample_leaves_out_unaligned_ages():
    frame, notes = load_vipunen_report(SAMPLES / "vipunen_uudet_opiskelijat_2022.csv")
    assert _row(frame, "new_learners", "all", 2022)["value"] == 95190
    assert len(frame) == 1  # the 21+ rows cannot be expressed in the model's age bands
    assert any("do not align" in n for n in notes)


def test_vipunen_report_privacy_bands_regions_and_ages(tmp_path):
    path = tmp_path / "report.csv"
    lines = ["Tilastovuosi;Oppilaitoksen maakunta;Sukupuoli;Ikä;Uudet opiskelijat;Opiskelijat"]
    for region, n in (("Uusimaa", "1 203"), ("Etelä-Savo", "1-4")):
        for sex in ("Mies", "Nainen"):
            for age, k in (("alle 30-vuotiaat", n), ("30-49-vuotiaat", "9"), ("yli 49-vuotiaat", "1-4")):
                lines.append(f"2023;{region};{sex};{age};{k};{k}")
    path.write_text("\n".join(lines), encoding="utf-8")
    rmap = {"uusimaa": "uusimaa", "etela savo": "south_savo"}
    frame, notes = load_vipunen_report(path, region_map=rmap)
    total = 2 * 1203 + 2 * 2.5 + 4 * 9 + 4 * 2.5
    assert _row(frame, "new_learners")["value"] == pytest.approx(total)
    # variance: 6 rounded cells (> 4) and 6 privacy bands
    assert _row(frame, "new_learners")["uncertainty"] == pytest.approx(math.sqrt(6 * 2 / 3 + 6 * 1.25))
    assert _row(frame, "new_learners", "region=south_savo")["value"] == pytest.approx(
        2 * 2.5 + 2 * 9 + 2 * 2.5
    )
    assert _row(frame, "new_learners", "age=16-29")["value"] == pytest.approx(2 * 1203 + 2 * 2.5)
    assert _row(frame, "new_learners", "age=50+")["value"] == pytest.approx(4 * 2.5)
    share = _row(frame, "women_share")
    assert share["value"] == pytest.approx(0.5)
    assert 0 < share["uncertainty"] < 0.01
    assert _row(frame, "learners")["value"] == pytest.approx(total)


def test_vipunen_api_monthly_json(tmp_path):
    records = []
    ages = ["alle 15-vuotiaat"] + [f"{a} vuotta" for a in range(15, 64)]  # the API omits empty cells
    for month in (1, 2):
        for region in ("Uusimaa", "Lappi", "Tieto puuttuu"):
            for sex in ("Mies", "Nainen"):
                for age in ages:
                    busy = age == "25 vuotta"
                    records.append(
                        {
                            "tilastovuosi": 2023,
                            "kuukausi": month,
                            "oppilaitoksenMaakunta": region,
                            "sukupuoli": sex,
                            "aidinkieli": "suomi",
                            "ika": age,
                            "kansalaisuus": "Suomi",
                            "uudetOpiskelijatLkm": (10 if sex == "Nainen" else 30) if busy else 0,
                            "opiskelijatLkm": 500,
                            "tutkinnonSuorittaneetLkm": 5 if busy else 0,
                        }
                    )
    path = tmp_path / "amm_opiskelijat_ja_tutkinnot_kuukausi_maakunta.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    frame, notes = load_vipunen_api(path, region_map={"uusimaa": "uusimaa"})
    # months summed; 'Tieto puuttuu' region counts nationally; Lappi not in the map (left out of regions only)
    assert _row(frame, "new_learners", "all", 2023)["value"] == 2 * 3 * 40
    assert _row(frame, "new_learners", "region=uusimaa")["value"] == 2 * 40
    assert _row(frame, "new_learners", "age=16-29")["value"] == 2 * 3 * 40
    assert _row(frame, "women_share")["value"] == pytest.approx(0.25)
    assert _row(frame, "credentials_issued")["value"] == 2 * 3 * 2 * 5
    assert "learners" not in set(frame["indicator"])  # a monthly stock is not summed
    assert any("Lappi" in n for n in notes)
    assert any("stock" in n for n in notes)


def test_vipunen_api_refuses_other_json(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"year": 2023, "n": 1}]), encoding="utf-8")
    with pytest.raises(LoaderError, match="tilastovuosi"):
        load_vipunen_api(path)
    path.write_text(json.dumps({"a": 1}), encoding="utf-8")
    with pytest.raises(LoaderError, match="JSON array"):
        load_vipunen_api(path)


def test_vipunen_report_refuses_unknown_layout(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    with pytest.raises(LoaderError, match="not a Vipunen report table"):
        load_vipunen_report(path)
    path.write_text("Tilastovuosi;Sukupuoli;Uudet opiskelijat\n2023;Mies;3\n", encoding="utf-8")
    with pytest.raises(LoaderError, match="field filter"):
        load_vipunen_report(path, field_contains=["Ajoneuvo"])


# ---------------------------------------------------------------- MEFP


def test_mefp_sample():
    frame, _ = load_mefp(SAMPLES / "mefp_fp_grado_medio_nuevo_ingreso_2023-24.csv_sc")
    assert _row(frame, "new_learners", "all", 2023)["value"] == 240646
    assert _row(frame, "new_learners", "gender=f")["value"] == 112666
    assert _row(frame, "women_share")["value"] == pytest.approx(112666 / 240646)
    assert "2023-24 as 2023" in frame["source"].iloc[0]


def test_mefp_comma_file_with_regions_and_provinces(tmp_path):
    header = [
        "FP GRADO MEDIO 3.9 Alumnado de nuevo ingreso por comunidad autónoma/provincia, "
        "sexo y edad. Curso 2022-2023",
        ",AMBOS SEXOS,,,Hombres,,,Mujeres,,",
        ",Total,16 y menos,17 o más,Total,16 y menos,17 o más,Total,16 y menos,17 o más",
    ]
    rows = [
        '00 TOTAL,"150",60,90,105,45,60,45,15,30',
        "13 MADRID (COMUNIDAD DE),100,40,60,70,30,40,30,10,20",
        "15 NAVARRA (COMUNIDAD FORAL DE),50,20,30,35,15,20,15,5,10",
        "31 Navarra,50,20,30,35,15,20,15,5,10",
    ]
    path = tmp_path / "mat.csv_c"
    path.write_text("\n".join(header + rows), encoding="utf-8")
    rmap = read_region_map(SAMPLES / "region_map_es.yaml")
    frame, notes = load_mefp(path, region_map=rmap)
    assert _row(frame, "new_learners", "all", 2022)["value"] == 150
    assert _row(frame, "new_learners", "region=madrid")["value"] == 100
    assert _row(frame, "new_learners", "region=navarra")["value"] == 50  # the province row is not added
    assert any("province" in n for n in notes)


def test_mefp_needs_a_year_and_a_table_type(tmp_path):
    path = tmp_path / "t.csv_c"
    path.write_text("Alumnado de nuevo ingreso\n,AMBOS SEXOS\n,Total\n00 TOTAL,5\n", encoding="utf-8")
    with pytest.raises(LoaderError, match="school year"):
        load_mefp(path)
    assert load_mefp(path, year=2021)[0]["value"].iloc[0] == 5
    path.write_text("Profesorado 2021-22\n,AMBOS SEXOS\n,Total\n00 TOTAL,5\n", encoding="utf-8")
    with pytest.raises(LoaderError, match="table type"):
        load_mefp(path)


# ---------------------------------------------------------------- SEPE


def _sepe_xlsx(path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Datos de formación para el empleo (SISPE)"])
    ws.append(
        [
            "Año",
            "Familia profesional",
            "Sexo",
            "Participantes",
            "Finalizados",
            "Abandonos por colocación",
            "Abandonos por otras causas",
            "Inserción 6 meses",
            "Afiliación 12 meses",
        ]
    )
    fam = "TRANSPORTE Y MANTENIMIENTO DE VEHÍCULOS"
    ws.append([2021, fam, "Total", 1200, 1000, 60, 140, "41,5", "55,0"])
    ws.append([2021, fam, "Hombres", 1100, 920, 55, 125, "", ""])
    ws.append([2021, fam, "Mujeres", 100, 80, 5, 15, "", ""])
    ws.append([2021, "HOSTELERÍA Y TURISMO", "Total", 9000, 8000, 300, 700, "50,0", "60,0"])
    wb.save(path)


def test_sepe_xlsx_with_family_filter(tmp_path):
    path = tmp_path / "sepe.xlsx"
    _sepe_xlsx(path)
    frame, _ = load_sepe(path, field_contains=["Transporte y mantenimiento"])
    assert _row(frame, "enrolments", "all", 2021)["value"] == 1200
    assert _row(frame, "completions")["value"] == 1000
    assert _row(frame, "dropouts")["value"] == 200  # hired + other reasons
    assert _row(frame, "dropouts_hired")["value"] == 60
    assert _row(frame, "completion_rate")["value"] == pytest.approx(1000 / 1200)
    assert _row(frame, "placement_6m_rate")["value"] == pytest.approx(0.415)
    assert _row(frame, "affiliation_12m_rate")["value"] == pytest.approx(0.55)
    assert _row(frame, "women_enrolment_share")["value"] == pytest.approx(100 / 1200)


def test_sepe_sample_and_validation_against_the_scenario():
    frame, _ = load_sepe(SAMPLES / "sepe_formacion_participantes_2024.csv")
    assert _row(frame, "enrolments", "all", 2024)["value"] == 5824016
    loaded = load_scenario(ES, ["start_date=2024-01-01", "horizon_weeks=53"])
    targets, _ = validate_targets(frame, compile_scenario(loaded.config))
    assert [t.indicator for t in targets] == ["enrolments"]


def test_sepe_unproduced_statistics_are_named(tmp_path):
    path = tmp_path / "sepe.xlsx"
    _sepe_xlsx(path)
    frame, _ = load_sepe(path, field_contains=["Transporte"])
    compiled = compile_scenario(load_scenario(ES, ["start_date=2021-01-04", "horizon_weeks=52"]).config)
    with pytest.raises(TargetsError, match="affiliation_12m_rate.*does not produce it"):
        validate_targets(frame, compiled)
    targets, notes = validate_targets(frame, compiled, ignore_unproduced=True)
    assert {t.indicator for t in targets} >= {"enrolments", "completion_rate", "placement_6m_rate"}
    assert any("affiliation" in n for n in notes) and any("dropouts_hired" in n for n in notes)


def test_sepe_refuses_a_table_without_measures(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("Año;Sexo;Comunidad autónoma\n2021;Total;Madrid\n", encoding="utf-8")
    with pytest.raises(LoaderError, match="not a SEPE training table"):
        load_sepe(path)


# ---------------------------------------------------------------- command line


def test_loader_command_line(tmp_path, capsys):
    out = tmp_path / "targets.csv"
    code = main(
        [
            "vipunen",
            str(SAMPLES / "vipunen_tutkinnot_koulutusala_sukupuoli_2012.csv"),
            "--field",
            "tekniikan",
            "--rel-uncertainty",
            "0.1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    frame = pd.read_csv(out)
    assert len(frame) == 3
    total = frame[frame["group"] == "all"].iloc[0]
    assert total["uncertainty"] == pytest.approx(math.sqrt(2 / 3 + 1520.6**2))
    assert main(["sepe", str(FI), "--out", str(out)]) == 2
    assert "not a SEPE training table" in capsys.readouterr().err


def test_hand_built_sample_targets_validate():
    from analysis.calibration.targets import read_targets

    frame = read_targets(SAMPLES / "targets_es_fundae_2022.csv")
    loaded = load_scenario(REPO / "scenarios" / "es" / "training_credit.yaml", ["start_date=2022-01-03"])
    targets, _ = validate_targets(frame, compile_scenario(loaded.config))
    assert len(targets) == 4
    assert targets[0].group == {"size": ("1-5", "6-9")}


# ---------------------------------------------------------------- labels in every dash and language


@pytest.mark.parametrize(
    ("label", "band"),
    [
        ("15–19-vuotiaat", (15, 19)),
        ("15-19-vuotiaat", (15, 19)),
        ("65–vuotiaat ja sitä vanhemmat", (65, OPEN)),
        ("14–vuotiaat ja sitä nuoremmat", (0, 14)),
        ("alle 30–vuotiaat", (0, 29)),
        ("25–29 år", (25, 29)),
        ("65 år eller äldre", (65, OPEN)),
        ("över 70 år", (71, OPEN)),
        ("Aged 14 or under", (0, 14)),
        ("Aged 25–29", (25, 29)),
        ("Aged 65 or older", (65, OPEN)),
        ("Mayores de 55", (56, OPEN)),
        ("De 16 a 25 años", (16, 25)),
        ("3 - 5 vuotta", (3, 5)),
    ],
)
def test_parse_age_in_every_dash_and_language(label, band):
    assert parse_age(label) == band


@pytest.mark.parametrize(
    ("label", "band"),
    [
        ("De 1 a 9", (1, 9)),
        ("1 a 5", (1, 5)),
        ("6-9", (6, 9)),
        ("250 y más", (250, OPEN)),
        ("Más de 249", (250, OPEN)),
    ],
)
def test_parse_size(label, band):
    assert parse_size(label) == band


def test_firm_sizes_map_to_the_models_bands():
    got = size_groups([(1, 9), (10, 49), (50, 249), (250, OPEN)])
    assert got[(1, 9)] == "1-5|6-9" and got[(250, OPEN)] == "250+"
    merged = size_groups([(1, 9), (10, 99), (100, 249), (250, OPEN)])  # 10-99 + 100-249 tile 10-249
    assert merged[(10, 99)] == merged[(100, 249)] == "10-49|50-249"


@pytest.mark.parametrize("text", ["−", "–", "—", "‒", "-", "..", ""])
def test_dash_empties_are_no_figure(text):
    assert parse_count(text) is None


def test_rounding_sets_variance_and_largest_error():
    assert read_count("1 203", " ", "vipunen") == Count(1203.0, 2 / 3, 1.0)
    assert read_count("1-4", " ", "vipunen") == Count(2.5, 1.25, 1.5)
    assert read_count("−", " ", "vipunen") is None
    printed = read_count("15,5", ".", "printed")
    assert (printed.value, printed.err) == (15.5, 0.05) and printed.var == pytest.approx(0.01 / 12)
    assert read_count(93, ".", "printed") == Count(93.0, 1 / 12, 0.5)


@pytest.mark.parametrize(
    ("label", "item"),
    [
        ("Uusimaa Yhteensä", "Uusimaa"),
        ("Total Uusimaa", "Uusimaa"),
        ("Etelä-Savo Summa", "Etelä-Savo"),
        ("Yhteensä", None),
    ],
)
def test_subtotal_labels(label, item):
    assert subtotal_of(label) == item


def test_region_captions_exclude_major_regions_and_codes():
    assert region_caption("Koulutuksen järjestäjän maakunta") and region_caption("Hemlandskap")
    assert not region_caption("Major region of education") and not region_caption(
        "Subregion of the institution"
    )
    assert not region_caption("Koodit maakunta") and not region_caption("Seutukunta")


def test_compact_pivot_with_two_levels_it_cannot_tell_apart_is_refused(tmp_path):
    path = tmp_path / "c.csv"
    rows = ["Tilastovuosi;2023", "", "Rivitunnisteet;Tutkinnon suorittaneet", "Tekniikan alat;300"]
    rows += ["Ajoneuvoalan perustutkinto;120", "Logistiikan perustutkinto;180", "Kokonaissumma;300"]
    path.write_text("\n".join(rows), encoding="utf-8")
    with pytest.raises(LoaderError, match=r"row 7 gives credentials_issued 2023 .* add up to 600"):
        load_vipunen_report(path)
