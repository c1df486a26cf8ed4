"""Set up and run the course on Windows, macOS or Linux with nothing but Python 3.11 or newer.

    python course.py setup     create .venv, install the pinned versions, warm JAX's cache (once)
    python course.py lab       JupyterLab on your own copy of the notebooks (in work/)
    python course.py test      every test (extra arguments go to pytest)
    python course.py check     the quick tier: unit tests only (no notebooks, no browser, no slow ones)
    python course.py refresh   bring work/ up to date with notebooks/ (edited copies are kept)
    python course.py warm      compile the course's programs into JAX's cache again
    python course.py site      the static pages in site/ (explorers work offline, in any browser)

Use ``python3`` where ``python`` is not Python 3 (macOS, most Linux) and ``py`` on Windows if
``python`` is not found. ``--here`` uses the Python that runs this script and its packages
instead of ``.venv`` (a conda environment made from environment.yml, Binder).

The master notebooks in ``notebooks/`` are what the tests compare against and what ``git pull``
updates; ``lab`` opens copies in ``work/`` (ignored by git), so running and editing them changes
nothing in the repository. This file uses the standard library only: it runs before anything is
installed. It is written for Python 3.6 syntax so that an older Python reaches the version check
and says what is needed instead of failing on syntax.
"""

import hashlib
import json
import os
import pathlib
import platform as platform_module
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent
VENV = ROOT / ".venv"
MASTERS = ROOT / "notebooks"
WORK = ROOT / "work"
#: Records, for each copy in work/, a fingerprint of the master's cells when it was copied.
MANIFEST = ".course-copies.json"
STAMP = ".course-installed"
MIN_PYTHON = (3, 11)
MATHJAX_VERSION = "3.2.2"
MATHJAX_FILE = "package/es5/tex-svg-full.js"
INSTALL_LOG = "pip-install.log"


# ------------------------------------------------------------------------------------------------
# What differs between platforms
# ------------------------------------------------------------------------------------------------


def python_problem(version=None):
    """A sentence saying why this Python cannot run the course, or None when it can."""
    version = tuple(version or sys.version_info)[:3]
    if version[:2] >= MIN_PYTHON:
        return None
    found = ".".join(str(v) for v in version)
    return ("The course needs Python {}.{} or newer; this is Python {}. Install a newer Python (python.org, "
            "or your system's packages) and run this script with it, e.g. `python3.12 course.py setup` "
            "(on Windows: `py -3.12 course.py setup`).").format(MIN_PYTHON[0], MIN_PYTHON[1], found)


def platform_problem(platform=None, machine=None):
    """A sentence saying why this machine cannot install the course, or None.

    JAX publishes no wheels for macOS on Intel (x86-64) after jaxlib 0.4.38, and the course needs
    jax 0.10 or newer: pip would fail after minutes with "No matching distribution found for jaxlib".
    """
    platform = platform or sys.platform
    machine = (machine or platform_module.machine()).lower()
    if platform == "darwin" and machine in ("x86_64", "amd64", "i386"):
        return ("This Python runs on macOS on an Intel (x86-64) processor, for which JAX publishes no packages "
                "after version 0.4.38; the course needs JAX 0.10 or newer, so it cannot be installed here. "
                "If this Mac has an Apple chip (M1 or later), this Python is an Intel build running under Rosetta: "
                "install an arm64 Python (python.org's universal2 installer, or Homebrew) and run this script "
                "with it. On an Intel Mac: open the course's static pages (built with `python course.py site` "
                "on any machine that can install it; the explorers work in any browser, offline) and run the "
                "code on a hosted notebook service (the Colab or Binder link at the top of each notebook). "
                "See the platform table in README.md.")
    return None


def is_windows(platform=None) -> bool:
    """Windows (native, not WSL, which is Linux)."""
    return (platform or sys.platform) == "win32"


