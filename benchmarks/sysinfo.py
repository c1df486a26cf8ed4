"""Machine and version facts that every benchmark prints next to its figures."""

from __future__ import annotations

import importlib.metadata
import os
import platform


def cpu_model() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def version(name: str) -> str:
    """The installed version of a distribution, or ``"not installed"``."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def summary(packages=("jax", "jaxlib", "flax")) -> str:
    """One line: CPU, cores, Python and the given packages' versions."""
    names = ", ".join(f"{p} {version(p)}" for p in packages)
    return f"{cpu_model()}, {usable_cores()} cores; python {platform.python_version()}, {names}"
