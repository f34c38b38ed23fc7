# Routine tasks. Each is one command you could also type; see README.md.
.PHONY: install test lint format bench docs validators check

install:            ## editable install with the test tools
	python3 -m pip install -q -e ".[test]"

test:               ## the test suite (what .ci/run runs)
	python3 -m pytest -q

lint:               ## ruff, mypy, and the built-in rule packs
	ruff check . && ruff format --check . && python3 -m mypy && stackdoctor rules lint && stackdoctor rules test

format:
	ruff format . && ruff check --fix .

bench:              ## benchmarks: prints a table, writes bench/results/latest.json
	python3 -m bench

docs:               ## regenerate the generated parts of docs/
	python3 scripts/gen-docs

validators:         ## recompile the JSON Schemas into doctor/*/compiled_*.py
	python3 scripts/gen-validators

check: lint test
