# `make test` and `make demo` each do all of their own set-up on a fresh machine
# that has only Python: a .venv, the project and its extras, and Graphviz's `dot`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test test-fast test-torch demo lab bench lint graphviz chromium clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

graphviz:
	@bash scripts/ensure-graphviz.sh

# Headless Chromium for the browser test of the animation player; never fails (without it that test skips).
chromium:
	@bash scripts/ensure-chromium.sh

test: $(STAMP) graphviz chromium
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 --nbmake tests notebooks

# While you work: the tests not marked slow, without the notebooks (`make test` runs everything).
test-fast: $(STAMP) graphviz
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 -m "not slow" tests

# The tests that use PyTorch as an oracle (the dev extra installs it; elsewhere they skip, saying so).
test-torch: $(STAMP)
	$(PY) -m pip install --quiet -e '.[torch]'
	$(PY) -m pytest -n 2 -k "torch" tests

demo: $(STAMP) graphviz
	$(VENV)/bin/deltagrad demo

# JupyterLab and ipywidgets (nn.fit's progress bar as a widget) in .venv, then the notebooks in JupyterLab.
# Jupyter refuses to run as root unless told it may (a container, CI).
lab: $(STAMP) graphviz
	$(PY) -m pip install --quiet -e '.[lab]'
	$(VENV)/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/bench.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis deltagrad-demo
