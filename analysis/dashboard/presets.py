"""The dashboard's country presets and the policy scenarios a participant may start from.

Presets are bundled scenarios named as on the command line (``fi/baseline``), so the dashboard runs
the same from a source checkout and from an installed wheel.
"""

from __future__ import annotations

import functools
from pathlib import Path

from model.bundled import resolve_scenario

__all__ = ["PRESETS", "preset_path", "policy_options"]

#: Country presets: label and the bundled scenario of the pinned baseline.
PRESETS: dict[str, tuple[str, str]] = {
    "fi": ("Finland", "fi/baseline"),
    "es": ("Spain", "es/baseline"),
    "pt": ("Portugal", "pt/baseline"),
    "fi_pilot": ("Finland: South Savo pilot", "fi/south_savo_pilot"),
}


def preset_path(preset: str) -> Path:
    """The scenario file of a preset's pinned baseline."""
    return resolve_scenario(PRESETS[preset][1])


@functools.lru_cache(maxsize=8)
def _policy_files(folder: Path) -> tuple[tuple[str, str], ...]:
    import yaml  # here, not at the top: the command line reads PRESETS for its --preset choices

    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue  # `mcsim validate` reports broken files; the room gets the others
        if not isinstance(data, dict) or data.get("extends") != "baseline.yaml" or "pilot" in path.stem:
            continue
        name = data.get("name", path.stem)
        out.append((str(name["value"] if isinstance(name, dict) else name), str(path)))
    return tuple(out)


def policy_options(preset: str) -> list[dict[str, str]]:
    """Scenario files a participant may start from: the preset itself and its policy variants."""
    base = preset_path(preset)
    options = [{"label": "the preset as it is", "value": str(base)}]
    if base.name == "baseline.yaml":
        options += [{"label": name, "value": path} for name, path in _policy_files(base.parent)]
    return options
