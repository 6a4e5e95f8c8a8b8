# The two commands a newcomer needs:
#   make run    set-up, then every notebook on the default profile (cpu), writing figures/
#   make test   set-up, then typecheck, unit tests and every notebook on the smoke profile
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

# Debian's Python owns Jupyter here (the python3 first on PATH may be another one).
PY := /usr/bin/python3
PROFILE ?= $(or $(MIA_PROFILE),cpu)
# make run TASKS=mine,cifar10: the notebooks on those tasks (your own data: a task trained with
# 'mia train --imagefolder DIR --name mine'), figures in figures/tasks-mine+cifar10/.
TASKS ?= $(MIA_TASKS)
# The tslab kernelspec lives in the project (.jupyter/, written by setup), not in ~/.
export JUPYTER_PATH := $(CURDIR)/.jupyter$(if $(JUPYTER_PATH),:$(JUPYTER_PATH))

.PHONY: all setup build typecheck unit notebooks notebooks-smoke test run data bench notebook lab clean

all: run

## setup: npm ci, Debian's Jupyter (apt-get when root), tslab kernelspec, compile src/ -> dist/
setup:
	@bash scripts/setup.sh

build: setup

typecheck: setup
	node_modules/.bin/tsc -p tsconfig.json --noEmit

unit: setup
	node --test dist/test/*.test.js

## notebooks on a profile: make notebooks PROFILE=smoke
notebooks: setup
	$(PY) scripts/run_notebooks.py --profile $(PROFILE) --tasks "$(TASKS)"
	MIA_PROFILE=$(PROFILE) MIA_TASKS=$(TASKS) node dist/src/cli/main.js figures --check

notebooks-smoke: setup
	$(PY) scripts/run_notebooks.py --profile smoke

# One setup, then the three steps (a sub-make would run setup, and tsc, a second time).
test: setup
	node_modules/.bin/tsc -p tsconfig.json --noEmit
	node --test dist/test/*.test.js
	$(PY) scripts/run_notebooks.py --profile smoke --tasks ""
	MIA_PROFILE=smoke MIA_TASKS= node dist/src/cli/main.js figures --check

run: setup
	MIA_TASKS=$(TASKS) node dist/src/cli/main.js data --fetch --needed --profile $(PROFILE)
	$(PY) scripts/run_notebooks.py --profile $(PROFILE) --tasks "$(TASKS)"
	MIA_PROFILE=$(PROFILE) MIA_TASKS=$(TASKS) node dist/src/cli/main.js figures --check

## data: download the public sets that are missing (MedMNIST+ 64x64, CIFAR-10 binary) into
## MIA_DATA_DIR, else data/: verified MD5s, resumable; 'mia data --sources' lists the rest
data: setup
	node dist/src/cli/main.js data --fetch --sizes 64

## benchmarks (speed goals live here, never in timed tests)
bench: setup
	@/usr/bin/python3 -c "import torch" 2>/dev/null || { if [ "$$(id -u)" = 0 ]; then echo "[bench] installing Debian's python3-torch (the PyTorch reference)"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch >/dev/null; else echo "[bench] no PyTorch reference: sudo apt-get install python3-torch"; fi; }
	node dist/bench/data.js cxr 64
	node dist/bench/compare.js

## open the notebooks in Debian's Notebook UI (make setup installs it when root), on loopback:
##   make notebook [PROFILE=smoke] [NOTEBOOK_PORT=8888] [NOTEBOOK_IP=127.0.0.1] [NOTEBOOK_ARGS=...]
NOTEBOOK_PORT ?= 8888
NOTEBOOK_IP ?= 127.0.0.1
NOTEBOOK_ARGS ?=
# NOTEBOOK_DEPS= skips the set-up (the live-session test serves the dist/ it is running from).
NOTEBOOK_DEPS ?= setup
notebook lab: $(NOTEBOOK_DEPS)
	@if command -v jupyter-notebook >/dev/null; then ui=jupyter-notebook; \
	elif command -v jupyter-lab >/dev/null; then ui=jupyter-lab; \
	else echo "No Jupyter UI installed. On Debian: sudo apt-get install jupyter-notebook (then 'make notebook')." >&2; exit 1; fi; \
	root=; [ "$$(id -u)" = 0 ] && root=--allow-root; \
	echo "[notebook] $$ui on http://$(NOTEBOOK_IP):$(NOTEBOOK_PORT)/ (open the URL with the token that Jupyter prints below); profile $(PROFILE) (PROFILE=... or MIA_PROFILE)"; \
	cd notebooks && MIA_PROFILE=$(PROFILE) exec $$ui --ip=$(NOTEBOOK_IP) --port=$(NOTEBOOK_PORT) --no-browser $$root $(NOTEBOOK_ARGS)

clean:
	rm -rf dist build .jupyter
