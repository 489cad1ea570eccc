"""``python -m analysis.calibration.loaders KIND FILE --out targets.csv``."""

import sys

from analysis.calibration.loaders.cli import main

sys.exit(main())
