"""Peak memory of a piece of code, measured in a fresh Python process (tests that bound memory use it)."""

import os
import subprocess
import sys
import textwrap

_PROBE = """
import resource
def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
{setup}
_before = _peak_mb()
{code}
print("PEAK_GROWTH_MB", _peak_mb() - _before)
"""


def peak_growth_mb(setup: str, code: str, *, timeout: float = 300) -> float:
    """Run ``setup`` then ``code`` in a new interpreter; return how far ``code`` raised the peak RSS (MB)."""
    source = _PROBE.format(setup=textwrap.dedent(setup), code=textwrap.dedent(code))
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        raise AssertionError(f"the probe failed:\n{done.stderr[-3000:]}")
    line = [l for l in done.stdout.splitlines() if l.startswith("PEAK_GROWTH_MB")][-1]
    return float(line.split()[1])
