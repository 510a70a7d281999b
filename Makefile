# make study   run the whole study (creates .venv, installs everything, runs Snakemake)
# make test    run the linters, then the test suite (unit tests, one end-to-end run on
#              config/smoke.yaml)
# make bench   the speed benchmarks (speedrun, throughput, scaling) into results/bench/
# make bench-demo  after the study: `study predict` from a cold start, the deck's size and
#              the time it takes to open and to get its live demo ready
# make bench-photos  after the study: how many simulated photographs of digits and
#              numbers `study predict` reads right
# make lock    rewrite requirements.lock and environment.yml's pins from pyproject.toml
# make slurm   the smoke study on a real one-machine Slurm cluster (root or sudo; apt)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all
SNAKEMAKE_ARGS ?=

.PHONY: study smoke test bench bench-demo bench-photos lint install clean lock slurm

study: install
	PATH="$(CURDIR)/$(BIN):$$PATH" snakemake --workflow-profile workflow/profiles/default --cores $(CORES) $(SNAKEMAKE_ARGS)

smoke: install
	PATH="$(CURDIR)/$(BIN):$$PATH" snakemake --workflow-profile workflow/profiles/default --cores $(CORES) --configfile config/smoke.yaml $(SNAKEMAKE_ARGS)

test: lint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

slurm: install
	VENV=$(VENV) tests/slurm/run.sh

bench: install
	PATH="$(CURDIR)/$(BIN):$$PATH" snakemake --cores $(CORES) results/data/split.npz results/data/test.npz
	$(BIN)/python -m study bench all

bench-demo: install
	$(BIN)/python scripts/bench_demo.py --results results

bench-photos: install
	$(BIN)/python scripts/bench_photos.py make results/bench/photos --results results
	$(BIN)/python scripts/bench_photos.py read results/bench/photos

lint: install
	$(BIN)/ruff check study tests scripts
	PATH="$(CURDIR)/$(BIN):$$PATH" snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow

install: $(VENV)/.installed node_modules/.installed

# Exact versions and hashes from requirements.lock, then the package itself without
# dependencies: a fresh install gets the software the study was measured with.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Rewrite requirements.lock from pyproject.toml (every platform, Python >= 3.11), then pin
# environment.yml to it. Run after changing a dependency; commit both files.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --generate-hashes \
	    --output-file requirements.lock
	$(BIN)/python scripts/lock.py

# From npm, exactly as package-lock.json has them: reveal.js 5.2.1 (pandoc's writer needs
# version 5) and onnxruntime-web (the deck's live demo embeds its WebAssembly).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf results .snakemake
