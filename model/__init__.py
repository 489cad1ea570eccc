"""mcsim: an agent-based model of micro-credential uptake in automotive maintenance (FI, ES, PT)."""

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    # The version is read on first use: importlib.metadata is slow to import, and most imports of
    # ``model`` (every command-line start) never ask for it.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("mcsim")
    except PackageNotFoundError:  # running from a source tree without installation
        value = "0.0.0+source"
    globals()["__version__"] = value
    return value