def venv_python(venv=VENV, platform=None) -> pathlib.Path:
    """The interpreter inside a virtual environment: ``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere."""
    venv = pathlib.Path(venv)
    return venv / "Scripts" / "python.exe" if is_windows(platform) else venv / "bin" / "python"


def running_as_root(os_module=os) -> bool:
    """True for the root user on a POSIX system (containers, some cloud machines), where Jupyter asks for
    ``--allow-root``. Windows has no such user id (and Jupyter no such check)."""
    geteuid = getattr(os_module, "geteuid", None)
    return os_module.name == "posix" and geteuid is not None and geteuid() == 0


def lab_command(python, *, root: bool, extra=()) -> list:
    """Start JupyterLab with the environment's own Python (``-m jupyterlab``: no launcher script, no PATH)."""
    return [str(python), "-m", "jupyterlab", *(["--allow-root"] if root else []), *extra]


def run_foreground(command, *, cwd=None, env=None) -> int:
    """Run ``command`` attached to this terminal until it exits; return its exit status.

    Ctrl-C reaches the child as well (same console on Windows, same process group on POSIX);
    Jupyter then asks whether to stop, so this process keeps waiting instead of leaving the child behind.
    """
    process = subprocess.Popen([str(c) for c in command], cwd=cwd, env=env)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue


# ------------------------------------------------------------------------------------------------
# Set-up: the environment, the pinned versions, the warm-up
# ------------------------------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, flush=True)


def fingerprint(root=ROOT, python_version=None) -> str:
    """What an installation depends on: the project's requirements, the lock and the Python version."""
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "requirements.lock"):
        digest.update((pathlib.Path(root) / name).read_bytes())
    digest.update(".".join(map(str, (python_version or sys.version_info)[:2])).encode())
    return digest.hexdigest()


def installed(venv=VENV, root=ROOT) -> bool:
    """The environment exists and was set up for the current requirements (nothing to do)."""
    stamp = pathlib.Path(venv) / STAMP
    if not (stamp.is_file() and venv_python(venv).is_file()):
        return False
    recorded = json.loads(stamp.read_text(encoding="utf-8") or "{}")
    version = tuple(int(v) for v in recorded.get("python", "0.0").split("."))
    return recorded.get("fingerprint") == fingerprint(root, version)


class PipProgress:
    """Turns pip's several hundred lines into a few: how many packages are resolved, then installed.

    Every line goes to the log file; the terminal gets a count every ``every`` packages (or one line
    rewritten in place on a terminal), a note when a step is silent for ``quiet_after`` seconds (then
    after twice as long each time, so a slow machine gets a few notes, not a wall of them), and
    pip's warnings and errors as they are.
    """

    def __init__(self, log, *, out=None, every=20, quiet_after=20.0):
        self.log, self.out, self.every, self.quiet_after = log, out or sys.stdout, every, quiet_after
        self.packages, self.phase, self.last = 0, "resolving", time.monotonic()
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.kinds, self.repeated = set(), 0  # one line per kind of warning, then a count
        self.gap = quiet_after
        self.lock = threading.Lock()

    def _show(self, text: str, *, keep: bool = True) -> None:
        with self.lock:
            if self.tty:
                self.out.write("\r\x1b[K  " + text + ("\n" if keep else ""))
            elif keep:
                self.out.write("  " + text + "\n")
            self.out.flush()
            self.last = time.monotonic()
            if not text.startswith("still "):
                self.gap = self.quiet_after

    def line(self, line: str) -> None:
        self.log.write(line)
        text = line.strip()
        if text.startswith(("Collecting ", "Processing ", "Requirement already satisfied: ", "Obtaining ")):
            self.packages += 1
            if self.packages % self.every == 0:
                self._show("{} packages resolved".format(self.packages), keep=not self.tty)
            elif self.tty:
                self._show("{} packages resolved".format(self.packages), keep=False)
        elif text.startswith("Installing collected packages:"):
            count = len(text.split(":", 1)[1].split(","))
            self.phase = "installing"
            self._show("{} packages resolved; installing {} of them (the longest step, a minute or more)"
                       .format(self.packages, count))
        elif text.startswith("Successfully installed"):
            self._show("installed {} packages".format(len(text.split()) - 2))
        elif text.startswith(("ERROR", "WARNING")) or "error:" in text.lower():
            kind = re.sub(r"'[^']*'|\"[^\"]*\"|\S*[/\\]\S*|\d+", "_", text)  # names, paths, numbers aside
            if kind in self.kinds:
                self.repeated += 1
            else:
                self.kinds.add(kind)
                self._show(text)

    def close(self) -> None:
        if self.repeated:
            self._show("({} repeated message{} left out: see the log)".format(
                self.repeated, "s" if self.repeated != 1 else ""))

    def heartbeat(self, started: float, stop: threading.Event) -> None:
        while not stop.wait(1.0):
            if time.monotonic() - self.last >= self.gap:
                self._show("still {} ({:.0f} s so far)".format(self.phase, time.monotonic() - started))
                self.gap *= 2


