# Two commands for a fresh machine: `make demo` and `make test`.
# Everything else (virtual environments, servers) is created by these targets.

PYTHON ?= python3
VENV := .venv/main
VPY := $(VENV)/bin/python
SRC := $(wildcard boto_sigv4_shim/*.py) setup.cfg pyproject.toml

.PHONY: test demo clients unit integration fuzz stress bench clean

# The main environment: runs the servers (moto, the AWS front) and pytest.
$(VENV)/.stamp: requirements-test.txt $(SRC) tests/support/route.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else "make needs PYTHON >= 3.9 for moto (PYTHON=$(PYTHON))")'
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements-test.txt .
	$(VPY) -m pip install -q --disable-pip-version-check --no-deps --force-reinstall .
	cp tests/support/route.py "$$($(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/shim_test_route.py"
	echo 'import shim_test_route; shim_test_route.activate_from_env()' > "$$($(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/shim_test_route.pth"
	touch $@

# One boto 2 client environment per interpreter pyenv (or PATH) has.
clients: $(VENV)/.stamp
	$(VPY) tests/support/build_clients.py

# The whole integration suite also runs in-process on these (boto 2 needs the
# shim's import fixes there); the servers still run from the main venv.
FULL_VERSIONS := 3.12 3.13

# The independent presigned-URL verifier (s3rver behind AWS's JS signer).
S3RVER := tests/support/s3rver
$(S3RVER)/node_modules/.stamp: $(S3RVER)/package.json $(S3RVER)/package-lock.json
	cd $(S3RVER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# SHIM_SCAN_SECRETS=1: the run logs everything at DEBUG (boto 2 logs whole
# requests there) and fails if a secret key or signature reached any record.
test: $(VENV)/.stamp clients $(S3RVER)/node_modules/.stamp
	SHIM_SCAN_SECRETS=1 $(VPY) -m pytest -p no:cacheprovider tests
	$(VPY) tests/support/build_clients.py --full $(FULL_VERSIONS)
	@for v in $(FULL_VERSIONS); do \
	  py=.venv/full/py$$(echo $$v | tr -d .)/bin/python; \
	  if [ -x "$$py" ]; then \
	    echo "== the integration suite in-process on Python $$v"; \
	    SHIM_SERVER_PYTHON="$(CURDIR)/$(VPY)" SHIM_CLIENT_VERSIONS=$$v \
	      "$$py" -m pytest -p no:cacheprovider tests/integration || exit 1; \
	  else \
	    echo "== the integration suite on Python $$v: SKIPPED (no interpreter)"; \
	  fi; \
	done

unit: $(VENV)/.stamp
	$(VPY) -m pytest -p no:cacheprovider tests/unit

demo: $(VENV)/.stamp
	$(VPY) examples/run_demo.py

# Long runs of the thread, chaos-proxy and clock-skew tests (make test runs a
# fixed-seed slice of each): SHIM_STRESS=1 raises the counts.
stress: $(VENV)/.stamp clients
	SHIM_STRESS=1 $(VPY) -m pytest -p no:cacheprovider tests/integration/test_threads.py \
	  tests/integration/test_resets.py tests/integration/test_clock_skew.py

# Long hypothesis runs of the signer's differential tests (against botocore)
# and the hostile-input fuzz tests (make test runs a fixed-seed slice).
SHIM_FUZZ_EXAMPLES ?= 50000
fuzz: $(VENV)/.stamp
	SHIM_FUZZ_EXAMPLES=$(SHIM_FUZZ_EXAMPLES) $(VPY) -m pytest -p no:cacheprovider \
	  tests/unit/test_signer_differential.py tests/unit/test_fuzz_parsers.py

clean:
	rm -rf .venv build *.egg-info
