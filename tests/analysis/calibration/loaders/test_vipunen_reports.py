"""Vipunen report downloads in their real layouts: tabular and compact pivots, XLSX and XLSB, filters."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.calibration.loaders import LoaderError, load_vipunen_report, parse_count, read_region_map
from tests.analysis.calibration.loaders.workbooks import write_csv, write_xlsb, write_xlsx
from tests.conftest import REPO

REGION_MAP = REPO / "data" / "samples" / "region_map_fi.yaml"
# Vipunen's own age labels (en dashes; from the age dimension of Vipunen's data warehouse)
AGES = [
    "14–vuotiaat ja sitä nuoremmat",
    "15–19-vuotiaat",
    "20–24-vuotiaat",
    "25–29-vuotiaat",
    "30–39-vuotiaat",
    "40–49-vuotiaat",
    "50–59-vuotiaat",
    "60–vuotiaat ja sitä vanhemmat",
]
MODEL_BAND = ["16-29"] * 4 + ["30-49"] * 2 + ["50+"] * 2
REGIONS = ["Uusimaa", "Etelä-Savo", "Lappi"]
SEXES = ["Mies", "Nainen"]


def shown(n: int) -> str | int:
    """A count as Vipunen shows it: '−' for 0, '1-4' for 1-4, else rounded to a multiple of 3."""
    if n == 0:
        return "−"
    if n <= 4:
        return "1-4"
    return int(3 * round(n / 3))


def value(cell) -> float:
    got = parse_count(cell)
    return 0.0 if got is None else got[0]


@pytest.fixture(scope="module")
def counts() -> dict[tuple[str, str, int], int]:
    """True counts by region, sex and age column; small ones included, so 1-4 bands and '−' appear."""
    rng = np.random.default_rng(19)
    out = {}
    for region in REGIONS:
        for sex in SEXES:
            for a in range(len(AGES)):
                out[(region, sex, a)] = int(rng.choice([0, 2, 3, 7, 40, 250, 1203]))
    return out


def tabular(counts, subtotal_word: str = "Yhteensä") -> list[list]:
    """A pivot in tabular form: region and sex down, age groups across, repeated labels blank."""

    def line(label_region, label_sex, cells):
        return [label_region, label_sex, *[shown(c) for c in cells], shown(sum(cells))]

    rows: list[list] = [
        ["Ammatillisen koulutuksen uudet opiskelijat maakunnittain"],
        [],
        ["Tiedot päivitetty 1.3.2024. Lähde: Vipunen"],
        [],
        ["Uudet opiskelijat", "", "Ikäryhmä"],
        ["Oppilaitoksen maakunta", "Sukupuoli", *AGES, "Kokonaissumma"],
    ]
    for region in REGIONS:
        for k, sex in enumerate(SEXES):
            rows.append(
                line(region if k == 0 else "", sex, [counts[(region, sex, a)] for a in range(len(AGES))])
            )
        per_age = [sum(counts[(region, s, a)] for s in SEXES) for a in range(len(AGES))]
        rows.append(line(f"{region} {subtotal_word}", "", per_age))
    grand = [sum(counts[(r, s, a)] for r in REGIONS for s in SEXES) for a in range(len(AGES))]
    rows.append(line("Kokonaissumma", "", grand))
    return rows


DESCRIPTION = [
    ["Raporttiselite"],
    [],
    ["Raportin nimi", "Ammatillisen koulutuksen uudet opiskelijat"],
    ["Tietolähde", "Opetushallinnon ja Tilastokeskuksen tietopalvelu Vipunen"],
    ["Tilastovuosi", "2023"],
]


def _row(frame, indicator, group="all"):
    sel = frame[(frame["indicator"] == indicator) & (frame["group"] == group)]
    assert len(sel) == 1, frame
    return sel.iloc[0]


@pytest.mark.parametrize("writer", [write_xlsx, write_xlsb], ids=["xlsx", "xlsb"])
def test_tabular_pivot_with_blank_labels_loads_the_files_own_totals(tmp_path, counts, writer):
    rows = tabular(counts)
    path = writer(
        tmp_path / f"report.{writer.__name__[-4:]}", {"Raporttiselite": DESCRIPTION, "Raportti": rows}
    )
    frame, notes = load_vipunen_report(path, region_map=read_region_map(REGION_MAP))
    grand = rows[-1]
    assert set(frame["year"]) == {2023}  # the year comes from the Raporttiselite sheet
    assert _row(frame, "new_learners")["value"] == value(grand[-1])
    for band in ("16-29", "30-49", "50+"):
        expected = sum(value(grand[2 + a]) for a in range(len(AGES)) if MODEL_BAND[a] == band)
        assert _row(frame, "new_learners", f"age={band}")["value"] == pytest.approx(expected)
    women = sum(value(r[-1]) for r in rows[6:] if r[1] == "Nainen")  # the printed row totals
    assert _row(frame, "new_learners", "gender=f")["value"] == pytest.approx(women)
    uusimaa = next(r for r in rows if r and r[0] == "Uusimaa Yhteensä")
    assert _row(frame, "new_learners", "region=uusimaa")["value"] == value(uusimaa[-1])
    assert _row(frame, "new_learners", "region=south_savo")["value"] == value(
        next(r for r in rows if r and r[0] == "Etelä-Savo Yhteensä")[-1]
    )
    assert "from the report filter" in frame["source"].iloc[0]


def test_xlsb_and_xlsx_give_the_same_targets(tmp_path, counts):
    sheets = {"Raporttiselite": DESCRIPTION, "Raportti": tabular(counts)}
    a, _ = load_vipunen_report(write_xlsx(tmp_path / "r.xlsx", sheets))
    b, _ = load_vipunen_report(write_xlsb(tmp_path / "r.xlsb", sheets))
    assert a.drop(columns="source").equals(b.drop(columns="source"))


def test_a_cell_that_contradicts_the_printed_total_is_refused_naming_the_rows(tmp_path, counts):
    rows = tabular(counts)
    rows[6][-1] = value(rows[6][-1]) + 30  # Uusimaa, Mies, Kokonaissumma column
    path = write_xlsx(tmp_path / "r.xlsx", {"Raporttiselite": DESCRIPTION, "Raportti": rows})
    with pytest.raises(
        LoaderError, match=r"r\.xlsx \[Raportti\]: row \d+ gives new_learners 2023 .* add up to"
    ):
        load_vipunen_report(path)


def test_subtotal_rows_in_english_and_swedish(tmp_path, counts):
    for word in ("Total", "Summa"):
        rows = tabular(counts, subtotal_word=word)
        path = write_xlsx(tmp_path / f"r_{word}.xlsx", {"Raporttiselite": DESCRIPTION, "Raportti": rows})
        frame, _ = load_vipunen_report(path, region_map=read_region_map(REGION_MAP))
        assert _row(frame, "new_learners")["value"] == value(rows[-1][-1])


def compact(counts, filter_rows: list[list]) -> list[list]:
    """A compact pivot: one 'Rivitunnisteet' column (region, then sex under it), subtotals on top."""
    rows = [["Uudet opiskelijat alueittain"], [], *filter_rows]
    rows += [["Rivitunnisteet", "Uudet opiskelijat"]]
    for region in REGIONS:
        by_sex = [sum(counts[(region, s, a)] for a in range(len(AGES))) for s in SEXES]
        rows.append([region, shown(sum(by_sex))])
        rows += [[sex, shown(by_sex[s])] for s, sex in enumerate(SEXES)]
    every = sum(counts.values())
    rows.append(["Kokonaissumma", shown(every)])
    return rows


def test_compact_pivot_with_the_year_as_a_report_filter(tmp_path, counts):
    rows = compact(counts, [["Tilastovuosi", 2022], []])
    path = write_xlsx(tmp_path / "c.xlsx", {"Raportti": rows})
    frame, _ = load_vipunen_report(path, region_map=read_region_map(REGION_MAP))
    assert set(frame["year"]) == {2022}
    assert _row(frame, "new_learners")["value"] == value(rows[-1][-1])
    women = sum(value(r[1]) for r in rows if r and r[0] == "Nainen")
    men = sum(value(r[1]) for r in rows if r and r[0] == "Mies")
    assert _row(frame, "new_learners", "gender=f")["value"] == pytest.approx(women)
    assert _row(frame, "new_learners", "region=uusimaa")["value"] == value(rows[5][1])
    assert _row(frame, "women_share")["value"] == pytest.approx(women / (women + men))


def test_compact_pivot_year_from_the_description_sheet_or_from_year(tmp_path, counts):
    rows = compact(counts, [])
    plain = write_xlsb(tmp_path / "c.xlsb", {"Raportti": rows})
    with pytest.raises(LoaderError, match="no year: .*pass --year"):
        load_vipunen_report(plain)
    assert set(load_vipunen_report(plain, year=2021)[0]["year"]) == {2021}
    described = write_xlsb(
        tmp_path / "d.xlsb", {"Raporttiselite": [["Tilastovuosi: 2024"]], "Raportti": rows}
    )
    assert set(load_vipunen_report(described)[0]["year"]) == {2024}
    with pytest.raises(LoaderError, match=r"filtered to 2024, but --year 2023"):
        load_vipunen_report(described, year=2023)


@pytest.mark.parametrize("shown_filter", ["(Useita kohteita)", "(Kaikki)", "2022, 2023"])
def test_a_report_filtered_to_several_years_is_refused(tmp_path, counts, shown_filter):
    path = write_xlsx(
        tmp_path / "c.xlsx", {"Raportti": compact(counts, [["Tilastovuosi", shown_filter], []])}
    )
    with pytest.raises(
        LoaderError, match=r"c\.xlsx \[Raportti\]: row 3: the report is filtered to .*one statistical year"
    ):
        load_vipunen_report(path)


# Region captions Vipunen uses (Finnish, Swedish, English) in its data warehouse and reports
CAPTIONS = [
    "Maakunta",
    "Oppilaitoksen maakunta",
    "Koulutuksen järjestäjän maakunta",
    "Kunnan maakunta",
    "Toimipisteen maakunta",
    "Koulutuksen maakunta",
    "Kotimaakunta",
    "Asuinmaakunta",
    "Landskap",
    "Läroanstaltens landskap",
    "Utbildningsanordnarens landskap",
    "Hemlandskap",
    "Region",
    "Region of the institution",
    "Region of the education provider",
    "Region of education",
    "Region of residence",
]


@pytest.mark.parametrize("caption", CAPTIONS)
def test_every_region_caption_is_a_region_and_never_doubles_the_total(tmp_path, caption):
    rows = [
        ["Tilastovuosi", caption, "Uudet opiskelijat"],
        [2023, "Yhteensä", 1206],
        [2023, "Uusimaa", 600],
        [2023, "Etelä-Savo", 306],
        [2023, "Lappi", 300],
    ]
    path = write_csv(tmp_path / "r.csv", rows)
    frame, notes = load_vipunen_report(path)
    assert _row(frame, "new_learners")["value"] == 1206  # not 2412
    frame, _ = load_vipunen_report(path, region_map=read_region_map(REGION_MAP))
    assert _row(frame, "new_learners", "region=south_savo")["value"] == 306


def test_swedish_and_english_region_names_match_a_finnish_region_map(tmp_path):
    for names in (["Nyland", "Södra Savolax", "Lappland"], ["Uusimaa", "South Savo", "Lapland"]):
        rows = [["Statistikår", "Läroanstaltens landskap", "Nya studerande"], [2023, "Totalt", 1206]]
        rows += [[2023, n, v] for n, v in zip(names, (600, 306, 300), strict=True)]
        frame, _ = load_vipunen_report(
            write_csv(tmp_path / "sv.csv", rows), region_map=read_region_map(REGION_MAP)
        )
        assert _row(frame, "new_learners", "region=south_savo")["value"] == 306
        assert _row(frame, "new_learners", "region=uusimaa")["value"] == 600


def test_an_unknown_dimension_with_a_total_row_is_not_added_to_it(tmp_path):
    rows = [["Tilastovuosi", "Hyvinvointialue", "Uudet opiskelijat"], [2023, "Yhteensä", 900]]
    rows += [[2023, "Pirkanmaan hyvinvointialue", 600], [2023, "Lapin hyvinvointialue", 300]]
    frame, _ = load_vipunen_report(write_csv(tmp_path / "h.csv", rows))
    assert _row(frame, "new_learners")["value"] == 900


def test_privacy_bands_and_rounding_set_the_tolerance(tmp_path):
    ok = [["Tilastovuosi", "Sukupuoli", "Uudet opiskelijat"], [2023, "Yhteensä", 9], [2023, "Mies", "1-4"]]
    ok.append([2023, "Nainen", 6])  # 2.5 + 6 = 8.5 vs 9: within 1 + 1.5 + 1
    frame, _ = load_vipunen_report(write_csv(tmp_path / "ok.csv", ok))
    assert _row(frame, "new_learners")["value"] == 9
    bad = [["Tilastovuosi", "Sukupuoli", "Uudet opiskelijat"], [2023, "Yhteensä", 12], [2023, "Mies", "1-4"]]
    bad.append([2023, "Nainen", "1-4"])  # at most 8 in truth, at least 11 in the total
    with pytest.raises(
        LoaderError,
        match=r"bad\.csv: row 2 gives .* rows 3, 4 \(by gender\) add up to 5; expected .* within ±4 ",
    ):
        load_vipunen_report(write_csv(tmp_path / "bad.csv", bad))


def test_header_deep_in_the_sheet_with_dash_empties(tmp_path):
    notes = [[f"Huomautus {i}: tiedot ovat alustavia."] for i in range(30)]
    rows = [*notes, [], ["Tilastovuosi", "Ikäryhmä", "Tutkinnon suorittaneet"]]
    rows += [[2023, "Yhteensä", 15], [2023, "15–19-vuotiaat", 9], [2023, "20–24-vuotiaat", "‒"]]
    rows += [[2023, "65–vuotiaat ja sitä vanhemmat", 6], [2023, "Tieto puuttuu", "−"]]
    frame, notes_out = load_vipunen_report(write_csv(tmp_path / "deep.csv", rows))
    assert _row(frame, "credentials_issued")["value"] == 15


def test_years_across_the_columns_and_year_selects_one(tmp_path):
    rows = [["Uudet opiskelijat", "Tilastovuosi"], ["Sukupuoli", 2022, 2023, "Kokonaissumma"]]
    rows += [["Mies", 300, 330, 630], ["Nainen", 210, 240, 450], ["Kokonaissumma", 510, 570, 1080]]
    path = write_xlsx(tmp_path / "y.xlsx", {"Raportti": rows})
    frame, _ = load_vipunen_report(path)
    assert sorted(set(frame["year"])) == [2022, 2023]
    frame, _ = load_vipunen_report(path, year=2023)
    assert set(frame["year"]) == {2023} and _row(frame, "new_learners")["value"] == 570
    with pytest.raises(LoaderError, match="--year 2019: the file has figures for 2022, 2023 only"):
        load_vipunen_report(path, year=2019)


def test_options_the_report_cannot_honour_are_refused(tmp_path):
    rows = [["Tilastovuosi", "Sukupuoli", "Uudet opiskelijat"], [2023, "Mies", 3], [2023, "Nainen", 6]]
    path = write_csv(tmp_path / "r.csv", rows)
    with pytest.raises(LoaderError, match="--region-map cannot be honoured: the table has no region column"):
        load_vipunen_report(path, region_map={"uusimaa": "uusimaa"})
    with pytest.raises(LoaderError, match="field filter was given but the table has no field"):
        load_vipunen_report(path, field_contains=["Ajoneuvo"])
    with pytest.raises(LoaderError, match="CSV file has no sheets"):
        load_vipunen_report(path, sheet="Raportti")


def test_a_filter_on_sex_or_region_makes_every_figure_that_group(tmp_path, counts):
    rows = compact(counts, [["Tilastovuosi", 2022], ["Sukupuoli", "Nainen"], []])
    rows = [r for r in rows if not r or r[0] not in SEXES]  # a report filtered to women: regions only
    frame, _ = load_vipunen_report(write_xlsx(tmp_path / "f.xlsx", {"Raportti": rows}))
    assert list(frame["group"]) == ["gender=f"]  # not 'all': the men are not in the file
    assert frame["value"].iloc[0] == value(rows[-1][1])
    several = compact(counts, [["Tilastovuosi", 2022], ["Oppilaitoksen maakunta", "(Useita kohteita)"], []])
    with pytest.raises(
        LoaderError, match=r"row 4: the report is filtered to '\(Useita kohteita\)'; expected one region"
    ):
        load_vipunen_report(write_xlsx(tmp_path / "s.xlsx", {"Raportti": several}))
