# Set-up for a fresh machine. README.md names exactly two targets: `demo` and `test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Install, then start the app on the embedded demo cluster.
demo: $(STAMP)
	$(BIN)/kmon --demo

# Install, then run the whole test suite (offscreen: no display needed).
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# The quick loop while working: every test but the slow ones (a second or more each; the
# tiers and the measured list are in tests/conftest.py). Under 90 s on an idle 2-core machine.
test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not slow" -q

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do QT_QPA_PLATFORM=offscreen $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
