"""Calibration against national statistics: targets, loaders, indicators, MSM and ABC-SMC.

``targets`` reads and checks the tidy targets table; ``loaders`` turns Vipunen, SEPE and MEFP
exports into it; ``indicators`` says what the model can produce, by year and group; ``msm`` fits
parameters by the method of simulated moments with common random numbers; ``abc`` wraps pyabc's
ABC-SMC (optional extra). ``params`` is shared with ``analysis.sensitivity``.
"""

from analysis.calibration.indicators import INDICATORS, NOT_PRODUCED, IndicatorError
from analysis.calibration.msm import MSM, CalibrationError, CalibrationResult, plot_fit, write_preset
from analysis.calibration.params import FitParameter, ParameterError, resolve_parameters
from analysis.calibration.targets import Target, TargetsError, read_targets, validate_targets, write_targets

__all__ = [
    "INDICATORS",
    "NOT_PRODUCED",
    "IndicatorError",
    "MSM",
    "CalibrationError",
    "CalibrationResult",
    "plot_fit",
    "write_preset",
    "FitParameter",
    "ParameterError",
    "resolve_parameters",
    "Target",
    "TargetsError",
    "read_targets",
    "validate_targets",
    "write_targets",
]
