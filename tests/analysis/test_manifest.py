"""One manifest builder: every command writes the same common keys with one meaning each."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from analysis.manifest import manifest
from tests.analysis.test_sweep import write_spec
from tests.conftest import FI

COMMON = {
    "command",
    "argv",
    "mcsim_version",
    "created",
    "python",
    "platform",
    "dependencies",
    "seed",
    "reps",
    "seeds",
    "engine",
    "deadweight",
    "executor",
    "scenarios",
    "overrides",
    "targets",
    "seconds",
}
SMALL = ["population.workers=200", "horizon_weeks=26"]


def test_sections_may_not_reuse_a_common_key():
    with pytest.raises(ValueError, match="targets"):
        manifest("calibrate", scenarios=[], seed=1, engine="vector", executor=None, sections={"targets": {}})


def test_run_rerun_and_sweep_write_the_same_common_keys(tmp_path):
    sets = [x for o in SMALL for x in ("--set", o)]
    run = [
        "run",
        str(FI),
        "--reps",
        "2",
        "--engine",
        "vector",
        "--jobs",
        "1",
        *sets,
        "--out",
        str(tmp_path / "r"),
    ]
    assert main(run) == 0
    assert main(["rerun", str(tmp_path / "r" / "manifest.json"), "--out", str(tmp_path / "again")]) == 0
    spec = write_spec(tmp_path, replications=1, uncertainties={})
    assert main(["sweep", str(spec), "--out", str(tmp_path / "s")]) == 0
    metas = {
        "run": json.loads((tmp_path / "r" / "manifest.json").read_text()),
        "rerun": json.loads((tmp_path / "again" / "manifest.json").read_text()),
        "sweep": json.loads((tmp_path / "s" / "sweep.json").read_text()),
    }
    for command, meta in metas.items():
        assert COMMON <= set(meta), command
        assert meta["command"] == command and isinstance(meta["argv"], list)
        assert meta["executor"] == {"executor": "local", "scheduler": None, "jobs": 1}
        for s in meta["scenarios"]:
            assert {"name", "path", "extends_chain", "hash"} <= set(s)
    run, rerun, sweep = metas["run"], metas["rerun"], metas["sweep"]
    assert run["argv"][1:3] == ["run", str(FI)]
    # a rerun is the same run: same seeds, scenarios and overrides
    for key in ("seed", "reps", "seeds", "engine", "deadweight", "overrides", "targets"):
        assert rerun[key] == run[key], key
    assert [s["hash"] for s in rerun["scenarios"]] == [s["hash"] for s in run["scenarios"]]
    assert run["seeds"] == run["scenarios"][0]["rep_seeds"] and len(run["seeds"]) == 2
    # a sweep: each run's seed comes from its identity, so no shared seeds; its own keys under "sweep"
    assert sweep["seeds"] is None and sweep["targets"] is None and sweep["reps"] == 1
    assert sweep["scenarios"][0]["hash"] == sweep["sweep"]["identity"]["scenario_hash"]
    assert len(sweep["sweep"]["sessions"]) == 1


def test_a_sweep_folder_written_before_the_common_manifest_resumes(tmp_path):
    spec = write_spec(tmp_path, replications=1, uncertainties={})
    out = tmp_path / "s"
    assert main(["sweep", str(spec), "--out", str(out)]) == 0
    meta = json.loads((out / "sweep.json").read_text())
    # the layout of earlier versions: identity and sessions at the top, no command
    old = {"created": meta["created"], **meta["sweep"]}
    (out / "sweep.json").write_text(json.dumps(old))
    before = {f.name: f.read_bytes() for f in (out / "runs").iterdir()}
    assert main(["sweep", str(spec), "--out", str(out)]) == 0
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["command"] == "sweep" and meta["created"] == old["created"]
    sessions = meta["sweep"]["sessions"]
    assert len(sessions) == 2 and sessions[-1]["ran"] == 0 and sessions[-1]["skipped"] == len(before)
    assert {f.name: f.read_bytes() for f in (out / "runs").iterdir()} == before
