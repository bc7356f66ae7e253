# Taskr: the one entry point for set-up, run and test on Debian.
#   make run    install what is missing, build, serve on http://localhost:3050
#   make test   install what is missing, build, run every test
SHELL := /bin/bash
SWIFT ?= swift
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# Debian packages: libfcgi, libsodium, SQLite and libcurl (Taskr's HTTPS
# client for Attio) to build against; spawn-fcgi and nginx to run;
# curl, openssl, the sqlite3 shell and python3 (the Attio stand-in) for the
# smoke tests and the demo; systemd for systemd-analyze (the unit's checks);
# libpq to build against and PostgreSQL's server for the tests' throw-away
# clusters (Tests/postgres/cluster.sh), iproute2 for the several-host test.
PACKAGES := libfcgi-dev libsodium-dev libsqlite3-dev libcurl4-openssl-dev libpq-dev postgresql spawn-fcgi nginx curl openssl ca-certificates sqlite3 python3 systemd iproute2
# The browser test only: headless Chromium and its WebDriver, and a Python
# venv for Selenium (from PyPI, pinned below).
BROWSER_PACKAGES := chromium chromium-driver python3-venv
SELENIUM := selenium==4.51.0
# Prometheus' own parser, for the /metrics test (test only, never in taskr).
PROMETHEUS_CLIENT := prometheus_client==0.21.1
BROWSER_VENV := .build/browser-venv

.PHONY: deps browser-deps browser-test build run demo demo-cluster test lint unit-test smoke-test reliability-test http-memory fuzz-test fuzz soak smoke bench install clean

# install_missing PACKAGES: apt-get installs those not installed yet (apt-get update first).
define install_missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	fi
endef

## deps: install the Debian packages that are missing (apt-get update first)
deps:
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6.2 or later is needed (swift.org/install); it is not a Debian package." >&2; exit 1; }
	$(call install_missing,$(PACKAGES))

## browser-deps: Chromium, chromium-driver, Selenium and prometheus_client (the /metrics test) in a venv under .build
browser-deps: deps
	$(call install_missing,$(BROWSER_PACKAGES))
	@[ -x $(BROWSER_VENV)/bin/python ] || python3 -m venv $(BROWSER_VENV)
	@$(BROWSER_VENV)/bin/python -c 'import selenium' 2>/dev/null || $(BROWSER_VENV)/bin/pip install --quiet '$(SELENIUM)'
	@$(BROWSER_VENV)/bin/python -c 'import prometheus_client' 2>/dev/null || $(BROWSER_VENV)/bin/pip install --quiet '$(PROMETHEUS_CLIENT)'

## build: the release binary, .build/release/taskr (and its templates beside it).
## The taskr product only: the fuzzing targets build in debug (they use @testable).
## The Swift runtime and Foundation are linked in statically: 6 MiB less
## resident memory per process than the shared libraries (make bench).
build: deps
	$(SWIFT) build -c release --product taskr --static-swift-stdlib

## run: nginx on http://localhost:3050 in front of spawn-fcgi + taskr; Ctrl-C stops both
run: build
	scripts/run.sh

## demo: like run, but with the local Attio stand-in on 127.0.0.1:3051 instead of Attio
demo: build
	scripts/demo.sh

## demo-cluster: PostgreSQL, three taskr "hosts", one nginx upstream on :3050 and the Attio stand-in
demo-cluster: build
	scripts/demo-cluster.sh

## test: the lint, unit and FastCGI tests, the curl smoke tests through nginx, the browser test, the
## reliability tests (kill -9, several processes, key rotation, secrets in
## logs, restarts and PostgreSQL failovers under load, outbound HTTP memory per request) and a short fuzzing run
test: lint unit-test smoke-test browser-test reliability-test fuzz-test

## lint: swift-format (from the Swift toolchain) with .swift-format's rules; any warning fails.
## Then the floors (scripts/check-floors.py), after showing on a copy that a
## planted C import in TaskrCore fails them.
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift
	Tests/lint/floors_test.sh
	python3 scripts/check-floors.py

