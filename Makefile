# Two commands: `make demo` and `make test`. Both build .venv with a Python >= 3.12 found here.
SHELL := /bin/bash
VENV := .venv
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
# Candidates in order; each is checked by running it, not by its name.
CANDIDATES := python3.13 python3.12 $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3) $(wildcard $(PYENV_ROOT)/versions/3.12*/bin/python3) python3
PYTHON ?= $(shell for p in $(CANDIDATES); do \
  if $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then command -v $$p || echo $$p; break; fi; done)

.PHONY: demo test test-long lint venv clean browser calibrate wheel-check

$(VENV)/.installed-%: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "mcsim needs Python >= 3.12 and none was found (tried: $(CANDIDATES)). Install one, or run: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)" >&2; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e ".[$*]"
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(VENV)/.installed-dev

demo: $(VENV)/.installed-dev
	$(VENV)/bin/mcsim demo

test: $(VENV)/.installed-dev browser wheel-check
	$(VENV)/bin/python -m pytest -q -n 2  # two processes: the suite is sized for 2 cores

# Checks longer than the whole suite (every scenario of every bundled workshop set differs from its
# baseline at 10 replications: 11-17 minutes on 2 cores). Not part of `make test`.
test-long: $(VENV)/.installed-dev
	$(VENV)/bin/python -m pytest -q -m long

# Build the wheel, install it in a fresh venv and run mcsim demo, validate, explain and dashboard from a
# folder outside the checkout (about half a minute): the bundled scenarios must travel with the package.
wheel-check: $(VENV)/.installed-dev
	$(VENV)/bin/python tests/check_wheel.py

# Browser tests and slide images use the distribution's Chromium (Playwright's own download needs a network
# it may not have). Installed once, as root; without it those tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium) \
	  || echo "chromium could not be installed: browser tests and --images will be skipped" >&2

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) results

# Fit the country presets to the committed targets and write scenarios/<c>/baseline.yaml (minutes each).
CAL_SET_es := start_date=2022-01-03
CAL_SET_pt := start_date=2018-01-01
CAL_SET_fi := start_date=2015-01-05
calibrate: $(VENV)/.installed-dev
	@for c in es pt fi; do \
	  case $$c in es) s=$(CAL_SET_es);; pt) s=$(CAL_SET_pt);; fi) s=$(CAL_SET_fi);; esac; \
	  $(VENV)/bin/mcsim calibrate --scenario scenarios/$$c/preset.yaml --targets data/targets/$${c}_firm_training.csv \
	    --params data/calibration/$${c}_params.yaml --set $$s --set horizon_weeks=52 --set population.workers=12000 \
	    --reps 3 --jobs 2 --out results/calibration/$$c --force --preset-out scenarios/$$c/baseline.yaml || exit 1; \
	done
