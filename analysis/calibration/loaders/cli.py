"""``python -m analysis.calibration.loaders KIND FILE --out targets.csv``: one file to a targets table.

Why the command refuses rather than guesses: a file it cannot read the way it says, an option the
loader cannot honour, or a file that yields no target ends with one line naming the file (and the
row) and exit code 2, and the output file is not written, so a finished table is never overwritten
by a wrong one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.calibration.loaders.fundae import load_fundae
from analysis.calibration.loaders.labels import LoaderError
from analysis.calibration.loaders.mefp import load_mefp
from analysis.calibration.loaders.options import read_region_map
from analysis.calibration.loaders.sepe import load_sepe
from analysis.calibration.loaders.vipunen import load_vipunen_report
from analysis.calibration.loaders.vipunen_api import load_vipunen_api
from analysis.calibration.targets import TargetsError

__all__ = ["main", "LOADERS"]

Loader = Callable[..., tuple[pd.DataFrame, list[str]]]

#: Each kind: its loader and the country its figures are for.
LOADERS: dict[str, tuple[Loader, str]] = {
    "vipunen": (load_vipunen_report, "FI"),
    "vipunen-api": (load_vipunen_api, "FI"),
    "mefp": (load_mefp, "ES"),
    "sepe": (load_sepe, "ES"),
    "fundae": (load_fundae, "ES"),
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m analysis.calibration.loaders",
        description="Convert a Vipunen, MEFP, SEPE or FUNDAE statistics file to a tidy targets table.",
    )
    p.add_argument("kind", choices=list(LOADERS))
    p.add_argument("file")
    p.add_argument("--country", default=None, help="FI for Vipunen, ES for MEFP/SEPE/FUNDAE (the default)")
    p.add_argument(
        "--field",
        action="append",
        default=None,
        help="keep rows whose field, qualification or speciality contains this text (repeatable); "
        "without it, rows totalled over fields are used",
    )
    p.add_argument("--region-map", default=None, help="YAML: data region label -> scenario region")
    p.add_argument(
        "--year",
        type=int,
        default=None,
        help="calendar year: selects it when the file has several, dates the file when it states none",
    )
    p.add_argument(
        "--rel-uncertainty", type=float, default=0.0, help="relative mapping uncertainty added to every value"
    )
    p.add_argument("--sheet", default=None, help="workbook sheet to read (default: the report's sheet)")
    p.add_argument("--source", default=None, help="source text for every row (default: the file name)")
    p.add_argument("--out", required=True, help="tidy targets CSV to write")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (0 written, 2 refused)."""
    args = _parser().parse_args(argv)
    load, country = LOADERS[args.kind]
    try:
        if args.rel_uncertainty < 0:
            raise LoaderError(f"--rel-uncertainty {args.rel_uncertainty}: expected a number >= 0")
        frame, notes = load(
            args.file,
            country=args.country or country,
            field_contains=args.field,
            region_map=read_region_map(args.region_map),
            year=args.year,
            rel_uncertainty=args.rel_uncertainty,
            sheet=args.sheet,
            source=args.source,
        )
        if frame.empty:
            raise LoaderError(f"{args.file}: no targets could be read from it")
    except (LoaderError, TargetsError) as exc:
        print("error: " + " ".join(s.strip() for s in str(exc).splitlines()), file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    print(f"{len(frame)} targets written to {out}")
    return 0
