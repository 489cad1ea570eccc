"""Vipunen API (Finland): the JSON array of ``GET https://api.vipunen.fi/api/resources/{resource}/data``.

Resources read: ``amm_opiskelijat_ja_tutkinnot_kuukausi_maakunta`` (month × region × sex × age, no
qualification: all VET) and ``amm_opiskelijat_ja_tutkinnot_vuosi_tutkinto`` (year × qualification,
no sex or age). Months are summed to calendar years (not the monthly student stock); ``Tieto
puuttuu`` (missing) counts in totals and is left out of groups. The API omits empty cells and
prints no totals, so there is nothing to check sums against.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Unpack

import pandas as pd

from analysis.calibration.loaders.cells import UNKNOWN, Cells, Record, age_label, select, to_targets
from analysis.calibration.loaders.counts import read_count
from analysis.calibration.loaders.labels import LoaderError, gender, norm
from analysis.calibration.loaders.options import LoaderOptions, Options, choose_years
from analysis.calibration.loaders.vipunen import REGION_ALIASES, SHARES

__all__ = ["load_vipunen_api", "API_FIELDS"]

#: The API's count fields → indicator.
API_FIELDS = {
    "uudetOpiskelijatLkm": "new_learners",
    "opiskelijatLkm": "learners",
    "tutkinnonSuorittaneetLkm": "credentials_issued",
}
_FIELD_KEYS = ("tutkinto", "tutkintotyyppi", "koulutusala")
_NAMES = ("gender", "age", "region", "other:field")


def load_vipunen_api(
    path: str | Path,
    **options: Unpack[LoaderOptions],
) -> tuple[pd.DataFrame, list[str]]:
    """The JSON array of a Vipunen API resource → (targets, notes)."""
    opts = Options.of("FI", options)
    opts.refuse(str(path), sheet="a JSON file has no sheets")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoaderError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise LoaderError(f"{path}: expected a JSON array of records, as the Vipunen API returns")
    if not data:
        raise LoaderError(f"{path}: the JSON array is empty")
    keys = set().union(*(d.keys() for d in data))
    if "tilastovuosi" not in keys:
        raise LoaderError(f"{path}: records have no 'tilastovuosi' field; is this a Vipunen resource?")
    monthly = "kuukausi" in keys
    measures = [k for k in API_FIELDS if k in keys and not (monthly and k == "opiskelijatLkm")]
    if not measures:
        raise LoaderError(f"{path}: no measure field ({', '.join(API_FIELDS)})")
    field_keys = [k for k in _FIELD_KEYS if k in keys]
    if opts.fields and not field_keys:
        opts.refuse(
            str(path), fields="this resource has no qualification field (the monthly resource covers all VET)"
        )
    if opts.region_map and "oppilaitoksenMaakunta" not in keys:
        opts.refuse(str(path), region_map="this resource has no region field")
    notes = []
    if monthly and "opiskelijatLkm" in keys:
        notes.append("opiskelijatLkm (students in the month) is a stock and was not summed over months")
    records = []
    for i, rec in enumerate(data, start=1):
        try:
            y = int(rec["tilastovuosi"])
        except (KeyError, TypeError, ValueError):
            raise LoaderError(
                f"{path}: record {i}: tilastovuosi {rec.get('tilastovuosi')!r} is not a opts.year"
            ) from None
        g = gender(rec["sukupuoli"]) if "sukupuoli" in rec else None
        a = age_label(rec["ika"]) if "ika" in rec else None
        r = rec.get("oppilaitoksenMaakunta")
        r = UNKNOWN if r is not None and "puuttuu" in norm(r) else r
        field = " ".join(str(rec.get(k, "")) for k in field_keys) or None
        for k in measures:
            try:
                count = read_count(rec.get(k), " ", "exact")
            except LoaderError as exc:
                raise LoaderError(f"{path}: record {i}, {k}: {exc}; expected a count") from None
            if count is not None:
                dims = (g if g is not False else UNKNOWN, a, r, field)
                records.append(Record(API_FIELDS[k], y, dims, count, i))
    years = choose_years({r.year for r in records}, opts.year, str(path))
    records = select([r for r in records if r.year in years], _NAMES, opts.fields, str(path))
    cells = Cells.of(records, _NAMES)
    cells.notes.extend(notes)
    frame = to_targets(
        cells,
        {m: m for m in API_FIELDS.values() if any(r.measure == m for r in records)},
        country=opts.country,
        source=opts.source or f"Vipunen API {Path(path).name}",
        region_map=opts.region_map,
        rel_uncertainty=opts.rel_uncertainty,
        region_aliases=REGION_ALIASES,
        shares=SHARES,
    )
    return frame, cells.notes
