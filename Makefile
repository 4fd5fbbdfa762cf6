# wslab — set-up, tests and tools. Needs only python3 and GNU make.
#
#   make lab              create .venv, install, open JupyterLab on notebooks/00-start-here.ipynb
#   make lab LAB_ARGS="--no-browser --port=8890"          pass options to jupyter lab
#   make test             create .venv, install test deps, run the whole pytest suite
#   make test PYTEST_ARGS="tests/notebook/test_notebooks.py -x"   run part of it
#   make bench            run the benchmarks (codec speed vs websockets; import cost; harness overhead)
#   make conformance      Autobahn|Testsuite (kosoku): scratch server vs websockets, -> reports/conformance/
#   make fuzz             fuzz the codec: 1,000,000 inputs (FUZZ_ARGS="--count 20000 --seed 7")
#   make lint             ruff check
#   make clean-notebooks  strip outputs and execution counts from notebooks/*.ipynb
#   make assignments      write course/source from the exercises, nbgrader generate_assignment each
#   make classroom-demo   JupyterHub on 127.0.0.1 for 5 students (STUDENTS=8 CLASSROOM_PORT=8001)
#   make lite             the JupyterLite site (notebooks 00, 01, 02, 07, 11 in the browser) -> build/lite/
#
# Override the interpreter with `make PYTHON=python3.12 ...`.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP_QUIET ?= -qq
PIP := $(BIN)/python -m pip $(PIP_QUIET) --disable-pip-version-check
PYTEST_ARGS ?=
FUZZ_ARGS ?=
LAB_ARGS ?=
# JupyterLab refuses to run as root unless told; containers often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

# Stamps: reinstall only when a requirements file or pyproject.toml changes.
RUN_STAMP := $(VENV)/.installed-run-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp

.DEFAULT_GOAL := help
.PHONY: help lab test bench lint clean-notebooks conformance fuzz assignments classroom-demo lite

help:
	@echo "make lab              install into $(VENV) and open JupyterLab (127.0.0.1)"
	@echo "make test             install test deps into $(VENV) and run pytest"
	@echo "make bench            run bench/bench_codec.py, bench_import.py and bench_harness.py"
	@echo "make conformance      Autobahn cases 1-10, 12, 13 vs the scratch and websockets servers"
	@echo "make fuzz             fuzz dissect, Decoder and handshake parsing (1,000,000 inputs)"
	@echo "make lint             ruff check"
	@echo "make clean-notebooks  strip outputs from notebooks/*.ipynb"
	@echo "make assignments      nbgrader course: course/source -> course/release (no solutions)"
	@echo "make classroom-demo   JupyterHub on 127.0.0.1, STUDENTS=5 (demo: no isolation)"
	@echo "make lite             JupyterLite site -> build/lite/ (needs Python >= 3.12 and npm)"

$(VENV)/pyvenv.cfg:
	@echo "==> creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip

$(RUN_STAMP): requirements.txt pyproject.toml | $(VENV)/pyvenv.cfg
	@echo "==> installing requirements.txt and wslab (editable) into $(VENV)"
	$(PIP) install -r requirements.txt -e .
	@touch $@

$(TEST_STAMP): requirements.txt requirements-test.txt pyproject.toml | $(VENV)/pyvenv.cfg
	@echo "==> installing requirements-test.txt and wslab (editable) into $(VENV)"
	$(PIP) install -r requirements-test.txt -e .
	@touch $@

lab: $(RUN_STAMP)
	@echo "==> starting JupyterLab on 127.0.0.1 (Ctrl-C to stop)"
	$(BIN)/jupyter lab --ip=127.0.0.1 $(ALLOW_ROOT) \
		--LabApp.default_url=/lab/tree/notebooks/00-start-here.ipynb $(LAB_ARGS)

test: $(TEST_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(RUN_STAMP)
	$(BIN)/python bench/bench_codec.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_harness.py

# Several minutes (12.* and 13.* are slow); reports in reports/conformance/, summary.md there.
conformance: $(TEST_STAMP)
	$(BIN)/python tools/conformance.py $(CONFORMANCE_ARGS)

# A few minutes on 2 cores; failing inputs go to reports/fuzz/ (with how to replay them).
fuzz: $(TEST_STAMP)
	$(BIN)/python tools/fuzz.py $(FUZZ_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/python -m ruff check wslab tests bench tools notebooks classroom

clean-notebooks:
	$(PYTHON) tools/clean_notebooks.py notebooks/*.ipynb

# A demo class on JupyterHub (classroom/README.md); configurable-http-proxy from npm goes to
# build/classroom/node_modules. Ctrl-C stops the hub, the proxy and every student's server.
STUDENTS ?= 5
CLASSROOM_PORT ?= 8000
classroom-demo: $(TEST_STAMP)
	$(BIN)/python tools/classroom.py demo --students $(STUDENTS) --port $(CLASSROOM_PORT)

# The nbgrader course (course/README.md): source notebooks from the exercise catalogue, then
# `nbgrader generate_assignment` for each into course/release/ (nbgrader runs `alembic`: PATH).
assignments: $(TEST_STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python tools/make_assignments.py --generate

# The JupyterLite site (README, "No install"): a static folder, build/lite/, to publish as is.
# Its own venv on Python >= 3.12 (LITE_ARGS="--python /path/to/python3.12"), Pyodide from npm.
LITE_ARGS ?=
lite:
	$(PYTHON) tools/build_lite.py $(LITE_ARGS)
