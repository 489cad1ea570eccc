"""The one base class of every user-facing error in calibration and sensitivity studies.

Why: ``mcsim`` catches it once (``analysis.cli.main``) and prints the message without a traceback;
each module raises its own subclass so tests and callers can tell the causes apart.
"""

from __future__ import annotations

__all__ = ["StudyError"]


class StudyError(ValueError):
    """A targets file, parameter, export file or study setting the user must fix."""
