"""``python -m analysis.calibration.loaders``: written tables, one-line refusals with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from analysis.calibration.loaders import main
from tests.analysis.calibration.loaders.workbooks import write_csv, write_xlsb
from tests.conftest import REPO

SAMPLES = REPO / "data" / "samples"


def _run(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "analysis.calibration.loaders", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=120)


def test_module_command_writes_targets(tmp_path):
    out = tmp_path / "t.csv"
    done = _run(
        "fundae", str(SAMPLES / "fundae_cobertura_tamano_empresa.csv"), "--year", "2022", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out)
    assert set(frame["indicator"]) == {"credit_uptake_rate"} and set(frame["year"]) == {2022}


def test_refusal_is_one_line_naming_the_file_and_row_and_keeps_the_old_output(tmp_path):
    rows = [["Tilastovuosi", "Sukupuoli", "Uudet opiskelijat"], [2023, "Yhteensä", 30], [2023, "Mies", 12]]
    rows.append([2023, "Nainen", 27])
    bad = write_csv(tmp_path / "bad.csv", rows)
    out = tmp_path / "t.csv"
    out.write_text("finished results\n", encoding="utf-8")
    done = _run("vipunen", str(bad), "--out", str(out))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith(f"error: {bad}: row 2 gives new_learners 2023") and "rows 3, 4" in lines[0]
    assert out.read_text(encoding="utf-8") == "finished results\n"


def test_a_file_that_yields_nothing_exits_non_zero(tmp_path, capsys):
    only_over_20 = [["Tilastovuosi", "Ikäryhmä", "Uudet opiskelijat"], [2022, "yli 20-vuotiaat", 62748]]
    out = tmp_path / "t.csv"
    assert main(["vipunen", str(write_csv(tmp_path / "a.csv", only_over_20)), "--out", str(out)]) == 2
    assert "no targets could be read" in capsys.readouterr().err and not out.exists()
    empty = [["Tilastovuosi", "Sukupuoli", "Uudet opiskelijat"], [2023, "Mies", "−"], [2023, "Nainen", "−"]]
    assert main(["vipunen", str(write_csv(tmp_path / "e.csv", empty)), "--out", str(out)]) == 2
    assert "no data rows" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["mefp", "mefp_fp_grado_medio_nuevo_ingreso_2023-24.csv_sc", "--field", "Transporte"],
            "--field cannot be honoured",
        ),
        (
            ["mefp", "mefp_fp_grado_medio_nuevo_ingreso_2023-24.csv_sc", "--year", "2022"],
            "--year 2022: the title says",
        ),
        (
            ["sepe", "sepe_formacion_participantes_2024.csv", "--sheet", "Datos"],
            "--sheet 'Datos' given, but a CSV",
        ),
        (
            ["fundae", "fundae_participantes_sexo.csv", "--region-map", "region_map_es.yaml"],
            "--region-map cannot be",
        ),
        (["vipunen-api", "fundae_participantes_sexo.csv", "--sheet", "x"], "--sheet cannot be honoured"),
        (
            ["vipunen", "vipunen_uudet_opiskelijat_2022.csv", "--year", "2021"],
            "--year 2021: the file has figures for 2022",
        ),
    ],
)
def test_options_a_loader_cannot_honour_are_errors(tmp_path, capsys, args, message):
    kind, name, *rest = args
    rest = [str(SAMPLES / r) if r.endswith(".yaml") else r for r in rest]
    assert main([kind, str(SAMPLES / name), *rest, "--out", str(tmp_path / "t.csv")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_xlsb_report_from_the_command_line(tmp_path):
    rows = [["Tilastovuosi", "Oppilaitoksen maakunta", "Tutkinnon suorittaneet"], [2023, "Koko maa", 303]]
    rows += [[2023, "Uusimaa", 201], [2023, "Etelä-Savo", 102]]
    path = write_xlsb(tmp_path / "r.xlsb", {"Raporttiselite": [["Raportti"]], "Raportti": rows})
    out = tmp_path / "t.csv"
    args = ["vipunen", str(path), "--region-map", str(SAMPLES / "region_map_fi.yaml"), "--out", str(out)]
    assert main(args) == 0
    frame = pd.read_csv(out)
    assert frame.loc[frame["group"] == "all", "value"].item() == 303
    assert frame.loc[frame["group"] == "region=uusimaa", "value"].item() == 201
