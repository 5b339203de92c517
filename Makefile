# simsa — two commands on a fresh Debian/Ubuntu machine: `make demo` and `make test`.
# Each bootstraps what it needs: system packages (apt-get, when root), .venv, Python packages.

SHELL := /bin/bash
# Python writes bytecode as usual, even where the environment says not to (this CI's does):
# otherwise every process of the suite — each pytest worker, each server and CLI it starts —
# compiles simsa's modules and rewrites the test modules again (a fresh clone's collection
# alone took 10.7 CPU-seconds a process against 4.3). __pycache__ is in .gitignore.
unexport PYTHONDONTWRITEBYTECODE
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := libzbar0 xvfb xauth xdotool fonts-nanum chromium-headless-shell postgresql poppler-utils \
	libgl1 libegl1 libgl1-mesa-dri libgles2 libmtdev1 \
	nginx openssl shellcheck wrk
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
DEMO_DIR ?= demo
EXTRAS := server,postgres,kiosk,organiser,dev
PACKAGES := audit client kiosk organiser server shared simsa witness
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
DIST_NAME := simsa-$(VERSION)-$(shell . /etc/os-release && echo $$ID$$VERSION_ID)-$(shell dpkg --print-architecture 2>/dev/null || uname -m)

.PHONY: demo test check lint typecheck pytest system venv bench clean help interop rehearse dist

help:
	@echo "make demo   — create a demo event, run the ledger server on SQLite, drive kiosks and online reviewers, print results"
	@echo "make test   — ruff, mypy and the whole test suite"
	@echo "make check  — the fast lane while editing (< 1 min): ruff, mypy, unit tests without servers, browsers or Xvfb"
	@echo "make bench  — benchmarks (writes docs/BENCHMARKS.md figures)"
	@echo "make dist   — dist/simsa-…tar.gz: wheels, deploy/ and docs/ to install venue machines with no internet"
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

# uv installs the packages: on the reference machine a fresh .venv took 8 s against pip's 27 s,
# nearly all of it byte-compiling, which uv does on every core. Bytecode is written at install:
# left to run time, the suite's four workers compile the same modules at once as they start.
# The venv is made without pip (ensurepip alone took 4 s); this Python's pip puts uv in it (or,
# without one, the venv's own pip from ensurepip), and uv installs pip with the rest, for
# `make dist`. uv reads UV_INDEX_URL and friends, not pip's configuration: where uv cannot
# install, pip does (UV=no skips uv).
UV ?= yes
PIP := $(BIN)/python -m pip --disable-pip-version-check
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	@if [ "$(UV)" = yes ] && { [ -x $(BIN)/uv ] \
			|| $(PYTHON) -m pip --python $(BIN)/python install -q --disable-pip-version-check uv 2>/dev/null \
			|| { $(BIN)/python -m ensurepip >/dev/null && $(PIP) install -q uv; }; } \
		&& $(BIN)/uv pip install -q --python $(BIN)/python --compile-bytecode -e '.[$(EXTRAS)]' pip; then :; \
	else \
		[ "$(UV)" = yes ] && echo "uv could not install the packages: pip will"; \
		{ $(PIP) --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip >/dev/null; } && \
		$(PIP) install -q --upgrade pip && $(PIP) install -q -e '.[$(EXTRAS)]'; \
	fi
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy

