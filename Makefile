# simsa — two commands on a fresh Debian/Ubuntu machine: `make demo` and `make test`.
# Each bootstraps what it needs: system packages (apt-get, when root), .venv, Python packages.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := libzbar0 xvfb xauth xdotool fonts-nanum chromium postgresql poppler-utils \
	libgl1 libegl1 libgl1-mesa-dri libgles2 libmtdev1 \
	nginx openssl shellcheck
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
DEMO_DIR ?= demo

.PHONY: demo test lint typecheck pytest system venv bench clean help rehearse

help:
	@echo "make demo   — create a demo event, run the ledger server on SQLite, drive kiosks and online reviewers, print results"
	@echo "make test   — ruff, mypy and the whole test suite"
	@echo "make bench  — benchmarks (writes docs/BENCHMARKS.md figures)"
	@echo "make rehearse — the production shape on this machine (PostgreSQL, 2 API processes, nginx/TLS), an event through it, a backup restored"

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

pytest: system venv
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test: system venv lint typecheck pytest

demo: system venv
	$(BIN)/simsa demo --dir $(DEMO_DIR)

# deploy/rehearse: the whole deployment on loopback, from nothing to a closed, verified event and a
# verified restore; REHEARSE_ARGS=--short for the small version the test suite runs.
rehearse: system venv
	SIMSA_PYTHON=$(abspath $(BIN))/python deploy/rehearse $(REHEARSE_ARGS)

bench: system venv
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache artifacts
