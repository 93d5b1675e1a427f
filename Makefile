# Two commands: `make run` (the service with demo data on SQLite) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint clean translations

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

var/.initialised: $(STAMP)
	mkdir -p var
	$(BIN)/casework init --demo
	touch var/.initialised

run: var/.initialised
	$(BIN)/casework serve

test: $(STAMP)
	$(BIN)/ruff check engine workflows webui tests
	$(BIN)/pytest -q

# after changing user-visible text: extract, merge into the Chinese catalogue (zh: Babel reads zh_CN as zh_Hans_CN, which finds zh), translate, compile
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o webui/translations/messages.pot .
	$(BIN)/pybabel update -i webui/translations/messages.pot -d webui/translations -l zh --no-fuzzy-matching
	$(BIN)/pybabel compile -d webui/translations

clean:
	rm -rf var $(VENV)
