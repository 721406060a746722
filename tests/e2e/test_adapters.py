"""Wheels as other rulesets hand them over: rules_python's installed repositories and :whl
filegroups, rules_pycross' wheel provider and installed directory artifacts. Each goes into
the PEX as a distribution, never as loose files, and the PEX runs."""

from __future__ import annotations

import os
import subprocess
import zipfile

import pytest

from harness.app import run_pex
from harness.bazel import pex_info
from harness.support import find_python

DISTRIBUTIONS = [
    "click-8.1.7-py3-none-any.whl",
    "python_dateutil-2.9.0.post0-py2.py3-none-any.whl",
    "six-1.17.0-py2.py3-none-any.whl",
]


@pytest.mark.parametrize(
    "name", ["rules_python_installed_pex", "rules_python_whl_pex", "pycross_pex"]
)
def test_adapter_inputs_become_distributions(app_bazel, name, tmp_path):
    app_bazel.build(f"//adapters:{name}")
    pex = app_bazel.output(f"adapters/{name}.pex")
    assert sorted(pex_info(pex)["distributions"]) == DISTRIBUTIONS
    with zipfile.ZipFile(pex) as archive:
        loose = [
            n for n in archive.namelist() if n.split("/")[0] in ("six.py", "click", "dateutil")
        ]
    assert loose == []
    done = run_pex(find_python("3.11"), pex, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "click installed\ndateutil installed\nsix installed\n"


def test_bazel_run_runs_the_host_pex(app_bazel, tmp_path):
    # Bazel 7 runs here inside a root of its own, without this host's Pythons: it writes the
    # command `bazel run` would run, and the host runs it.
    script = tmp_path / "run.sh"
    app_bazel.run("run", f"--script_path={script}", "//app:app_pex")
    env = {**os.environ, "PEX_ROOT": str(tmp_path / "pex_root")}
    done = subprocess.run(
        [str(script), "--start", "2024-01-01", "--end", "2024-02-15"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "  days: 14\n  months: 1\n" in done.stdout
