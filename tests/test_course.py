"""course.py, the entry point on every platform: the Python check, the paths and process start that
differ between Windows and POSIX, the set-up's stamp and condensed pip output, the working copy of
the notebooks (copied once, refreshed without losing an edit, invisible to git), and the wheel's
contents (built without setuptools' warning wall)."""

import ast
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import types
import zipfile

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import course  # noqa: E402


def _run(*args, cwd=ROOT, env=None, timeout=120, python=sys.executable):
    return subprocess.run([str(python), str(ROOT / "course.py"), *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=timeout)


# ------------------------------------------------------------------------------------------------
# The Python version, checked before anything else
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [(3, 11, 0), (3, 12, 1), (3, 13, 0), (4, 0, 0)])
def test_a_new_enough_python_has_no_problem(version):
    assert course.python_problem(version) is None


@pytest.mark.parametrize("version", [(3, 10, 13), (3, 8, 18), (2, 7, 18)])
def test_an_old_python_is_told_what_is_needed(version):
    message = course.python_problem(version)
    assert "needs Python 3.11 or newer" in message
    assert "this is Python " + ".".join(map(str, version)) in message
    assert "py -3.12 course.py setup" in message  # the Windows launcher's spelling too


def _old_pythons():
    found = []
    for candidate in sorted((pathlib.Path.home() / ".pyenv" / "versions").glob("3.*/bin/python")):
        match = re.match(r"3\.(\d+)\.", candidate.parts[-3])
        if match and 6 <= int(match.group(1)) < 11:
            found.append(candidate)
    return found


@pytest.mark.parametrize("python", _old_pythons() or [None], ids=lambda p: p.parts[-3] if p else "none")
def test_an_old_interpreter_reaches_the_check_and_exits_with_the_message(python, tmp_path):
    if python is None:
        pytest.skip("no Python 3.6-3.10 on this machine")
    done = _run("setup", python=python, cwd=tmp_path)
    assert done.returncode == 1
    assert "The course needs Python 3.11 or newer; this is Python 3." in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / ".venv").exists() and not (ROOT / ".venv-old").exists()


@pytest.mark.parametrize("platform, machine, refused", [("darwin", "x86_64", True), ("darwin", "arm64", False),
                                                        ("linux", "x86_64", False), ("win32", "AMD64", False),
                                                        ("linux", "aarch64", False)])
def test_an_intel_mac_is_told_before_installing_that_jax_has_no_packages_for_it(platform, machine, refused):
    message = course.platform_problem(platform, machine)
    assert (message is not None) is refused
    if refused:
        assert "no packages after version 0.4.38" in message and "Rosetta" in message
        assert "course.py site" in message and "README.md" in message


