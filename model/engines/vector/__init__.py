"""The vector engine: state as structure-of-arrays, for national and EU-scale populations."""

from model.engines.vector.model import VectorModel

__all__ = ["VectorModel"]
