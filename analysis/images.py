"""Static images (PNG and SVG) of the report's main charts, for slides.

Why through kaleido with the system's Chromium: Plotly's static export (kaleido ≥ 1) drives a
headless Chrome; its own browser download cannot work offline, so we point it (``BROWSER_PATH``) at
the distribution's ``chromium`` when the user has not chosen one. All images are written in one
browser session (``plotly.io.write_images``), which is much faster than one start per image.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import plotly.io as pio

from analysis.report import HEADLINE, difference_figure, funders_figure, scorecard_figure, trajectory_figure
from analysis.targets import TARGETS, Target

__all__ = ["ImageError", "find_browser", "main_figures", "write_images"]

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


class ImageError(RuntimeError):
    """Static images cannot be written (no Chrome/Chromium, or kaleido missing)."""


def find_browser() -> str | None:
    """The browser kaleido will use: ``BROWSER_PATH`` if set, else a Chrome/Chromium on PATH."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env
    return next((p for p in map(shutil.which, _CANDIDATES) if p), None)


def main_figures(
    tables: Mapping[str, pd.DataFrame], targets: Mapping[str, Target] = TARGETS
) -> dict[str, object]:
    """The slide charts by file stem: scorecard, headline trajectories and differences, funders."""
    summary, kpis = tables["summary"], tables["kpis"]
    diff = tables.get("differences")
    diff = diff if diff is not None and not diff.empty else None
    names = [n for n in HEADLINE if n in set(summary["kpi"])]
    labels = list(dict.fromkeys(summary["scenario"]))
    figs: dict[str, object] = {"scorecard": scorecard_figure(summary, diff, names, targets)}
    worlds = tables.get("ensemble_trajectories")
    for n in names:
        figs[f"trajectory_{n}"] = trajectory_figure(kpis, n, labels, worlds, targets)
    if diff is not None:
        for n in names:
            if diff.loc[diff["kpi"] == n, "diff"].notna().any():
                figs[f"difference_{n}"] = difference_figure(diff, n)
    figs["funders"] = funders_figure(summary)
    return figs


def write_images(
    out_dir: Path,
    tables: Mapping[str, pd.DataFrame],
    formats: Sequence[str] = ("png", "svg"),
    targets: Mapping[str, Target] = TARGETS,
) -> list[Path]:
    """Write the main charts into ``out_dir/images/`` in each format; returns the paths.

    Raises:
        ImageError: if no Chrome/Chromium is found or kaleido is not installed.
    """
    browser = find_browser()
    if browser is None:
        raise ImageError(
            "static images need Chrome or Chromium: install it (Debian: apt-get install chromium) "
            "or point BROWSER_PATH at one"
        )
    os.environ.setdefault("BROWSER_PATH", browser)
    try:
        import kaleido  # noqa: F401
    except ImportError:
        raise ImageError("static images need kaleido >= 1 (pip install 'kaleido>=1')") from None
    folder = Path(out_dir) / "images"
    folder.mkdir(parents=True, exist_ok=True)
    figs = main_figures(tables, targets)
    paths = [folder / f"{stem}.{fmt}" for fmt in formats for stem in figs]
    ordered = [figs[p.stem] for p in paths]
    widths = [1400 if p.stem in ("scorecard", "funders") else 900 for p in paths]
    try:
        pio.write_images(ordered, paths, width=widths, scale=2)
    except Exception as exc:  # kaleido reports a missing or broken browser in several ways
        raise ImageError(f"static images failed ({type(exc).__name__}: {exc})") from None
    return paths
