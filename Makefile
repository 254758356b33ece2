# Two commands for a newcomer: `make demo` and `make test`.
# Both create .venv and install what they need; nothing is installed by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test lint format browser clean messages contexts docs-examples

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian's Chromium for the browser tests; Playwright never downloads a browser.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Chromium from Debian's packages for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	fi

# Debian's caddy, nginx and systemd-analyze: tests/test_deploy.py checks deploy/ with each
# tool's own validator. Only the binaries are needed, so a temporary policy-rc.d keeps apt from
# starting the web servers (both want port 80), and on a machine that runs systemd the units
# installed here are disabled, so they do not start at boot either.
.PHONY: deploy-tools
deploy-tools:
	@missing=; \
	command -v caddy >/dev/null 2>&1 || missing="$$missing caddy"; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="$$missing nginx"; \
	command -v systemd-analyze >/dev/null 2>&1 || missing="$$missing systemd"; \
	if [ -n "$$missing" ]; then \
		echo "Installing$$missing from Debian's packages for the deploy tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		guard=; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			guard=1; printf '#!/bin/sh\nexit 101\n' | $$SUDO tee /usr/sbin/policy-rc.d >/dev/null; \
			$$SUDO chmod 755 /usr/sbin/policy-rc.d; \
		fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
		status=$$?; \
		if [ -n "$$guard" ]; then $$SUDO rm -f /usr/sbin/policy-rc.d; fi; \
		if [ -d /run/systemd/system ]; then \
			for unit in $$missing; do \
				case $$unit in caddy|nginx) $$SUDO systemctl disable --now --quiet $$unit || true;; esac; \
			done; \
		fi; \
		exit $$status; \
	fi

# The official JSON-LD context documents (npm packages pinned in tests/jsonld/package-lock.json):
# the tests expand every document Bloei sends with them, never fetching a context online.
CONTEXTS := tests/jsonld/node_modules/.package-lock.json

$(CONTEXTS): tests/jsonld/package.json tests/jsonld/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "Installing npm from Debian's packages for the JSON-LD contexts"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; \
	fi
	cd tests/jsonld && npm ci --ignore-scripts --no-audit --no-fund --silent

contexts: $(CONTEXTS)

demo: $(STAMP)
	$(BIN)/bloei pilot

# Rewrite the JSON examples docs/FEDERATION.md marks as generated (tests/federation/docs_examples.py).
docs-examples: $(STAMP)
	$(BIN)/python -m tests.federation.docs_examples --write

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) browser deploy-tools contexts lint
	BLOEI_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q

clean:
	rm -rf $(VENV) build *.egg-info

# Extract every UI text into the gettext catalogue for translators.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy -o node/locale/bloei.pot .