def pip_install(python, args, *, log_path, out=None) -> int:
    """``python -m pip install ARGS`` with its output condensed (see :class:`PipProgress`); the full log is kept."""
    log_path = pathlib.Path(log_path)
    started, stop = time.monotonic(), threading.Event()
    with open(log_path, "w", encoding="utf-8") as log:
        progress = PipProgress(log, out=out)
        beat = threading.Thread(target=progress.heartbeat, args=(started, stop), daemon=True)
        beat.start()
        process = subprocess.Popen([str(python), "-m", "pip", "install", "--progress-bar", "off", *args],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, encoding="utf-8", errors="replace", bufsize=1)
        for line in process.stdout:
            progress.line(line)
        status = process.wait()
        stop.set()
        beat.join()
        progress.close()
    return status


def create_venv(venv=VENV) -> pathlib.Path:
    python = venv_python(venv)
    if python.is_file():
        return python
    say("[1/4] creating the environment {} with Python {}".format(venv.name, sys.version.split()[0]))
    done = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if done.returncode != 0 or not python.is_file():
        hint = ""
        if "ensurepip" in (done.stdout + done.stderr):
            hint = " On Debian or Ubuntu, install the venv module first: sudo apt install python3-venv."
        sys.exit("Could not create {}: {}{}".format(venv, (done.stderr or done.stdout).strip()[-500:], hint))
    return python


def setup(*, force: bool = False, warm: bool = True) -> pathlib.Path:
    """Make .venv hold the pinned versions (and warm the cache after a new install); return its Python."""
    if not force and installed():
        say("course: {} is set up (python course.py setup --force reinstalls)".format(VENV.name))
        return venv_python()
    problem = platform_problem()
    if problem:
        sys.exit(problem)
    started = time.monotonic()
    python = create_venv()
    version = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
    if python_problem(tuple(int(v) for v in version.split("."))):
        sys.exit("{} was made with Python {}; delete the folder and run this script with Python {}.{} or newer."
                 .format(VENV, version, *MIN_PYTHON))
    say("[2/4] updating pip")
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        say("  (pip could not update itself, going on with the one there: {})"
            .format((done.stderr or done.stdout).strip().splitlines()[-1:]))
    say("[3/4] installing the pinned versions (requirements.lock): about 140 packages, "
        "a few minutes the first time; full log in {}".format(pathlib.Path(VENV.name) / INSTALL_LOG))
    status = pip_install(python, ["-c", "requirements.lock", "-e", ".[test]"], log_path=VENV / INSTALL_LOG)
    if status != 0:
        tail = (VENV / INSTALL_LOG).read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        sys.exit("\n".join(["", "pip failed (exit status {}); the end of its log:".format(status), *tail]))
    if warm:
        say("[4/4] compiling the course's programs into JAX's cache, so that first runs are fast")
        if run_foreground([python, ROOT / "tools" / "warm_cache.py"], cwd=ROOT) != 0:
            say("warning: the warm-up did not finish; those notebooks compile on first use")
    (VENV / STAMP).write_text(json.dumps({"fingerprint": fingerprint(ROOT, tuple(map(int, version.split(".")))),
                                          "python": version}), encoding="utf-8")
    say("course: set up in {:.0f} s. Next: python course.py lab".format(time.monotonic() - started))
    return python


