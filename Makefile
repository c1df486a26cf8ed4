# Two commands set everything up: `make lab` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab test install warm notebooks navigation benchmarks site clean student study

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed (found %s); set PYTHON=python3.11 or newer" % sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	@$(MAKE) --no-print-directory warm
	touch $(STAMP)

install: $(STAMP)

# Compile the course's programs once into JAX's cache, so a student's first run is as fast as a
# re-run (tools/warm_cache.py; a few minutes on 2 cores). A failure only warns: the course still works.
warm:
	@test -x $(BIN)/python || { echo "make warm: $(BIN) does not exist yet; run make install (it warms the cache itself)"; exit 1; }
	$(BIN)/python tools/warm_cache.py || echo "warning: the warm-up did not finish; those notebooks compile on first use"

# Jupyter refuses to start as root (containers, some cloud machines) unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/

test: $(STAMP)
	$(BIN)/python -m pytest

# The fast tier (about a minute on 2 cores): the unit tests and the JavaScript tests, without nbval,
# the browser or the tests marked slow. `make test` stays the full gate.
.PHONY: check
check: $(STAMP)
	$(BIN)/python -m pytest tests -o addopts= -m "not slow and not browser" -q

notebooks: $(STAMP)   ## re-run every notebook top to bottom and save its outputs
	$(BIN)/python tools/run_notebooks.py

navigation: $(STAMP)  ## rewrite the navigation lines and the index
	$(BIN)/python tools/navigation.py

student: $(STAMP)     ## the student edition (solutions replaced by stubs, answers hidden) into student/
	$(BIN)/python tools/student_edition.py

# MathJax 3 for the static pages (typesetting offline), from the npm registry's mathjax package.
MATHJAX_VERSION := 3.2.2
MATHJAX := $(VENV)/mathjax-$(MATHJAX_VERSION)/package/es5/tex-svg-full.js

$(MATHJAX):
	mkdir -p $(VENV)/mathjax-$(MATHJAX_VERSION)
	cd $(VENV)/mathjax-$(MATHJAX_VERSION) && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null \
		&& tar xzf mathjax-$(MATHJAX_VERSION).tgz package/es5/tex-svg-full.js

site: $(STAMP) $(MATHJAX)  ## the series as static HTML pages in site/, from a fresh run; the explorers work offline
	$(BIN)/python tools/build_site.py --out site --mathjax $(MATHJAX)

study: $(STAMP)  ## the autoencoder against the VAE over latent sizes and seeds (tens of minutes)
	$(BIN)/python tools/latent_study.py
	$(BIN)/python tools/latent_study.py --long

benchmarks: $(STAMP)
	# PyTorch is the speed reference only; 2.13.0 is the CPU build this project measured with.
	$(BIN)/python -m pip install --quiet -c requirements.lock torch==2.13.0
	$(BIN)/python benchmarks/train_throughput.py
	$(BIN)/python benchmarks/notebook_times.py
	$(BIN)/python benchmarks/widget_latency.py

clean:
	rm -rf $(VENV) .pytest_cache
