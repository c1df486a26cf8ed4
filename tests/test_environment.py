"""The set-up files agree: pyproject ranges, requirements.lock pins, environment.yml pins."""

import pathlib
import re
import tomllib

from packaging.requirements import Requirement

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def _env_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"\s*-\s*([A-Za-z0-9_.\-]+)==([^\s]+)\s*$", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_every_dependency_is_pinned_and_in_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = _lock()
    for spec in project["dependencies"] + project["optional-dependencies"]["test"]:
        req = Requirement(spec)
        name = req.name.lower()
        assert name in lock, f"{name} is not pinned in requirements.lock"
        assert req.specifier.contains(lock[name]), f"{name}=={lock[name]} is outside pyproject's {req.specifier}"


def test_environment_yml_mirrors_the_lock():
    env = _env_pins()
    lock = _lock()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = {Requirement(s).name.lower() for s in project["dependencies"]}
    assert direct <= set(env), f"environment.yml misses pins for {sorted(direct - set(env))}"
    for name, version in env.items():
        assert lock.get(name) == version, f"environment.yml pins {name}=={version}, the lock {lock.get(name)}"
    text = (ROOT / "environment.yml").read_text()
    assert "- -c requirements.lock" in text
    assert "python=3.11" in text


def test_environment_yml_installs_the_test_extras_as_the_readme_promises():
    """Notebook 7 (which the index says works) and the tests come with the test extras."""
    env = _env_pins()
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*- -e \.\[test\]\s*$", text, flags=re.M), "install the package with its test extras"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = {Requirement(s).name.lower() for s in project["optional-dependencies"]["test"]}
    assert extras <= set(env), f"environment.yml misses pins for the test extras {sorted(extras - set(env))}"
    assert "notebook" in extras
    assert "course.py warm --here" in text  # conda runs no postBuild: the file says how to warm the cache


def test_ci_runs_the_tests_through_the_entry_point_students_use():
    script = (ROOT / ".ci" / "run").read_text()
    assert "python3 course.py test" in script and "JAX_PLATFORMS=cpu" in script


def test_the_installed_version_is_the_package_version():
    import importlib.metadata

    import vae_tutorial

    assert importlib.metadata.version("vae-tutorial") == vae_tutorial.__version__


def test_ci_installs_node_for_the_javascript_tests_and_make_check_is_the_fast_tier():
    script = (ROOT / ".ci" / "run").read_text()
    assert "command -v node" in script and "nodejs" in script and "CI=true" in script
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ncheck:", 1)[1].split("\n\n", 1)[0]
    assert "$(COURSE) check" in recipe  # make is a shortcut to the entry point
    entry = (ROOT / "course.py").read_text()
    command = entry.split('if command == "check":', 1)[1].split("if command", 1)[0]
    assert '"pytest", "tests", "-o", "addopts="' in command and '"not browser and not slow"' in command
