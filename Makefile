# Two commands for a newcomer: `make demo` and `make test`.
# Both create .venv and install what they need; nothing is installed by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test lint format browser clean messages

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

demo: $(STAMP)
	$(BIN)/bloei demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) browser lint
	BLOEI_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q

clean:
	rm -rf $(VENV) build *.egg-info

# Extract every UI text into the gettext catalogue for translators.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy -o node/locale/bloei.pot .
