"""MEFP/educabase JAXI exports: sex in the columns or as row sections, provinces, options."""

from __future__ import annotations

import pytest

from analysis.calibration.loaders import LoaderError, load_mefp, read_region_map
from tests.analysis.calibration.loaders.workbooks import write_csv
from tests.conftest import REPO

REGION_MAP = REPO / "data" / "samples" / "region_map_es.yaml"
TITLE = (
    "FP GRADO MEDIO 3.9 Alumnado de nuevo ingreso por comunidad autónoma/provincia, sexo y edad. "
    "Curso 2022-2023"
)
AGES = ["Total", "16 y menos", "17 a 29 años", "30 a 49 años", "50 y más"]
# by sex (women, men) and community: (age cells), provinces under each
DATA = {
    "f": {"13 MADRID (COMUNIDAD DE)": [10, 20, 30, 40], "15 NAVARRA (COMUNIDAD FORAL DE)": [1, 2, 3, 4]},
    "m": {"13 MADRID (COMUNIDAD DE)": [15, 25, 35, 45], "15 NAVARRA (COMUNIDAD FORAL DE)": [2, 3, 4, 5]},
}
PROVINCES = {"13 MADRID (COMUNIDAD DE)": "28 Madrid", "15 NAVARRA (COMUNIDAD FORAL DE)": "31 Navarra"}


def _fmt(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _line(label: str, cells: list[int]) -> list:
    return [label, _fmt(sum(cells)), *[_fmt(c) for c in cells]]


def _both(region: str) -> list[int]:
    return [a + b for a, b in zip(DATA["f"][region], DATA["m"][region], strict=True)]


def sections(with_figures: bool = False) -> list[list]:
    """Sex as row sections: AMBOS SEXOS, Hombres, Mujeres, each with 00 TOTAL, communities, provinces."""
    rows = [[TITLE], ["", *AGES]]
    for section, key in (("AMBOS SEXOS", None), ("Hombres", "m"), ("Mujeres", "f")):
        by_region = {r: (_both(r) if key is None else DATA[key][r]) for r in PROVINCES}
        national = [sum(v[a] for v in by_region.values()) for a in range(4)]
        rows.append(_line(section, national) if with_figures else [section])
        rows.append(_line("00 TOTAL", national))
        for region, cells in by_region.items():
            rows += [_line(region, cells), _line(PROVINCES[region], cells)]
    return rows


def _row(frame, indicator, group="all"):
    sel = frame[(frame["indicator"] == indicator) & (frame["group"] == group)]
    assert len(sel) == 1, frame
    return sel.iloc[0]


@pytest.mark.parametrize("with_figures", [False, True], ids=["label-rows", "rows-with-figures"])
def test_sex_as_row_sections_is_not_summed(tmp_path, with_figures):
    path = write_csv(tmp_path / "t.csv_sc", sections(with_figures))
    frame, notes = load_mefp(path, region_map=read_region_map(REGION_MAP))
    women = sum(sum(v) for v in DATA["f"].values())
    men = sum(sum(v) for v in DATA["m"].values())
    assert _row(frame, "new_learners")["value"] == women + men  # not twice or three times
    assert _row(frame, "new_learners", "gender=f")["value"] == women
    assert _row(frame, "new_learners", "gender=m")["value"] == men
    assert _row(frame, "new_learners", "region=madrid")["value"] == sum(_both("13 MADRID (COMUNIDAD DE)"))
    assert _row(frame, "women_share")["value"] == pytest.approx(women / (women + men))
    assert any("province rows" in n for n in notes) and not any("Hombres" in n for n in notes)


def test_sex_in_a_first_column_beside_the_regions(tmp_path):
    rows = [[TITLE], ["", "", *AGES]]
    for section, key in (("Ambos sexos", None), ("Hombres", "m"), ("Mujeres", "f")):
        by_region = {r: (_both(r) if key is None else DATA[key][r]) for r in PROVINCES}
        national = [sum(v[a] for v in by_region.values()) for a in range(4)]
        rows.append([section, *_line("00 TOTAL", national)])
        rows += [["", *_line(r, cells)] for r, cells in by_region.items()]
    frame, _ = load_mefp(write_csv(tmp_path / "t.csv_sc", rows))
    assert _row(frame, "new_learners", "gender=f")["value"] == sum(sum(v) for v in DATA["f"].values())
    assert _row(frame, "new_learners", "age=16-29")["value"] == sum(
        sum(v[:2]) for d in DATA.values() for v in d.values()
    )
    assert _row(frame, "new_learners", "age=50+")["value"] == sum(
        v[3] for d in DATA.values() for v in d.values()
    )


def test_sex_in_the_columns(tmp_path):
    header = [["", "AMBOS SEXOS", "", "", "", "", "Hombres", "", "", "", "", "Mujeres"], ["", *AGES * 3]]
    rows = [[TITLE], *header]
    for label in ["00 TOTAL", *PROVINCES]:
        if label == "00 TOTAL":
            f = [sum(v[a] for v in DATA["f"].values()) for a in range(4)]
            m = [sum(v[a] for v in DATA["m"].values()) for a in range(4)]
        else:
            f, m = DATA["f"][label], DATA["m"][label]
        both = [a + b for a, b in zip(f, m, strict=True)]
        rows.append([label, *_line("", both)[1:], *_line("", m)[1:], *_line("", f)[1:]])
    frame, _ = load_mefp(write_csv(tmp_path / "t.csv_c", rows, sep=","))
    assert _row(frame, "new_learners", "gender=m")["value"] == sum(sum(v) for v in DATA["m"].values())


def test_sections_that_contradict_the_total_are_refused(tmp_path):
    rows = sections()
    i = next(k for k, r in enumerate(rows) if r[0] == "Mujeres")
    rows[i + 1][1] = "999"  # Mujeres, 00 TOTAL, Total column
    with pytest.raises(LoaderError, match=r"t\.csv_sc: row \d+ gives new_learners 2022 .* add up to"):
        load_mefp(write_csv(tmp_path / "t.csv_sc", rows))


def test_year_and_field_mean_what_they_say(tmp_path):
    path = write_csv(tmp_path / "t.csv_sc", sections())
    assert set(load_mefp(path, year=2022)[0]["year"]) == {2022}
    with pytest.raises(LoaderError, match="--year 2023: the title says school year 2022-2023"):
        load_mefp(path, year=2023)
    with pytest.raises(LoaderError, match="--field cannot be honoured: the table has no professional-family"):
        load_mefp(path, field_contains=["Transporte y mantenimiento"])
    family = [
        ["Alumnado matriculado. TRANSPORTE Y MANTENIMIENTO DE VEHÍCULOS. Curso 2017-2018"],
        ["", "Total"],
    ]
    family += [["00 TOTAL", "7.050"]]
    frame, _ = load_mefp(
        write_csv(tmp_path / "f.csv_sc", family), field_contains=["transporte y mantenimiento"]
    )
    assert _row(frame, "learners")["value"] == 7050
    with pytest.raises(LoaderError, match="CSV file has no sheets"):
        load_mefp(path, sheet="x")
