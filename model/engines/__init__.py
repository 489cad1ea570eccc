"""The two engines: Mesa (state in agents, for inspection and workshops) and vector (arrays, for scale).

Both run ``model.phases.PHASES`` on the same rules, draw from the same keyed streams and write the
same event log, so their outputs agree exactly on the same seed.
"""

from model.engines.base import EngineRun, run_engine

__all__ = ["EngineRun", "run_engine", "ENGINES"]

ENGINES = ("mesa", "vector")
