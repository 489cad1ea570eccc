"""mcsim: an agent-based model of micro-credential uptake in automotive maintenance (FI, ES, PT)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mcsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