## unit-test: every suite; the store suite runs on SQLite and on a throw-away PostgreSQL cluster
unit-test: deps
	$(SWIFT) build --build-tests
	TASKR_TEST_REQUIRE_POSTGRES=1 Tests/postgres/with-cluster.sh $(SWIFT) test --skip-build

smoke-test: build
	Tests/smoke/run-local.sh .build/release/taskr
	Tests/smoke/systemd-unit.sh

## browser-test: headless Chromium clicks through sign-up, Attio, the account page and
## deletion; screenshots of every step in .build/browser-test
browser-test: build browser-deps
	$(BROWSER_VENV)/bin/python Tests/browser/browser_test.py .build/release/taskr

reliability-test: build browser-deps
	Tests/postgres/cluster_privacy_test.sh
	python3 Tests/reliability/crash_test.py .build/release/taskr
	python3 Tests/reliability/crash_test.py .build/release/taskr --postgres
	python3 Tests/reliability/multiprocess_test.py .build/release/taskr
	python3 Tests/reliability/multiprocess_test.py .build/release/taskr --postgres
	TASKR_TEST_REQUIRE_NAMESPACES=1 python3 Tests/reliability/several_hosts_test.py .build/release/taskr
	python3 Tests/reliability/move_to_postgres_test.py .build/release/taskr
	python3 Tests/reliability/security_test.py .build/release/taskr
	python3 Tests/reliability/login_race_test.py .build/release/taskr
	python3 Tests/reliability/login_race_test.py .build/release/taskr --postgres
	python3 Tests/reliability/burst_test.py .build/release/taskr
	python3 Tests/reliability/capacity_test.py .build/release/taskr
	$(BROWSER_VENV)/bin/python Tests/reliability/metrics_test.py .build/release/taskr
	python3 Tests/reliability/backup_restore_test.py .build/release/taskr
	python3 Tests/reliability/upgrade_test.py .build/release/taskr --restarts 5
	python3 Tests/reliability/failover_test.py .build/release/taskr --rounds 3
	python3 Tests/reliability/nginx_client_key_test.py
	$(MAKE) http-memory HTTP_MEMORY_REQUESTS=20000

## http-memory: bytes kept per outbound request, libcurl client against URLSession (fails above 20)
HTTP_MEMORY_REQUESTS ?= 30000
http-memory: deps
	$(SWIFT) build -c release --product http-memory-probe
	HTTP_MEMORY_REQUESTS=$(HTTP_MEMORY_REQUESTS) bench/http_memory.sh .build/release/http-memory-probe

fuzz-test: deps
	Tests/fuzz/run.sh 10

## fuzz: libFuzzer (with AddressSanitizer) on every parser of untrusted bytes, FUZZ_SECONDS each
FUZZ_SECONDS ?= 60
fuzz: deps
	Tests/fuzz/run.sh $(FUZZ_SECONDS)

## soak: SOAK_SECONDS (600) of mixed load at a fixed rate; RSS and file descriptors must stay flat (not part of test)
SOAK_SECONDS ?= 600
soak: build http-memory
	python3 Tests/reliability/soak.py .build/release/taskr --seconds $(SOAK_SECONDS)

## bench: taskr against a C libfcgi baseline and Hummingbird 2 (bench/hummingbird-anchor, built here) through nginx, wrk, interleaved rounds (not part of test)
bench: build
	@command -v wrk >/dev/null || { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends wrk gcc libc6-dev; }
	bench/run.sh .build/release/taskr

## smoke: read-only smoke checks of a deployed site: make smoke URL=https://taskr.example.com
smoke:
	Tests/smoke/smoke.sh $(URL)

## install: the binary and its templates into PREFIX/bin (default /opt/taskr)
PREFIX ?= /opt/taskr
install: build
	install -d $(PREFIX)/bin
	install -m 0755 .build/release/taskr $(PREFIX)/bin/taskr
	rm -rf $(PREFIX)/bin/taskr_TaskrCore.resources
	cp -R .build/release/taskr_TaskrCore.resources $(PREFIX)/bin/

clean:
	rm -rf .build .build-fuzz run
