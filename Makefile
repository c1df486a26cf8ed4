# Shortcuts to course.py, the entry point that works on every platform (`python course.py help`).
# Where there is no make (Windows), run `python course.py setup | lab | test | ...` instead.
PYTHON ?= python3
COURSE := $(PYTHON) course.py
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install lab test check warm refresh site notebooks navigation benchmarks clean student study

# Create .venv (Python >= 3.11), install the pinned versions, warm JAX's cache. Once: afterwards it
# only checks that pyproject.toml and requirements.lock have not changed.
install:
	$(COURSE) setup

# JupyterLab on your own copies of the notebooks (work/, ignored by git); the masters stay untouched.
lab:
	$(COURSE) lab

# Every test: unit tests, strict nbval on each notebook, browser test.
test:
	$(COURSE) test

# Compile the course's programs once more into JAX's cache (tools/warm_cache.py).
warm:
	$(COURSE) warm

# Bring work/ up to date with notebooks/ (a copy you edited is kept, renamed with the date).
refresh:
	$(COURSE) refresh

# The series as static HTML pages in site/, from a fresh run; the explorers work offline.
site:
	$(COURSE) site

# The fast tier (about a minute on 2 cores): the unit tests and the JavaScript tests, without nbval,
# the browser or the tests marked slow. `make test` stays the full gate.
check:
	$(COURSE) check

notebooks: install   ## re-run every notebook top to bottom and save its outputs
	$(BIN)/python tools/run_notebooks.py

navigation: install  ## rewrite the navigation lines and the index
	$(BIN)/python tools/navigation.py

student: install     ## the student edition (solutions replaced by stubs, answers hidden) into student/
	$(BIN)/python tools/student_edition.py

study: install  ## the autoencoder against the VAE over latent sizes and seeds (tens of minutes)
	$(BIN)/python tools/latent_study.py
	$(BIN)/python tools/latent_study.py --long

benchmarks: install
	# PyTorch is the speed reference only; 2.13.0 is the CPU build this project measured with.
	$(BIN)/python -m pip install --quiet -c requirements.lock torch==2.13.0
	$(BIN)/python benchmarks/train_throughput.py
	$(BIN)/python benchmarks/notebook_times.py
	$(BIN)/python benchmarks/widget_latency.py

clean:
	rm -rf $(VENV) .pytest_cache
