"""Each finished job in its own file, named by the job's key: a killed batch resumes where it stopped.

Why one file per job, written through a temporary name and renamed: a kill at any moment leaves
every finished job whole on disk and no half file that looks finished; a restart runs only the
jobs without a file. A job that failed is kept as ``<key>.failed.parquet`` (with its error), so it is
not retried unless asked; a lost job leaves no file. One batch at a time writes into a folder (a
POSIX lock).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from analysis.execution.executors import ExecutionError
from analysis.execution.jobs import Job, Outcome

try:  # POSIX: one batch at a time per folder
    import fcntl
except ImportError:  # pragma: no cover (Windows)
    fcntl = None  # type: ignore[assignment]

__all__ = ["ResultStore", "write_atomic"]


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary name in the same folder, then rename: never a half file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class ResultStore:
    """A folder of one-row Parquet files, one per finished job (``<key>.parquet``).

    Args:
        folder: Where the files go (created by ``open``).
        row: The row to save for an outcome (the caller's columns: its identity, values, error).
    """

    def __init__(self, folder: Path, row: Callable[[Outcome], Mapping[str, Any]]) -> None:
        self.folder = Path(folder)
        self.row = row
        self._lock = None

    def open(self) -> ResultStore:
        """Create the folder, take its lock, and drop temporary files a killed batch left."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if fcntl is not None and self._lock is None:
            # beside the folder, not in it: the folder holds exactly the finished jobs
            fh = open(self.folder.parent / f".{self.folder.name}.lock", "w")  # noqa: SIM115 (held while open)
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                raise ExecutionError(f"{self.folder}: another process is writing into this folder") from None
            self._lock = fh
        for tmp in self.folder.glob(".*.tmp"):  # never a finished job
            tmp.unlink(missing_ok=True)
        return self

    def close(self) -> None:
        """Release the folder's lock."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def finished(self, retry_failed: bool = False) -> set[str]:
        """Keys of jobs with a file (failed ones too, unless ``retry_failed``)."""
        ok = {
            p.name.removesuffix(".parquet") for p in self.folder.glob("*.parquet") if ".failed." not in p.name
        }
        failed = {p.name.removesuffix(".failed.parquet") for p in self.folder.glob("*.failed.parquet")}
        for key in ok & failed:  # a retried job succeeded just before a kill: the success stands
            (self.folder / f"{key}.failed.parquet").unlink(missing_ok=True)
        return ok if retry_failed else ok | failed

    def pending(self, jobs: Iterable[Job], retry_failed: bool = False) -> list[Job]:
        """The jobs still to run, in order."""
        done = self.finished(retry_failed)
        return [j for j in jobs if j.key not in done]

    def save(self, outcome: Outcome) -> None:
        """Write one finished (or failed) job's row; a success replaces an earlier failure."""
        import pandas as pd

        frame = pd.DataFrame([dict(self.row(outcome))])
        name = f"{outcome.key}.parquet" if outcome.ok else f"{outcome.key}.failed.parquet"
        write_atomic(self.folder / name, lambda p: frame.to_parquet(p, index=False))
        if outcome.ok:
            (self.folder / f"{outcome.key}.failed.parquet").unlink(missing_ok=True)

    def read(self, keys: Iterable[str]) -> list:
        """The saved rows of these keys that have a file, in order (one-row DataFrames)."""
        import pandas as pd

        frames = []
        for key in keys:
            path = self.folder / f"{key}.parquet"
            if not path.exists():
                path = self.folder / f"{key}.failed.parquet"
            if not path.exists():
                continue
            try:
                frames.append(pd.read_parquet(path))
            except Exception as exc:  # noqa: BLE001
                raise ExecutionError(f"{path}: cannot be read ({exc}); move it aside and rerun") from None
        return frames
