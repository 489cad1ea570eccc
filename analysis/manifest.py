"""The one manifest every command writes: what ran, on what, where and how, so it can be run again.

Why one builder: a result folder is read by people, by ``mcsim rerun`` and by the report long after
the run, so a key must mean the same in every folder. The common keys are below; what only one
command has goes in a section under that command's name (``calibrate``, ``sensitivity``, ``sweep``,
``ensemble``). A key that does not apply to a command is ``null``, never reused for something else.

- ``command``: the sub-command name (``run``, ``compare``, ``rerun``, ``demo``, ``sweep``,
  ``calibrate``, ``sensitivity``); ``argv``: the full command line as typed.
- ``mcsim_version``, ``created`` (UTC), ``python``, ``platform``, ``dependencies`` (installed versions).
- ``seed``: the base seed every run seed derives from; ``reps``: runs of each configuration
  (scenario, parameter vector or design point); ``seeds``: the run seeds every configuration shares
  (common random numbers), ``null`` where each run's seed comes from its own identity (sweeps).
- ``engine``: the engine asked for (``auto``, ``vector`` or ``mesa``); ``deadweight``: whether the
  counterfactual runs that measure deadweight were made.
- ``executor``: where the runs went (``executor``, ``scheduler``, ``jobs``).
- ``scenarios``: each scenario's ``name``, ``path``, ``extends_chain`` and ``hash``, the content hash
  of the scenario as run (its file with the overrides), plus per-scenario figures a command adds;
  ``overrides``: the ``--set`` texts applied to every scenario.
- ``targets``: the KPI targets results were judged against (``null`` where none were).
- ``seconds``: wall-clock seconds of the command's runs.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model.params import LoadedScenario

__all__ = ["DEPENDENCIES", "manifest", "now", "resume", "scenario_entry", "versions", "write_manifest"]

#: Packages whose installed versions every manifest records.
DEPENDENCIES = (
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "pydantic",
    "pyyaml",
    "plotly",
    "networkx",
    "SALib",
    "pyabc",
    "dask",
    "distributed",
    "ema_workbench",
    "pymoo",
)


def versions(deps: Sequence[str] = DEPENDENCIES) -> dict[str, str]:
    """Installed versions of the packages a result depends on."""
    found = {}
    for dep in deps:
        try:
            found[dep] = version(dep)
        except PackageNotFoundError:
            found[dep] = "not installed"
    return found


def now() -> str:
    """The current UTC time, as manifests write it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def scenario_entry(loaded: LoadedScenario, **extra: Any) -> dict[str, Any]:
    """A scenario as manifests list it: name, file, extends chain, content hash, then ``extra``."""
    return {
        "name": loaded.config.name,
        "path": str(loaded.path),
        "extends_chain": list(loaded.chain),
        "hash": loaded.hash,
        **extra,
    }


def manifest(
    command: str,
    *,
    scenarios: Sequence[Mapping[str, Any]],
    seed: int,
    engine: str,
    executor: Mapping[str, Any] | None,
    overrides: Sequence[str] = (),
    reps: int | None = None,
    seeds: Sequence[int] | None = None,
    deadweight: bool | None = None,
    targets: Mapping[str, Any] | None = None,
    seconds: float | None = None,
    argv: Sequence[str] | None = None,
    created: str | None = None,
    sections: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The manifest of one command (the keys are described in this module's docstring).

    Args:
        command: The sub-command name.
        scenarios: Entries made by :func:`scenario_entry`.
        seed: The base seed.
        engine: The engine asked for.
        executor: ``Runner.describe()`` of the runner that ran the jobs.
        overrides: The ``--set`` texts.
        reps: Runs of each configuration.
        seeds: Run seeds shared by every configuration.
        deadweight: Whether deadweight counterfactuals were run.
        targets: KPI targets (``analysis.targets.targets_to_meta``).
        seconds: Wall-clock seconds of the runs.
        argv: The command line; default ``sys.argv``.
        created: When the results were first written (a resumed sweep keeps its own); default now.
        sections: Command-specific sections, each under its own key.
    """
    common = {"command", "argv", "scenarios", "seed", "reps", "seeds", "engine", "executor", "targets"}
    clash = sorted(set(sections or {}) & (common | {"overrides", "deadweight", "seconds", "created"}))
    if clash:
        raise ValueError(f"manifest sections may not reuse common keys: {', '.join(clash)}")
    return {
        "command": command,
        "argv": list(sys.argv if argv is None else argv),
        "mcsim_version": _mcsim_version(),
        "created": created or now(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "dependencies": versions(),
        "seed": seed,
        "reps": reps,
        "seeds": None if seeds is None else [int(s) for s in seeds],
        "engine": engine,
        "deadweight": deadweight,
        "executor": dict(executor) if executor is not None else None,
        "scenarios": [dict(s) for s in scenarios],
        "overrides": list(overrides),
        "targets": dict(targets) if targets is not None else None,
        "seconds": None if seconds is None else round(seconds, 3),
        **{k: dict(v) for k, v in (sections or {}).items()},
    }


def write_manifest(path: Path, meta: Mapping[str, Any]) -> None:
    """Write a manifest as indented JSON (NumPy values as lists and numbers, anything else as text).

    Through a temporary file and a rename: a sweep rewrites its manifest after every session, and a
    kill must leave the old one or the new one, never half of one.
    """
    from analysis.execution import write_atomic

    text = json.dumps(meta, indent=2, default=_plain)
    write_atomic(Path(path), lambda p: p.write_text(text, encoding="utf-8"))


def resume(
    folder: Path, filename: str, command: str, identity: Mapping[str, Any], error: type[Exception]
) -> tuple[list[dict[str, Any]], str | None]:
    """The sessions and creation time of the results a resumable command goes on with in ``folder``.

    Why: a sweep or a search killed midway is resumed by the same command into the same folder. It
    may write there only if the folder is empty or holds its own manifest with the same identity
    (what makes a stored run the same run); anything else is refused with ``error``, naming the
    folder, and nothing in it is touched. An empty or new folder gives no sessions.
    """
    path = Path(folder) / filename
    if folder.exists() and not folder.is_dir():
        raise error(f"{folder}: exists and is not a folder")
    if folder.exists() and any(folder.iterdir()) and not path.exists():
        raise error(f"{folder}: already holds other results (no {filename}); choose another --out")
    if not path.exists():
        return [], None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        old = meta.get(command, meta)  # a sweep.json before the common manifest kept its section at the top
        before, sessions = dict(old["identity"]), list(old.get("sessions", []))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise error(f"{path}: unreadable ({exc}); choose another --out") from None
    diff = [k for k in identity if before.get(k) != identity[k]]
    if diff:
        k = diff[0]
        was, new = before.get(k), identity[k]
        raise error(
            f"{folder}: holds runs of a different {command} ({k} was {was!r}, now {new!r}); "
            "its finished runs are kept: choose another --out"
        )
    return sessions, meta.get("created")


def _plain(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)  # NumPy scalars and arrays
    return tolist() if callable(tolist) else str(value)


def _mcsim_version() -> str:
    from model import __version__

    return __version__
