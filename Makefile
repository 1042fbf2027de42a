# Two commands set up a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install index run test test-fast eval mutants bench load chromium nginx clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU torch first, from the wheel on local disk; a bare `torch` would pull CUDA.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

index: $(STAMP)
	$(PY) -m bot index --if-stale

run: index
	$(PY) app.py

chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# Debian's nginx, for the test that serves the chat through it at /faq/ (tests/test_nginx.py). The test
# runs its own nginx on a loopback port from a temporary directory; the system service is not used.
nginx:
	@test -x /usr/sbin/nginx || { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }

test: $(STAMP) chromium nginx index
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not browser and not server"

eval: index
	$(PY) -m evals

mutants: index  # each named mutation of a copy of the project must fail the eval or the tests (evals/README.md)
	$(PY) scripts/mutants.py

bench: index
	$(PY) scripts/bench.py

load: index  # e.g. make load LOAD_ARGS="--seconds 300"
	$(PY) scripts/load.py $(LOAD_ARGS)

clean:
	rm -rf index/builds index/current index/manifest.json evals/report test-artifacts .cache
