"""Loaders: publishers' statistics files (Vipunen, MEFP, SEPE, FUNDAE) to the tidy targets table.

Why they read the publishers' own layouts: researchers download these files and should not have to
retype them, and a number read from the wrong row is worse than no number. One module per
publisher; what they share (reading sheets, finding a table's header, parsing counts with their
rounding, reading labels, checking parts against printed totals, summing into targets) lives in
the modules beside them. ``python -m analysis.calibration.loaders KIND FILE --out targets.csv``
converts a file from the command line (``cli``); docs/calibration.md §3 describes every layout.
"""

from analysis.calibration.loaders.cli import main
from analysis.calibration.loaders.counts import parse_count
from analysis.calibration.loaders.fundae import load_fundae
from analysis.calibration.loaders.labels import LoaderError, age_groups, parse_age
from analysis.calibration.loaders.mefp import load_mefp
from analysis.calibration.loaders.options import read_region_map
from analysis.calibration.loaders.sepe import load_sepe
from analysis.calibration.loaders.sheets import read_rows
from analysis.calibration.loaders.vipunen import load_vipunen_report
from analysis.calibration.loaders.vipunen_api import load_vipunen_api

__all__ = [
    "LoaderError",
    "load_vipunen_report",
    "load_vipunen_api",
    "load_mefp",
    "load_sepe",
    "load_fundae",
    "read_region_map",
    "read_rows",
    "parse_count",
    "parse_age",
    "age_groups",
    "main",
]
