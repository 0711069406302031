# The two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
DEBS := sqlite3 openssl docker-registry runc busybox-static iproute2 nftables

.PHONY: install run test unit e2e bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	@if [ "$$(id -u)" = 0 ]; then \
	  missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then apt-get update -qq && apt-get install -y -qq $$missing; fi; \
	fi
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

run: install
	$(VENV)/bin/kyb server

test: install
	$(PY) -m pytest -n 2 -q

unit: install
	$(PY) -m pytest -q tests/unit

e2e: install
	$(PY) -m pytest -n 2 -q tests/e2e

bench: install
	$(PY) bench/api.py

clean:
	rm -rf $(VENV) build *.egg-info
