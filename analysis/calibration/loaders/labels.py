"""Labels in publishers' tables: totals, sexes, age and size bands, years, and the model's bands.

Why one module: every publisher writes the same things differently (``Yhteensä``, ``TOTAL``,
``AMBOS SEXOS``; ``15–19-vuotiaat``, ``De 25 a 29 años``, ``250 y más``), and a label misread is a
number put in the wrong group. Each reading rule lives here once.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from analysis.calibration.errors import StudyError
from model.compiled import AGE_BANDS
from model.params.schema import SIZE_BANDS

__all__ = [
    "LoaderError",
    "OPEN",
    "norm",
    "is_total",
    "subtotal_of",
    "gender",
    "parse_age",
    "parse_size",
    "parse_year",
    "band_groups",
    "age_groups",
    "size_groups",
]

#: Upper end of an open band (``50+``, ``250 y más``): larger than any age or firm size in the data.
OPEN = 10**6


class LoaderError(StudyError):
    """An export file the loader cannot read; the message names the file, the row and what was expected."""


_DASHES = re.compile("[\u2010-\u2015\u2212\u2043\ufe58\ufe63\uff0d]")


def norm(text: Any) -> str:
    """Lower case, accents removed, punctuation and every kind of dash to single spaces."""
    s = _DASHES.sub("-", str(text))  # en dash, minus sign ...: not dropped with the accents
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9+<>]+", " ", s.lower()).strip()


_TOTAL_WORDS = {
    "yhteensa",
    "kaikki",
    "kokonaissumma",
    "summa",
    "koko maa",
    "totalt",
    "totalsumma",
    "summa totalt",
    "hela landet",
    "total",
    "grand total",
    "all",
    "whole country",
    "ambos sexos",
    "total sexos",
    "todas las edades",
    "total edades",
    "total nacional",
    "todos",
    "todas",
    "total general",
    "suma total",
}
#: Words that make a pivot's subtotal row out of an item: ``Uusimaa Yhteensä``, ``Total Uusimaa``.
_SUBTOTAL = re.compile(
    r"^(?:(?:total|totalt|summa)\s+(.+?)|(.+?)\s+(?:yhteensä|yhteensa|summa|total|totalt|kokonaissumma))$",
    re.I,
)


def is_total(label: Any) -> bool:
    """True for a label that stands for every item of its dimension (``Yhteensä``, ``00 TOTAL``)."""
    n = re.sub(r"^\d+\s+", "", norm(label))  # "00 TOTAL"
    return n in _TOTAL_WORDS


def subtotal_of(label: str) -> str | None:
    """The item a pivot subtotal row belongs to (``Uusimaa Yhteensä`` → ``Uusimaa``), else None."""
    raw = str(label).strip()
    m = _SUBTOTAL.match(raw)
    if not m or is_total(raw):
        return None
    return (m.group(1) or m.group(2)).strip()


_WOMEN = {"nainen", "naiset", "naisia", "kvinna", "kvinnor", "female", "females", "woman", "women"}
_WOMEN |= {"mujer", "mujeres", "f"}
_MEN = {"mies", "miehet", "miehia", "man", "men", "male", "males", "hombre", "hombres", "varon", "varones"}
_MEN |= {"m"}


def gender(label: Any) -> str | None | bool:
    """``'f'``, ``'m'``, None for a total over sexes, False for a label that is not a sex."""
    n = norm(label)
    if not n or is_total(label):
        return None
    if n in _WOMEN:
        return "f"
    if n in _MEN:
        return "m"
    return False


_UNKNOWN = ("puuttuu", "desconocid", "no consta", "okand", "unknown", "missing", "sin especificar")


def _band(label: Any) -> tuple[int, int] | None:
    """(low, high) of a band label; open bands end at OPEN; None for totals and unknowns."""
    raw = str(label).strip()
    n = norm(label)
    if not n or is_total(label) or any(u in n for u in _UNKNOWN):
        return None
    nums = [int(x) for x in re.findall(r"\d+", n)]
    if not nums:
        return None
    x = nums[0]
    words = set(n.split())
    for sym, band in (("≤", (0, x)), ("<=", (0, x)), ("≥", (x, OPEN)), (">=", (x, OPEN))):
        if raw.startswith(sym):
            return band
    if raw.startswith("<"):
        return 0, x - 1
    if raw.startswith(">"):
        return x + 1, OPEN
    if len(nums) >= 2:
        return nums[0], nums[1]
    younger = ("y menos", "tai nuoremmat", "sita nuoremmat", "eller yngre", "or under", "or younger", "hasta")
    older = ("y mas", "o mas", "tai vanhemmat", "sita vanhemmat", "ja yli", "eller aldre", "och aldre")
    older += ("och over", "or older", "or over", "and over", "and older", "en adelante")
    if any(w in n for w in younger):
        return 0, x
    if words & {"alle", "under", "menos", "menores", "menor", "younger"}:
        return 0, x - 1
    if any(w in n for w in older) or raw.endswith("+"):
        return x, OPEN
    if words & {"yli", "over", "mayores", "mayor", "older"} or "mas de" in n:
        return x + 1, OPEN
    return x, x


def parse_age(label: Any) -> tuple[int, int] | None:
    """An age band from a label, in any dash or language Vipunen, MEFP, SEPE and FUNDAE use.

    ``15–19-vuotiaat`` → (15, 19); ``65–vuotiaat ja sitä vanhemmat`` → (65, OPEN); ``alle 15-vuotiaat``
    → (0, 14); ``Aged 14 or under`` → (0, 14); ``De 25 a 29 años`` → (25, 29); ``40 y más`` → (40,
    OPEN). Returns None for a total or an unknown age.
    """
    return _band(label)


def parse_size(label: Any) -> tuple[int, int] | None:
    """A firm-size band (workers): ``De 1 a 9`` → (1, 9), ``250 y más`` / ``Más de 249`` → (250, OPEN)."""
    return _band(label)


def parse_year(text: Any) -> int | None:
    """A calendar year written alone in a cell (``2023``, ``2023.0``), else None."""
    m = re.fullmatch(r"\s*((?:19|20)\d\d)(?:\.0+)?\s*", str(text))
    return int(m.group(1)) if m else None


def _model_bands(names: tuple[str, ...], first_low: int) -> list[tuple[str, int, int]]:
    out = []
    for i, name in enumerate(names):
        lo, _, hi = name.rstrip("+").partition("-")
        low = first_low if i == 0 else int(lo)
        out.append((name, low, OPEN if name.endswith("+") else int(hi)))
    return out


def band_groups(
    bands: list[tuple[int, int]], model: list[tuple[str, int, int]], youngest: int
) -> dict[tuple[int, int], str]:
    """Map data bands to model bands: merged in order until the span ends where a model band ends.

    The merged span becomes that band, or a union (``30-49|50+``) when it straddles model bands. A
    span must also start where a model band starts (the first may start at or below ``youngest``);
    bands that cannot be expressed are left out of the result, and so is a union of every band
    (that is the total, not a group).
    """
    ends = {hi for _, _, hi in model}
    out: dict[tuple[int, int], str] = {}
    pending: list[tuple[int, int]] = []

    def close(group: list[tuple[int, int]], open_end: bool) -> None:
        lo, hi = min(b[0] for b in group), max(b[1] for b in group)
        hit = [(name, a) for name, a, b in model if b >= lo and (open_end or a <= hi)]
        if not hit:
            return
        starts_right = lo == hit[0][1] or (hit[0][0] == model[0][0] and lo <= youngest)
        if starts_right and len(hit) < len(model):
            for b in group:
                out[b] = "|".join(name for name, _ in hit)

    for band in sorted(set(bands)):
        pending.append(band)
        if band[1] in ends or band[1] >= OPEN:
            close(pending, False)
            pending = []
    if pending and max(b[1] for b in pending) >= model[-1][1]:
        close(pending, True)  # the data reach into the last band and show nobody older
    return out


def age_groups(bands: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Map data age bands to the model's (``16-29``, ``30-49``, ``50+``); see ``band_groups``."""
    return band_groups(bands, _model_bands(AGE_BANDS, 0), youngest=16)


def size_groups(bands: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Map firm-size bands to the model's (``1-5`` ... ``250+``); ``1-9`` becomes ``1-5|6-9``."""
    model = [(name, lo, OPEN if name.endswith("+") else hi) for name, (lo, hi) in SIZE_BANDS.items()]
    return band_groups(bands, model, youngest=1)
