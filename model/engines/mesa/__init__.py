"""The Mesa engine: state held in agents, for inspection, workshop-size runs and the dashboard."""

from model.engines.mesa.agents import SME, Funder, ModerationPanel, Provider, Worker
from model.engines.mesa.model import MicroCredentialModel

__all__ = ["MicroCredentialModel", "Worker", "SME", "Provider", "ModerationPanel", "Funder"]