def test_setup_on_an_intel_mac_stops_before_making_anything(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(course.platform_module, "machine", lambda: "x86_64")
    monkeypatch.setattr(course, "VENV", tmp_path / ".venv")
    with pytest.raises(SystemExit, match="Intel"):
        course.setup(force=True)
    assert not (tmp_path / ".venv").exists()


def test_course_py_uses_the_standard_library_only():
    tree = ast.parse((ROOT / "course.py").read_text(encoding="utf-8"))
    modules = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert modules and modules <= set(sys.stdlib_module_names), modules - set(sys.stdlib_module_names)


# ------------------------------------------------------------------------------------------------
# What differs between platforms: the environment's interpreter, root, starting JupyterLab
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("platform, expected", [("win32", ("Scripts", "python.exe")),
                                                ("linux", ("bin", "python")), ("darwin", ("bin", "python")),
                                                ("cygwin", ("bin", "python"))])
def test_the_environment_interpreter_is_where_venv_puts_it(platform, expected, tmp_path):
    assert course.venv_python(tmp_path / ".venv", platform) == tmp_path / ".venv" / expected[0] / expected[1]


@pytest.mark.parametrize("platform, windows", [("win32", True), ("linux", False), ("darwin", False)])
def test_the_platform_is_read_from_sys_platform(monkeypatch, platform, windows, tmp_path):
    monkeypatch.setattr(sys, "platform", platform)
    assert course.is_windows() is windows
    assert course.venv_python(tmp_path).parts[-2] == ("Scripts" if windows else "bin")


def test_the_interpreter_venv_makes_here_is_where_the_path_function_says(tmp_path):
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")], check=True, timeout=120)
    python = course.venv_python(tmp_path / "env")
    assert python.is_file()
    assert subprocess.run([str(python), "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True,
                          check=True).stdout.strip() == str(tmp_path / "env")


@pytest.mark.parametrize("name, euid, root", [("posix", 0, True), ("posix", 1000, False), ("nt", None, False)])
def test_root_is_the_posix_user_id_zero_and_never_on_windows(name, euid, root):
    fake = types.SimpleNamespace(name=name)
    if euid is not None:
        fake.geteuid = lambda: euid
    assert course.running_as_root(fake) is root


def test_root_detection_on_this_machine_matches_the_user_id():
    assert course.running_as_root() is (os.name == "posix" and os.geteuid() == 0)


@pytest.mark.parametrize("root", [True, False])
def test_jupyterlab_starts_from_the_environment_python_and_asks_for_root_only_as_root(root, tmp_path):
    python = tmp_path / "python"
    command = course.lab_command(python, root=root, extra=["00-index.ipynb", "--no-browser"])
    assert command[:3] == [str(python), "-m", "jupyterlab"]
    assert command.count("--allow-root") == (1 if root else 0)
    assert command[-2:] == ["00-index.ipynb", "--no-browser"]


def test_the_jupyterlab_module_can_be_started_with_minus_m():
    done = subprocess.run([sys.executable, "-m", "jupyterlab", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and re.match(r"4\.\d+\.\d+", done.stdout.strip()), done.stdout + done.stderr


def test_a_foreground_process_runs_in_the_folder_given_and_its_status_comes_back(tmp_path):
    script = "import os, sys; open('here.txt', 'w').write(os.getcwd()); sys.exit(3)"
    assert course.run_foreground([sys.executable, "-c", script], cwd=tmp_path) == 3
    assert pathlib.Path((tmp_path / "here.txt").read_text()).resolve() == tmp_path.resolve()


# ------------------------------------------------------------------------------------------------
# Set-up: what counts as installed, and pip's output condensed
# ------------------------------------------------------------------------------------------------


def _project(tmp_path):
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    venv = tmp_path / ".venv"
    python = course.venv_python(venv)
    python.parent.mkdir(parents=True)
    python.write_text("")
    return venv


def test_the_stamp_says_installed_until_the_lock_or_the_python_changes(tmp_path):
    venv = _project(tmp_path)
    assert not course.installed(venv, tmp_path)  # no stamp yet
    (venv / course.STAMP).write_text(json.dumps({"fingerprint": course.fingerprint(tmp_path, (3, 11)), "python": "3.11"}))
    assert course.installed(venv, tmp_path)
    assert course.fingerprint(tmp_path, (3, 12)) != course.fingerprint(tmp_path, (3, 11))
    with open(tmp_path / "requirements.lock", "a") as lock:
        lock.write("extra-package==1.0\n")
    assert not course.installed(venv, tmp_path)


def _pip_output():
    lines = ["Looking in indexes: https://pypi.org/simple\n", "Obtaining file:///course\n"]
    for k in range(45):
        lines += [f"Collecting package{k}==1.{k} (from -c requirements.lock)\n", f"  Using cached package{k}-1.{k}.whl\n"]
        lines.append(f"WARNING: Location 'file:///opt/index/package{k}/' is ignored: it is neither a file nor a directory.\n")
    lines += [f"Processing /wheels/local{k}-2.0-py3-none-any.whl\n" for k in range(10)]
    lines.append("Installing collected packages: " + ", ".join(f"package{k}" for k in range(55)) + "\n")
    lines.append("ERROR: pip's dependency resolver does not currently take into account all the packages\n")
    lines.append("Successfully installed " + " ".join(f"package{k}-1.{k}" for k in range(55)) + "\n")
    return lines


def test_pip_output_becomes_a_few_lines_and_the_log_keeps_everything():
    log, out = io.StringIO(), io.StringIO()
    progress = course.PipProgress(log, out=out, every=20)
    for line in _pip_output():
        progress.line(line)
    progress.close()
    shown = out.getvalue().splitlines()
    assert log.getvalue() == "".join(_pip_output())
    assert shown == [
        "  WARNING: Location 'file:///opt/index/package0/' is ignored: it is neither a file nor a directory.",
        "  20 packages resolved", "  40 packages resolved",
        "  56 packages resolved; installing 55 of them (the longest step, a minute or more)",
        "  ERROR: pip's dependency resolver does not currently take into account all the packages",
        "  installed 55 packages",
        "  (44 repeated messages left out: see the log)",
    ]


def test_a_silent_step_gets_a_line_saying_it_still_runs():
    import threading
    import time

    out = io.StringIO()
    progress = course.PipProgress(io.StringIO(), out=out, quiet_after=0.5)
    stop = threading.Event()
    beat = threading.Thread(target=progress.heartbeat, args=(time.monotonic(), stop))
    beat.start()
    time.sleep(6.0)  # notes after about 1, 2 and 4 s (checked once a second), the next not before 8 s
    stop.set()
    beat.join()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and all(re.fullmatch(r"  still resolving \(\d+ s so far\)", l) for l in lines), lines


# ------------------------------------------------------------------------------------------------
# The working copy of the notebooks
# ------------------------------------------------------------------------------------------------


def _write_nb(path, *sources, outputs=None):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if outputs:
        nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=outputs)]
        nb.cells[0].execution_count = 1
    nbformat.write(nb, path)
    return path


@pytest.fixture
def masters(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _write_nb(folder / "01-a.ipynb", "print(1)")
    _write_nb(folder / "02-b.ipynb", "print(2)")
    (folder / ".hidden").write_text("not copied")
    return folder


def test_the_first_copy_takes_every_notebook_and_later_ones_never_overwrite(masters, tmp_path):
    work = tmp_path / "work"
    said = []
    assert course.prepare_work(masters, work, out=said.append) == ["01-a.ipynb", "02-b.ipynb"]
    assert "copied 2 notebooks" in said[0] and not (work / ".hidden").exists()
    assert (work / "01-a.ipynb").read_bytes() == (masters / "01-a.ipynb").read_bytes()
    _write_nb(work / "01-a.ipynb", "print('my own work')")
    _write_nb(masters / "01-a.ipynb", "print('a new version')")
    _write_nb(masters / "03-c.ipynb", "print(3)")
    assert course.prepare_work(masters, work, out=said.append) == ["03-c.ipynb"]
    assert "my own work" in (work / "01-a.ipynb").read_text()


def test_refresh_replaces_what_changed_and_keeps_every_edited_copy(masters, tmp_path):
    work = tmp_path / "work"
    course.prepare_work(masters, work, out=lambda _: None)
    _write_nb(work / "01-a.ipynb", "print(1)", outputs="1\n")          # only run: outputs, same cells
    _write_nb(work / "02-b.ipynb", "print('my answer')")              # edited
    edited = (work / "02-b.ipynb").read_bytes()
    _write_nb(masters / "01-a.ipynb", "print(1)  # fixed")
    _write_nb(masters / "02-b.ipynb", "print(2)  # fixed")
    _write_nb(masters / "03-c.ipynb", "print(3)")
    said = []
    report = course.refresh(masters, work, stamp="20261203-2200", out=said.append)
    assert report == {"updated": ["01-a.ipynb", "02-b.ipynb"], "kept": {"02-b.ipynb": "02-b.edited-20261203-2200.ipynb"},
                      "added": ["03-c.ipynb"]}
    assert (work / "02-b.edited-20261203-2200.ipynb").read_bytes() == edited  # nothing the student made is lost
    for name in ("01-a.ipynb", "02-b.ipynb", "03-c.ipynb"):
        assert (work / name).read_bytes() == (masters / name).read_bytes()
    assert not list(work.glob("01-a.edited-*"))  # a copy that was only run is simply replaced
    assert said[-1].endswith("2 updated, 1 added, 1 edited copy kept aside")
    # A second refresh has nothing to do, and the copy just refreshed counts as unedited.
    assert course.refresh(masters, work, stamp="x", out=lambda _: None) == {"updated": [], "kept": {}, "added": []}


def test_a_second_edit_kept_aside_with_the_same_stamp_does_not_replace_the_first(masters, tmp_path):
    work = tmp_path / "work"
    course.prepare_work(masters, work, out=lambda _: None)
    for k in (1, 2):
        _write_nb(work / "01-a.ipynb", f"print('answer {k}')")
        _write_nb(masters / "01-a.ipynb", f"print('version {k}')")
        course.refresh(masters, work, stamp="same", out=lambda _: None)
    assert "answer 1" in (work / "01-a.edited-same.ipynb").read_text()
    assert "answer 2" in (work / "01-a.edited-same-2.ipynb").read_text()


def test_refresh_of_named_notebooks_only_and_an_unknown_name_is_refused(masters, tmp_path):
    work = tmp_path / "work"
    course.prepare_work(masters, work, out=lambda _: None)
    _write_nb(masters / "01-a.ipynb", "print('new')")
    _write_nb(masters / "02-b.ipynb", "print('new')")
    report = course.refresh(masters, work, names=["02-b.ipynb"], out=lambda _: None)
    assert report["updated"] == ["02-b.ipynb"] and "new" not in (work / "01-a.ipynb").read_text()
    with pytest.raises(SystemExit, match="no such notebook .*: 99-z.ipynb"):
        course.refresh(masters, work, names=["99-z.ipynb"], out=lambda _: None)


def test_a_copy_that_is_no_notebook_any_more_counts_as_edited(masters, tmp_path):
    work = tmp_path / "work"
    course.prepare_work(masters, work, out=lambda _: None)
    (work / "01-a.ipynb").write_text("{ half a notebook")
    _write_nb(masters / "01-a.ipynb", "print('new')")
    report = course.refresh(masters, work, stamp="s", out=lambda _: None)
    assert report["kept"] == {"01-a.ipynb": "01-a.edited-s.ipynb"}
    assert (work / "01-a.edited-s.ipynb").read_text() == "{ half a notebook"


def test_running_the_working_copy_leaves_git_status_clean(tmp_path):
    """A repository with this project's .gitignore and course.py: the copies are run and saved with outputs."""
    from nbclient import NotebookClient

    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    shutil.copy(ROOT / "course.py", repo / "course.py")
    _write_nb(repo / "notebooks" / "01-a.ipynb", "print(6 * 7)")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "masters"], check=True)
    done = subprocess.run([sys.executable, str(repo / "course.py"), "refresh"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0 and "1 added" in done.stdout, done.stdout + done.stderr
    copy = repo / "work" / "01-a.ipynb"
    nb = nbformat.read(copy, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(copy.parent)}}).execute(
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nbformat.write(nb, copy)
    (repo / "work" / ".ipynb_checkpoints").mkdir()
    assert "42" in copy.read_text()
    status = subprocess.run([*git, "status", "--porcelain", "--untracked-files=all"], capture_output=True, text=True)
    assert status.stdout == "", status.stdout


def test_this_repository_ignores_the_working_copy():
    done = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", "work/01-autoencoder.ipynb"])
    assert done.returncode == 0, "work/ must be in .gitignore"


def test_the_notebooks_reach_nothing_outside_their_folder():
    """The copies in work/ find what the masters find: links go to sibling notebooks only and no code
    cell reads a path relative to notebooks/ (the package finds its own data)."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        names = {p.name for p in path.parent.iterdir()}
        for cell in nbformat.read(path, as_version=4).cells:
            assert "../" not in cell.source and "..\\" not in cell.source, f"{path.name}: a path out of notebooks/"
            if cell.cell_type == "markdown":
                for target in re.findall(r"\]\(([^)\s]+)\)", cell.source):
                    if not re.match(r"[a-z]+:|#", target):
                        assert target.split("#")[0] in names, f"{path.name} links to {target}"


# ------------------------------------------------------------------------------------------------
# Commands, the make shortcuts, CI
# ------------------------------------------------------------------------------------------------


def test_help_lists_the_commands_and_an_unknown_command_is_refused():
    done = _run("help")
    assert done.returncode == 0
    for command in ("setup", "lab", "test", "check", "refresh", "warm", "site"):
        assert re.search(rf"python course.py {command}\b", done.stdout), command
    wrong = _run("labb")
    assert wrong.returncode == 1 and "unknown command 'labb'" in wrong.stderr


def test_setup_here_is_refused_with_what_to_do():
    done = _run("setup", "--here")
    assert done.returncode == 1 and "environment.yml" in done.stderr and "warm --here" in done.stderr


def test_warm_here_fills_the_cache_with_this_python(tmp_path):
    nb = _write_nb(tmp_path / "tiny.ipynb", "import jax, jax.numpy as jnp, vae_tutorial\nprint(jax.jit(jnp.sin)(0.5))")
    done = _run("warm", "--here", str(nb), env={"VAE_TUTORIAL_JAX_CACHE": str(tmp_path / "cache"), "JAX_PLATFORMS": "cpu"},
                timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\[ 1/1\] tiny.ipynb: \d+\.\d s", done.stdout) and any((tmp_path / "cache").iterdir())


def test_make_targets_are_shortcuts_to_course_py():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^COURSE := \$\(PYTHON\) course.py$", makefile, flags=re.M)
    for target, command in [("install", "setup"), ("lab", "lab"), ("test", "test"), ("warm", "warm"),
                            ("refresh", "refresh"), ("site", "site")]:
        recipe = re.search(rf"^{target}:\n\t(.+)$", makefile, flags=re.M)
        assert recipe and recipe.group(1) == f"$(COURSE) {command}", target


def test_setup_warms_the_cache_and_ci_goes_through_course_py():
    source = (ROOT / "course.py").read_text()
    setup = source.split("def setup(")[1].split("\ndef ")[0]
    assert '"tools" / "warm_cache.py"' in setup
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^python3 course.py test\b", ci, flags=re.M) and "make test" not in ci


@pytest.mark.parametrize("platform, shell", [("win32", True), ("linux", False), ("darwin", False)])
def test_mathjax_is_unpacked_from_what_npm_pack_fetched_and_npm_runs_through_the_shell_on_windows(
        monkeypatch, tmp_path, platform, shell):
    import tarfile

    calls = []

    def fake_npm_pack(command, *, cwd, **options):  # what `npm pack` leaves: the package's archive
        calls.append((command, options))
        source = tmp_path / "source" / "package" / "es5"
        source.mkdir(parents=True, exist_ok=True)
        (source / "tex-svg-full.js").write_text("/* MathJax */")
        with tarfile.open(pathlib.Path(cwd) / f"mathjax-{course.MATHJAX_VERSION}.tgz", "w:gz") as tar:
            tar.add(source.parent, arcname="package")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(course.shutil, "which", lambda name: "/usr/bin/npm" if name == "npm" else None)
    monkeypatch.setattr(course.subprocess, "run", fake_npm_pack)
    script = course.mathjax(tmp_path / "venv")
    assert script == tmp_path / "venv" / f"mathjax-{course.MATHJAX_VERSION}" / "package" / "es5" / "tex-svg-full.js"
    assert script.read_text() == "/* MathJax */"
    assert calls[0][0] == ["/usr/bin/npm", "pack", "--silent", f"mathjax@{course.MATHJAX_VERSION}"]
    assert calls[0][1]["shell"] is shell
    assert course.mathjax(tmp_path / "venv") == script and len(calls) == 1  # fetched once


def test_without_npm_the_site_is_built_without_mathjax_and_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(course.shutil, "which", lambda name: None)
    assert course.mathjax(tmp_path) is None
    assert "npm is not installed, so the pages show equations as LaTeX source" in capsys.readouterr().out


def test_an_explorer_not_run_yet_tells_the_student_to_run_the_cell():
    """JupyterLab shows a saved explorer output as its still picture until the cell runs: the caption
    must not say that JupyterLab cannot run the explorer."""
    from vae_tutorial import widgets

    note = widgets.NO_FRONTEND_NOTE
    assert "run this cell" in note and "cannot run the interactive explorer" not in note
    assert "course.py site" in note and "make site" not in note  # the command that works on every platform


# ------------------------------------------------------------------------------------------------
# Packaging: the wheel holds every file of the package, and building it prints no warning wall
# ------------------------------------------------------------------------------------------------


def test_the_wheel_holds_every_package_file_and_building_it_warns_of_nothing(tmp_path):
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "vae_tutorial", "pyproject.toml", "README.md", "LICENSE"],
                           capture_output=True, text=True, check=True).stdout.split()
    source = tmp_path / "source"
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path / "dist"), "-v",
                           str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = done.stdout + done.stderr
    assert "BuildBackendWarning" not in log and "would be ignored" not in log.lower()
    wheel = next((tmp_path / "dist").glob("vae_tutorial-*.whl"))
    inside = set(zipfile.ZipFile(wheel).namelist())
    package_files = {f for f in files if f.startswith("vae_tutorial/")}
    assert package_files <= inside, sorted(package_files - inside)
    assert any(f.startswith("vae_tutorial/assets/pretrained/") for f in package_files)
