"""`exclude`: what pex's --exclude leaves out of a PEX, and the PEX still starts."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from harness.support import PLATFORMS, AssemblerInput, find_python, find_wheel, write_manifest
from pex_assembler import build
from pex_assembler.errors import AssemblerError

# Imports only PyYAML: what the excluded distributions would have given is not needed.
APP = "import yaml\nprint(yaml.safe_dump({'ok': 1}).strip())\n"
WHEELS = ("PyYAML", "msgpack", "python_dateutil", "six")


def _manifest(tmp_path: Path, wheel_dir: Path, **options) -> AssemblerInput:
    (tmp_path / "main.py").write_text(APP)
    data = {
        "output": str(tmp_path / "out" / "app.pex"),
        "target": {"platform": PLATFORMS["linux_x86_64"], "python_version": "3.11"},
        "entry_point": "app.main",
        **options,
    }
    files = [("app/main.py", tmp_path / "main.py")]
    wheels = [find_wheel(wheel_dir, "linux_x86_64", w) for w in WHEELS]
    return write_manifest(tmp_path / "manifest.json", data, files, wheels)


def _pex_info(pex: Path) -> dict:
    if pex.is_dir():
        return json.loads((pex / "PEX-INFO").read_text())
    with zipfile.ZipFile(pex) as archive:
        return json.loads(archive.read("PEX-INFO"))


def _run(pex: Path, tmp_path: Path) -> str:
    command = [find_python("3.11"), str(pex / "__main__.py" if pex.is_dir() else pex)]
    env = {"PATH": os.environ["PATH"], "PEX_ROOT": str(tmp_path / "pex_root")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("layout", ["zipapp", "packed"])
def test_an_excluded_distribution_leaves_with_what_only_it_requires(wheel_dir, tmp_path, layout):
    """python-dateutil is the only one requiring six: both stay out, and PEX-INFO says why."""
    app = _manifest(tmp_path, wheel_dir, exclude=["python-dateutil"], layout=layout)
    pex = build.assemble(app.load())
    info = _pex_info(pex)
    assert sorted(info["distributions"]) == [
        "PyYAML-6.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "msgpack-1.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ]
    assert info["requirements"] == ["PyYAML==6.0.2", "msgpack==1.1.0"]
    assert info["excluded"] == ["python-dateutil"]
    assert _run(pex, tmp_path) == "ok: 1"


def test_a_dependency_excluded_under_a_kept_distribution_does_not_stop_the_pex(wheel_dir, tmp_path):
    """python-dateutil stays and requires six, which is left out: pex starts the PEX all the
    same, because PEX-INFO lists six as excluded."""
    pex = build.assemble(_manifest(tmp_path, wheel_dir, exclude=["six"]).load())
    info = _pex_info(pex)
    assert "python_dateutil-2.9.0.post0-py2.py3-none-any.whl" in info["distributions"]
    assert not [d for d in info["distributions"] if d.startswith("six-")]
    assert info["excluded"] == ["six"]
    assert _run(pex, tmp_path) == "ok: 1"


def test_an_exclusion_for_other_versions_keeps_the_distribution(wheel_dir, tmp_path):
    app = _manifest(tmp_path, wheel_dir, exclude=["six<1.17", "msgpack; sys_platform == 'win32'"])
    pex = build.assemble(app.load())
    assert len(_pex_info(pex)["distributions"]) == 4


def test_an_exclusion_that_is_no_requirement_is_refused(wheel_dir, tmp_path):
    app = _manifest(tmp_path, wheel_dir, exclude=["six >= >= 1"])
    with pytest.raises(AssemblerError, match=r"exclude 'six >= >= 1' is not a requirement"):
        app.load()