# ------------------------------------------------------------------------------------------------
# The working copy of the notebooks
# ------------------------------------------------------------------------------------------------


def cells_fingerprint(path):
    """What a student writes in a notebook (each cell's type and source), not what running it adds
    (outputs, execution counts, widget state). None when the file is not a readable notebook."""
    try:
        cells = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["cells"]
        text = json.dumps([[c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"]]
                           for c in cells])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _masters(masters):
    return sorted(p for p in pathlib.Path(masters).iterdir() if p.is_file() and not p.name.startswith("."))


def _manifest(work) -> dict:
    try:
        return json.loads((pathlib.Path(work) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _copy(master, target, manifest) -> None:
    shutil.copyfile(master, target)
    manifest[target.name] = cells_fingerprint(master) or hashlib.sha256(master.read_bytes()).hexdigest()


def edited(copy, manifest) -> bool:
    """Has the student changed a cell of this copy since it was copied (running it does not count)?"""
    recorded = manifest.get(copy.name)
    now = cells_fingerprint(copy) if copy.suffix == ".ipynb" else hashlib.sha256(copy.read_bytes()).hexdigest()
    return recorded is None or now != recorded


def prepare_work(masters=MASTERS, work=WORK, *, out=print) -> list:
    """Copy to ``work`` each master that has no copy there yet; never touch an existing copy. Returns the names copied."""
    work = pathlib.Path(work)
    work.mkdir(exist_ok=True)
    manifest, copied = _manifest(work), []
    for master in _masters(masters):
        target = work / master.name
        if not target.exists():
            _copy(master, target, manifest)
            copied.append(master.name)
    (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    if copied:
        out("course: copied {} notebook{} to {} (your copies: run and edit them freely; the masters in "
            "notebooks/ stay as committed)".format(len(copied), "s" if len(copied) != 1 else "", work.name + os.sep))
    return copied


def refresh(masters=MASTERS, work=WORK, *, names=(), stamp=None, out=print) -> dict:
    """Replace the copies in ``work`` that differ from their masters; a copy the student edited is first
    renamed ``NAME.edited-YYYYMMDD-HHMMSS.ipynb`` (nothing a student made is lost). ``names`` limits it to
    some notebooks. Returns ``{"updated": [...], "kept": {name: new name}, "added": [...]}``."""
    work = pathlib.Path(work)
    work.mkdir(exist_ok=True)
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S")
    manifest, report = _manifest(work), {"updated": [], "kept": {}, "added": []}
    wanted = {pathlib.Path(n).name for n in names}
    unknown = wanted - {m.name for m in _masters(masters)}
    if unknown:
        raise SystemExit("refresh: no such notebook in {}: {}".format(masters, ", ".join(sorted(unknown))))
    for master in _masters(masters):
        if wanted and master.name not in wanted:
            continue
        target = work / master.name
        if not target.exists():
            _copy(master, target, manifest)
            report["added"].append(master.name)
            continue
        if target.read_bytes() == master.read_bytes():
            manifest[target.name] = cells_fingerprint(master) or manifest.get(target.name)
            continue
        if edited(target, manifest):
            aside, n = target.with_name("{}.edited-{}{}".format(target.stem, stamp, target.suffix)), 1
            while aside.exists():  # never replace an earlier kept copy (rename would, on POSIX)
                n += 1
                aside = target.with_name("{}.edited-{}-{}{}".format(target.stem, stamp, n, target.suffix))
            target.rename(aside)
            report["kept"][master.name] = aside.name
        _copy(master, target, manifest)
        report["updated"].append(master.name)
    (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    for name in report["added"]:
        out("  added   {}".format(name))
    for name in report["updated"]:
        kept = report["kept"].get(name)
        out("  updated {}".format(name) + ("  (your edited copy is now {})".format(kept) if kept else ""))
    out("course: {} refreshed: {} updated, {} added, {} edited cop{} kept aside".format(
        work.name + os.sep, len(report["updated"]), len(report["added"]), len(report["kept"]),
        "y" if len(report["kept"]) == 1 else "ies"))
    return report


# ------------------------------------------------------------------------------------------------
# The static site
# ------------------------------------------------------------------------------------------------


def mathjax(folder=VENV):
    """MathJax 3's single-file script, taken once from the npm registry with npm; None without npm."""
    target = pathlib.Path(folder) / "mathjax-{}".format(MATHJAX_VERSION)
    script = target / MATHJAX_FILE
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        say("site: npm is not installed, so the pages show equations as LaTeX source "
            "(install Node.js, which brings npm, to typeset them)")
        return None
    say("site: fetching MathJax {} with npm (once)".format(MATHJAX_VERSION))
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([npm, "pack", "--silent", "mathjax@{}".format(MATHJAX_VERSION)], cwd=target,
                          capture_output=True, text=True, shell=is_windows())  # npm is npm.cmd on Windows
    archive = target / "mathjax-{}.tgz".format(MATHJAX_VERSION)
    if done.returncode != 0 or not archive.is_file():
        say("site: npm could not fetch MathJax ({}); equations stay LaTeX source".format(done.stderr.strip()[-300:]))
        return None
    with tarfile.open(archive) as tar:
        member = tar.getmember(MATHJAX_FILE)
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_bytes(tar.extractfile(member).read())
    return script


# ------------------------------------------------------------------------------------------------
# Commands
# ------------------------------------------------------------------------------------------------

USAGE = __doc__.split("\n\n")[1]


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    problem = python_problem()
    if problem:
        sys.exit(problem)
    here = "--here" in argv
    if here:
        argv.remove("--here")
    if not argv or argv[0] in ("-h", "--help", "help"):
        say(USAGE)
        return 0
    command, rest = argv[0], argv[1:]

    def environment():
        return pathlib.Path(sys.executable) if here else setup()

    if command == "setup":
        if here:
            sys.exit("setup --here: install with conda (environment.yml) or pip yourself, then run "
                     "python course.py warm --here")
        setup(force="--force" in rest, warm="--no-warm" not in rest)
        return 0
    if command == "lab":
        python = environment()
        prepare_work()
        say("course: starting JupyterLab in {} (stop it with Ctrl-C, twice)".format(WORK.name + os.sep))
        start = ["00-index.ipynb"] if (WORK / "00-index.ipynb").is_file() else []
        return run_foreground(lab_command(python, root=running_as_root(), extra=[*start, *rest]), cwd=WORK)
    if command == "refresh":
        refresh(names=rest)
        return 0
    if command == "test":
        return run_foreground([environment(), "-m", "pytest", *rest], cwd=ROOT)
    if command == "check":
        return run_foreground([environment(), "-m", "pytest", "tests", "-o", "addopts=", "-q", "-m", "not browser and not slow", *rest],
                              cwd=ROOT)
    if command == "warm":
        python = pathlib.Path(sys.executable) if here else setup(warm=False)
        return run_foreground([python, ROOT / "tools" / "warm_cache.py", *rest], cwd=ROOT)
    if command == "site":
        python = environment()
        script = mathjax()
        return run_foreground([python, ROOT / "tools" / "build_site.py", "--out", ROOT / "site",
                               *(["--mathjax", script] if script else []), *rest], cwd=ROOT)
    sys.exit("course.py: unknown command {!r}\n\n{}".format(command, USAGE))


if __name__ == "__main__":
    sys.exit(main())
