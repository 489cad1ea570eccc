"""One number formatter: the same rules for the terminal, the report, the dashboard and the studies."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.numbers import NA, format_estimate, format_interval, format_kpi, format_number


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (2_345_678, "2.35 M"),
        (-1_500_000, "-1.50 M"),
        (12_345.6, "12,346"),
        (100, "100"),
        (99.94, "99.9"),
        (99.96, "100"),
        (0.5, "0.500"),
        (999_999.7, "1.00 M"),
        (10, "10.0"),
        (9.994, "9.99"),
        (1, "1.00"),
        (0.012345, "0.0123"),
        (0.000312, "0.000312"),
        (0, "0"),
    ],
)
def test_magnitudes(x, text):
    assert format_number(x) == text
    assert format_number(np.float64(x)) == text  # NumPy and pandas values read the same


@pytest.mark.parametrize("missing", [None, math.nan, np.nan, math.inf, -np.inf, pd.NA, "x"])
def test_no_value_reads_the_same_everywhere(missing):
    assert format_number(missing) == NA == "n/a"
    assert format_kpi(missing, "women_share") == NA
    assert format_interval(missing, missing, "women_share") == "[n/a, n/a]"


def test_shares_differences_and_signs():
    assert format_number(0.1234, share=True) == "12.3 %"
    assert format_number(0.05, share=True) == "5.00 %"
    assert format_number(0.0123, share=True, diff=True) == "+1.23 pp"
    assert format_number(-0.0123, share=True, diff=True) == "-1.23 pp"
    assert format_number(2500, diff=True) == "+2,500"
    assert format_number(0, diff=True) == "0"  # no sign on no change


def test_kpis_in_their_own_unit():
    assert format_kpi(0.1234, "women_share") == "12.3 %"  # a share
    assert format_kpi(0.1234, "enrolment_to_credential_days") == "0.123"  # not a share
    assert format_kpi(1234.5, "spend_per_credential_eur") == "1,234"
    assert format_estimate(0.02, -0.01, 0.05, "women_share", diff=True) == "+2.00 pp [-1.00 pp, +5.00 pp]"
    assert format_interval(1, 2) == "[1.00, 2.00]"
