"""Comparisons run in background threads, so the page stays responsive and shows progress.

Why threads: a comparison takes seconds; a Dash callback that waited for it would block the page.
A tab that moves a lever again cancels its older run (it would only be thrown away).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from analysis.dashboard.compare import Comparison, baseline_cached, compare
from analysis.dashboard.levers import Levers

__all__ = ["Job", "start_job", "get_job"]

_KEEP = 64  # finished jobs kept for polling tabs


class _Cancelled(Exception):
    """A newer lever setting replaced this run."""


@dataclass
class Job:
    """A comparison in progress: replications done of the total, then its result or error."""

    total: int
    done: int = 0
    result: Comparison | None = None
    error: str | None = None
    cancelled: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tick(self) -> None:
        """Count one finished replication (or stop, if cancelled)."""
        if self.cancelled:
            raise _Cancelled
        with self.lock:
            self.done = min(self.done + 1, self.total)


_JOBS: OrderedDict[str, Job] = OrderedDict()


def get_job(job_id: str | None) -> Job | None:
    """The job of that id, if it is still kept."""
    return _JOBS.get(job_id or "")


def start_job(preset: str, start: str, levers: Levers, reps: int, previous: str | None) -> str:
    """Start a comparison in a thread and return its id; ``previous`` (this tab's last job) stops."""
    if previous in _JOBS:
        _JOBS[previous].cancelled = True  # this tab moved on: stop its older run
    job = Job(total=reps if baseline_cached(preset, reps) else 2 * reps)
    job_id = uuid.uuid4().hex
    _JOBS[job_id] = job
    while len(_JOBS) > _KEEP:
        _JOBS.popitem(last=False)

    def work() -> None:
        try:
            job.result = compare(preset, start, levers, reps, tick=job.tick)
        except _Cancelled:
            return
        except Exception as exc:  # shown on the page; the server keeps serving
            job.error = f"{type(exc).__name__}: {exc}"

    threading.Thread(target=work, daemon=True).start()
    return job_id
