"""Calibration against national statistics: targets, loaders, indicators, MSM and ABC-SMC.

``targets`` reads and checks the tidy targets table; ``loaders`` turns Vipunen, SEPE and MEFP
exports into it; ``indicators`` says what the model can produce, by year and group; ``msm`` fits
parameters by the method of simulated moments with common random numbers; ``abc`` wraps pyabc's
ABC-SMC (optional extra). ``params`` is shared with ``analysis.sensitivity``.

Import from the modules themselves: this package imports none of them, so the command line can
register ``mcsim calibrate`` without loading SciPy.
"""
