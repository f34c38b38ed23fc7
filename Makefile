# Routine tasks. Each is one command you could also type; see README.md.
.PHONY: install test lint format bench docs validators rule-pack check demo kube lab-up lab-down lab-fixtures

install:            ## editable install with the test tools
	python3 -m pip install -q -c constraints.txt -e ".[test]"

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

rule-pack:          ## re-pack rules/*.yaml into rules/rules.json (after editing a rule)
	python3 scripts/gen-rule-pack

check: lint test


demo:               ## start the lab, OOM-kill a pod, diagnose it, tear down (root)
	scripts/demo

kube:               ## build (or reuse) the pinned Kubernetes binaries, cached by version
	scripts/build-kube

lab-up: kube        ## the lab, a real single-node Kubernetes, in /var/tmp/stackdoctor-lab (root)
	stackdoctor lab up

lab-down:           ## stop it and remove everything it made
	stackdoctor lab down

lab-fixtures: kube  ## recapture fixtures/scenarios/k8s-*.json from the lab (root)
	python3 scripts/regen-lab-fixtures
