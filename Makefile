# simsa — two commands on a fresh Debian/Ubuntu machine: `make demo` and `make test`.
# Each bootstraps what it needs: system packages (apt-get, when root), .venv, Python packages.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := libzbar0 xvfb xauth xdotool fonts-nanum chromium postgresql poppler-utils \
	libgl1 libegl1 libgl1-mesa-dri libgles2 libmtdev1
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
DEMO_DIR ?= demo

.PHONY: demo test lint typecheck pytest system venv bench clean help interop

help:
	@echo "make demo   — create a demo event, run the ledger server on SQLite, drive kiosks and online reviewers, print results"
	@echo "make test   — ruff, mypy and the whole test suite"
	@echo "make bench  — benchmarks (writes docs/BENCHMARKS.md figures)"

# System packages: installed with apt-get when run as root; otherwise the exact command is printed.
system:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing system packages:$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "missing system packages:$$missing"; \
			echo "run: sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[server,postgres,kiosk,organiser,dev]'
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy

pytest: system venv interop
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# An independent C2SP tlog implementation (aics-tlog, PyPI, Python >= 3.12) in its own
# virtualenv, for tests/server/test_tlog_interop.py; skipped (with a note) without python3.12.
INTEROP_PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
	$$p -c "" >/dev/null 2>&1 && { echo $$p; break; }; done)
interop:
	@if [ -x .venv-interop/bin/python ] && .venv-interop/bin/python -c "import aics_tlog" 2>/dev/null; then :; \
	elif [ -n "$(INTEROP_PYTHON)" ]; then \
		$(INTEROP_PYTHON) -m venv .venv-interop && \
		.venv-interop/bin/pip install -q --disable-pip-version-check aics-tlog==0.2.1 \
		|| echo "aics-tlog could not be installed: the interop test will be skipped"; \
	else echo "no python3.12: the aics-tlog interop test will be skipped"; fi

test: system venv lint typecheck pytest

demo: system venv
	$(BIN)/simsa demo --dir $(DEMO_DIR)

bench: system venv
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache artifacts
