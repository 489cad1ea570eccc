"""Build the wheel and run mcsim from it, installed in a fresh venv, in a folder outside the source tree.

Why: an editable install finds everything in the checkout, so only an installed wheel shows whether
the bundled scenarios, the sample data and the dashboard's presets travel with the package.
``make test`` runs this before the test suite (``make wheel-check`` alone).

Fast on purpose: the fresh venv has no pip and no dependencies of its own; a ``.pth`` line puts this
environment's site-packages on its path (a path line only: the editable install's hooks there do
not run), and the wheel goes in with ``--no-deps``. The check then makes sure ``model`` and
``analysis`` come from the wheel, not from the checkout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
from importlib.util import find_spec
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: What the build reads: the wheel must not need anything else from the checkout.
SOURCES = ("pyproject.toml", "README.md", "model", "analysis", "scenarios", "data/samples")
SMALL = ["--set", "population.workers=300", "--set", "horizon_weeks=52"]


class CheckFailed(Exception):
    """A step of the check did not do what it should."""


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise CheckFailed(
            f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
    return proc.stdout


def build_wheel(tmp: Path) -> Path:
    """Build the wheel from a copy of what it is built from (stale build/ folders cannot leak in)."""
    src = tmp / "src"
    for rel in SOURCES:
        origin, target = REPO / rel, src / rel
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
    # with setuptools here, build with it (no download); otherwise pip fetches it for the build
    isolation = ["--no-build-isolation"] if find_spec("setuptools") else []
    dist = tmp / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *isolation, "-w", str(dist), str(src)], tmp
    )
    (wheel,) = dist.glob("mcsim-*.whl")
    return wheel


def install(wheel: Path, tmp: Path) -> Path:
    """A fresh venv with the wheel in it and this environment's packages reachable; its bin folder."""
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp).strip()
    )
    (site / "_mcsim_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)], tmp
    )
    return python.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode("utf-8", "replace")


def check_dashboard(bin_dir: Path, work: Path, env: dict[str, str]) -> None:
    """Start ``mcsim dashboard``, fetch its page, its layout and a script it serves, then stop it."""
    port = _free_port()
    log = (work / "dashboard.log").open("w")
    cmd = [str(bin_dir / "mcsim"), "dashboard", "--port", str(port), "--preset", "fi_pilot"]
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                page = _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    started = (work / "dashboard.log").read_text()
                    raise CheckFailed(f"the dashboard did not start:\n{started}") from None
                time.sleep(0.3)
        if "<title>mcsim dashboard</title>" not in page:
            raise CheckFailed("the dashboard's page has no title")
        layout = _get(f"http://127.0.0.1:{port}/_dash-layout")
        if "Finland: South Savo pilot" not in layout:
            raise CheckFailed("the dashboard's layout lacks the bundled presets")
        script = next(s for s in page.split('src="')[1:] if "_dash-component-suites" in s).split('"')[0]
        if len(_get(f"http://127.0.0.1:{port}{script}")) < 1000:
            raise CheckFailed(f"the dashboard does not serve its own scripts ({script})")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def check(tmp: Path) -> list[tuple[str, float]]:
    """Every step, with its time in seconds."""
    steps: list[tuple[str, float]] = []

    def step(name: str, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        steps.append((name, time.perf_counter() - t0))
        print(f"  {name}: {steps[-1][1]:.1f} s", flush=True)
        return out

    wheel = step("build the wheel", build_wheel, tmp)
    bin_dir = step("install it in a fresh venv", install, wheel, tmp)
    work = tmp / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    where = _run(
        [str(bin_dir / "python"), "-c", "import model, analysis; print(model.__file__, analysis.__file__)"],
        work,
        env,
    )
    if any(not Path(f).resolve().is_relative_to(tmp / "venv") for f in where.split()):
        raise CheckFailed(f"mcsim was imported from outside the installed wheel: {where}")
    print(f"  imported from the wheel: {where.split()[0]}")
    mcsim = str(bin_dir / "mcsim")
    step("mcsim validate fi/workshop", _run, [mcsim, "validate", "fi/workshop"], work, env)
    explained = step(
        "mcsim explain fi/baseline", _run, [mcsim, "explain", "fi/baseline", "--kind", "source"], work, env
    )
    if "    source: " not in explained:
        raise CheckFailed("mcsim explain printed no sources")
    demo = ["demo", "--reps", "2", "--engine", "vector", "--out", "demo", *SMALL]
    step("mcsim demo (small)", _run, [mcsim, *demo], work, env)
    for name in ("report.html", "summary.csv", "differences.csv", "manifest.json"):
        if not (work / "demo" / name).is_file():
            raise CheckFailed(f"mcsim demo wrote no {name}")
    step("mcsim dashboard (start, serve, stop)", check_dashboard, bin_dir, work, env)
    return steps


def main(argv: list[str] | None = None) -> int:
    """Run the check in a temporary folder (kept with ``--keep``); 0 when the wheel works."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="mcsim-wheel-"))
    print(f"Checking the wheel in {tmp}", flush=True)
    t0 = time.perf_counter()
    try:
        check(tmp)
    except (CheckFailed, subprocess.TimeoutExpired) as exc:
        print(f"wheel check FAILED: {exc}\n(files kept in {tmp})", file=sys.stderr)
        return 1
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"The wheel works from a clean folder ({time.perf_counter() - t0:.0f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