# Four processes (pytest-xdist) on the reference machine's two cores: the suite waits on
# servers, windows and browsers about a third of its time, so two more keep the cores busy
# (measured: -n 2 292 s, -n 3 263 s, -n 4 242 s, -n 6 312 s). A module per process at a time
# (its module-scoped server, browser or window is made once), longest modules first
# (tests/conftest.py); each process has its own temporary folders, free ports and PostgreSQL
# cluster. PYTEST_XDIST= runs in one.
PYTEST_XDIST ?= -n 4 --dist loadscope --no-loadscope-reorder
# First simsa's own modules are byte-compiled on every core (~1 s), not by each of the four
# workers as they start. The suite's temporary folders (its ledgers, event folders, PostgreSQL
# clusters, rehearsal) go to a folder of their own on the RAM file system /dev/shm when it has
# 1 GiB free, removed after: they are thrown away, and the tests kill servers, never the machine.
# On disk, ext4's journal spent the CPU of their fsyncs (measured on tests/server and its
# neighbours: system time 36 → 20 CPU-seconds, 80 → 70 s). TEST_TMPDIR= keeps the system's
# temporary folder; TEST_TMPDIR=DIR picks another.
TEST_TMPDIR ?= $(shell df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 && $$4 > 1048576 {print "/dev/shm"}')
pytest: system venv interop
	@if [ -n "$(TEST_TMPDIR)" ]; then \
		TMPDIR=$$(mktemp -d "$(TEST_TMPDIR)/simsa-tests.XXXXXX") && chmod 755 "$$TMPDIR" && export TMPDIR && \
		trap 'rm -rf "$$TMPDIR"' EXIT && echo "temporary folders in $$TMPDIR"; \
	fi; \
	$(BIN)/python -m compileall -q -j 0 $(PACKAGES) tests bench >/dev/null; \
	echo "$(BIN)/python -m pytest -q $(PYTEST_XDIST) $(PYTEST_ARGS)"; \
	$(BIN)/python -m pytest -q $(PYTEST_XDIST) $(PYTEST_ARGS)

# An independent C2SP tlog implementation (aics-tlog, PyPI, Python >= 3.12) in its own
# virtualenv (made by uv, or by venv and pip), for tests/server/test_tlog_interop.py; skipped (with
# a note) without python3.12.
INTEROP_PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
	$$p -c "" >/dev/null 2>&1 && { echo $$p; break; }; done)
interop: venv
	@if [ -x .venv-interop/bin/python ] && .venv-interop/bin/python -c "import aics_tlog" 2>/dev/null; then :; \
	elif [ -n "$(INTEROP_PYTHON)" ]; then \
		{ [ -x $(BIN)/uv ] && $(BIN)/uv venv -q --allow-existing --python $(INTEROP_PYTHON) .venv-interop && \
			$(BIN)/uv pip install -q --python .venv-interop/bin/python aics-tlog==0.2.1; } \
		|| { $(INTEROP_PYTHON) -m venv .venv-interop && \
			.venv-interop/bin/pip install -q --disable-pip-version-check aics-tlog==0.2.1; } \
		|| echo "aics-tlog could not be installed: the interop test will be skipped"; \
	else echo "no python3.12: the aics-tlog interop test will be skipped"; fi

# mypy runs beside pytest, at low priority: the suite waits on servers, windows and browsers
# often enough to leave it the ~20 CPU-seconds a cache-less check takes. Both must pass.
test: system venv interop lint
	@nice -n 10 $(BIN)/mypy > $(VENV)/mypy.log 2>&1 & mypy=$$!; \
	$(MAKE) --no-print-directory pytest; tests=$$?; \
	wait $$mypy; types=$$?; echo "mypy:"; cat $(VENV)/mypy.log; \
	if [ $$types -ne 0 ]; then echo "mypy failed"; fi; \
	exit $$(( tests || types ))

# The fast lane: no live server, PostgreSQL, Chromium or Xvfb, nothing marked slow (tests/conftest.py
# marks what starts a real process `live`); in random order, on every core. `make test` runs it all.
FAST_LANE := not (live or slow or browser or gui or postgres)
check: system venv lint typecheck
	$(BIN)/python -m pytest -q -n auto -m "$(FAST_LANE)" $(PYTEST_ARGS)

demo: system venv
	$(BIN)/simsa demo --dir $(DEMO_DIR)

# deploy/rehearse: the whole deployment on loopback, from nothing to a closed, verified event and a
# verified restore; REHEARSE_ARGS=--short for the small version the test suite runs.
rehearse: system venv
	SIMSA_PYTHON=$(abspath $(BIN))/python deploy/rehearse $(REHEARSE_ARGS)

# The release tarball for machines with no internet: every wheel the server and the kiosk need
# (built for THIS Debian release, Python and architecture: make it on a machine like the targets),
# deploy/ and docs/. deploy/install-server and deploy/kiosk/provision install from its wheelhouse.
dist: venv
	rm -rf dist/$(DIST_NAME) dist/$(DIST_NAME).tar.gz && mkdir -p dist/$(DIST_NAME)
	$(PIP) wheel -q --wheel-dir dist/$(DIST_NAME)/wheelhouse '.[server,postgres,kiosk]'
	cp -r deploy docs README.md LICENSE dist/$(DIST_NAME)/
	tar -C dist -czf dist/$(DIST_NAME).tar.gz $(DIST_NAME)
	@echo "wrote dist/$(DIST_NAME).tar.gz ($$(du -h dist/$(DIST_NAME).tar.gz | cut -f1)); sha256 $$(sha256sum dist/$(DIST_NAME).tar.gz | cut -c1-16)…"

bench: system venv
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache artifacts dist
