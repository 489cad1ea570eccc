"""The scenarios and sample data that ship with mcsim, and scenario arguments by name or by path.

Why names: an installed mcsim has no source tree to point at, so ``mcsim run fi/baseline`` must work
from any folder. A scenario argument is a path, as it always was, when that file exists; otherwise
it names a bundled scenario: ``fi/baseline``, ``fi/baseline.yaml`` or ``fi/workshop`` (a workshop
set, whose relative paths then resolve beside it, inside the bundle).

Where the bundle is: ``scenarios/`` and ``data/samples/`` stay at the top of the repository (DESIGN
§4) and ``pyproject.toml`` maps them into the wheel as the data-only namespace packages
``mcsim_data.scenarios`` and ``mcsim_data.samples``. An editable install maps the same names onto
the repository's folders, so both installs find them by import, never by walking up from a source
file. The folder is read from the package's ``__path__`` rather than ``importlib.resources``: an
editable install adds a placeholder entry to a namespace package's path that
``importlib.resources.files`` trips over on Python 3.12 and 3.13.
"""

from __future__ import annotations

import importlib
from pathlib import Path

__all__ = ["bundled_names", "bundled_scenario", "resolve_scenario", "samples_dir", "scenarios_dir"]

_SUFFIXES = (".yaml", ".yml")


def _package_dir(package: str) -> Path:
    module = importlib.import_module(package)
    for entry in module.__path__:
        if Path(entry).is_dir():
            return Path(entry)
    raise FileNotFoundError(f"{package}: the bundled data folder is missing from this mcsim installation")


def scenarios_dir() -> Path:
    """The folder of bundled scenarios (``fi/``, ``es/``, ``pt/``)."""
    return _package_dir("mcsim_data.scenarios")


def samples_dir() -> Path:
    """The folder of sample export files for the calibration loaders (see its README.md)."""
    return _package_dir("mcsim_data.samples")


def bundled_names() -> list[str]:
    """Every bundled scenario (and workshop set) by name, e.g. ``fi/baseline``, sorted."""
    root = scenarios_dir()
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.yaml"))


def _as_name(text: str) -> str:
    name = text.replace("\\", "/").strip("/")
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def bundled_scenario(name: str | Path) -> Path | None:
    """The bundled scenario file called ``name`` (``fi/baseline`` or ``fi/baseline.yaml``), if any."""
    name = _as_name(str(name))
    candidate = scenarios_dir() / f"{name}.yaml"
    return candidate if name and candidate.is_file() else None


def resolve_scenario(arg: str | Path) -> Path:
    """The scenario file that ``arg`` means: an existing path, else the bundled scenario of that name.

    Raises:
        ScenarioError: Neither a file nor a bundled name; the message lists the closest names.
    """
    path = Path(arg)
    if path.is_file():
        return path
    bundled = bundled_scenario(arg)
    if bundled is not None:
        return bundled
    import difflib

    from model.params.loader import ScenarioError  # the error path only: the loader is heavy to import

    names = bundled_names()
    close = difflib.get_close_matches(_as_name(str(arg)), names, n=4, cutoff=0.6)
    if close:
        hint = "did you mean " + ", ".join(close) + "?"
    else:
        by_country: dict[str, list[str]] = {}
        for n in names:
            country, _, rest = n.partition("/")
            by_country.setdefault(country, []).append(rest)
        hint = "bundled scenarios: " + "; ".join(f"{c}/{{{', '.join(r)}}}" for c, r in by_country.items())
    raise ScenarioError(f"{arg}: no such scenario file, and no bundled scenario of that name; {hint}")
