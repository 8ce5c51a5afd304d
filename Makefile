# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test bench screenshots clean

install:
	@./scripts/setup.sh

run: install
	$(VENV)/bin/flask --app app db upgrade
	$(VENV)/bin/flask --app app seed-demo
	$(VENV)/bin/flask --app app run --host $(HOST) --port $(PORT)

test: install
	@./scripts/test.sh

screenshots: install  # every page of every role at 1280 and 375 px, into OUT (default ~/ljp-screenshots)
	$(VENV)/bin/python scripts/screenshots.py $(if $(OUT),--out $(OUT))

bench: install
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) node_modules .pytest_cache
