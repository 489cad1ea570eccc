"""Pattern-oriented corroboration: every pattern is measured, and `within` follows its rule."""

from __future__ import annotations

import numpy as np

from analysis.corroboration import PATTERNS, corroboration_table


def test_every_public_figure_is_measured_and_judged_by_its_own_rule():
    table = corroboration_table(reps=2, workers=1500)
    assert len(table) == len(PATTERNS)
    assert np.isfinite(table["model"]).all()
    rates = table[~table["figure"].str.startswith("training_hours")]
    assert ((rates["model"] >= 0) & (rates["model"] <= 1)).all()
    lower = table["lower_bound"]
    distance = (table["model"] - table["public"]).abs()
    expected = np.where(
        lower, table["model"] >= table["public"] - table["uncertainty"], distance <= table["uncertainty"]
    )
    assert (table["within"] == expected).all()
    assert set(table["role"]) == {"fitted", "held out"}
