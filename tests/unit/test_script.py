"""`script`, as pex's `-c`: a distribution's console script or `.data/scripts` file as the
entry point, in every output form, with the PEX-INFO pex's CLI writes for the same name."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import List

import pytest

from harness.support import (
    FORMS,
    PLATFORMS,
    fetch_wheels,
    one_file_app,
    run_in_layer,
    write_wheel,
)
from pex_assembler.cli import main as cli_main

TOOL = {
    "tool/__init__.py": b"def main():\n    print('console script')\n",
    "tool-1.0.data/scripts/tool-data": b"#!python\nprint('data script')\n",
}
CONSOLE = "[console_scripts]\ntool = tool:main\n"


def _tool(directory: Path, project: str = "tool") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    files = TOOL if project == "tool" else {f"{project}.py": b"def main():\n    pass\n"}
    console = CONSOLE if project == "tool" else f"[console_scripts]\ntool = {project}:main\n"
    return write_wheel(directory, files, project=project, entry_points=console)


def _build(tmp_path: Path, form: str, script: str, wheels, name: str = "app"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    arguments, output = one_file_app(tmp_path, wheels, form)
    document = json.loads((tmp_path / "manifest.json").read_text())
    del document["entry_point"]
    document["script"] = script
    if form == "layer":
        document["name"] = name
    (tmp_path / "manifest.json").write_text(json.dumps(document))
    return cli_main(arguments), output


def _run(tmp_path: Path, form: str, output: Path, name: str = "app") -> str:
    if form == "layer":
        return run_in_layer(tmp_path, output, f"/opt/venv/bin/{name}").stdout
    done = subprocess.run(
        [sys.executable, str(output)], capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "PEX_ROOT": str(tmp_path / "pex_root")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize(
    ("script", "printed"), [("tool", "console script\n"), ("tool-data", "data script\n")]
)
def test_a_script_runs_in_every_form(tmp_path, form, script, printed):
    status, output = _build(tmp_path, form, script, [_tool(tmp_path / "wheels")])
    assert status == 0
    assert _run(tmp_path, form, output) == printed


def _pex_info(pex: Path) -> dict:
    with zipfile.ZipFile(pex) as archive:
        return json.loads(archive.read("PEX-INFO"))


@pytest.mark.parametrize("script", ["tool", "tool-data"])
def test_pex_info_names_what_pex_s_cli_names(tmp_path, script):
    wheel = _tool(tmp_path / "wheels")
    status, output = _build(tmp_path / "ours", "zipapp", script, [wheel])
    assert status == 0
    oracle = tmp_path / "oracle.pex"
    subprocess.run(
        [str(Path(sys.executable).parent / "pex"), "--no-pypi", "--find-links",
         str(wheel.parent), "tool", "-c", script, "--pex-root", str(tmp_path / "pex_root"),
         "-o", str(oracle)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    ours, theirs = _pex_info(output), _pex_info(oracle)
    assert (ours.get("entry_point"), ours.get("script")) == (
        theirs.get("entry_point"), theirs.get("script"),
    )  # fmt: skip
    assert ours.get("entry_point") == ("tool:main" if script == "tool" else None)


def test_a_layer_named_as_its_script_runs_the_script_itself(tmp_path):
    status, output = _build(tmp_path, "layer", "tool", [_tool(tmp_path / "wheels")], "tool")
    assert status == 0
    assert _run(tmp_path, "layer", output, "tool") == "console script\n"


@pytest.mark.parametrize("form", ["zipapp", "layer"])
def test_a_name_no_distribution_offers_lists_those_offered(tmp_path, form, capsys):
    status, output = _build(tmp_path, form, "tol", [_tool(tmp_path / "wheels")])
    assert status != 0
    assert not output.exists()
    assert capsys.readouterr().err == (
        "pex-assembler: error: script 'tol': is no script of the distributions (they offer: "
        "tool, tool-data)\n  fix: name one of them, or set entry_point to the module:function "
        "to run\n"
    )


def test_a_name_two_distributions_offer_names_both(tmp_path, capsys):
    wheels = [_tool(tmp_path / "a"), _tool(tmp_path / "b", project="other")]
    status, output = _build(tmp_path, "zipapp", "tool", wheels)
    assert status != 0
    assert not output.exists()
    assert "script 'tool': is offered by both other-1.0-py3-none-any.whl and tool-1.0" in (
        capsys.readouterr().err
    )


SCRIPTS_LOCK = Path(__file__).parent / "scripts-requirements.txt"


@pytest.fixture(scope="module")
def real_wheels(tmp_path_factory) -> List[Path]:
    """ruff (a native binary in .data/scripts), black (console scripts) and awscli (`aws`,
    a Python file in .data/scripts), with what they require, from the registry."""
    dest = tmp_path_factory.mktemp("scripts")
    fetch_wheels(SCRIPTS_LOCK, ["3.11"], [PLATFORMS["linux_x86_64"]], dest)
    return sorted((dest / "cp311_linux_x86_64").glob("*.whl"))


@pytest.mark.parametrize("form", ["zipapp", "layer"])
@pytest.mark.parametrize(
    ("script", "printed"),
    # black names itself after argv[0]: the PEX, or the layer's bin/app.
    [("ruff", "ruff 0.17.6\n"), ("black", ", 26.10.1 (compiled: yes)"), ("aws", "aws-cli/1.46.3")],
)
def test_real_projects_scripts_run_without_pex_script(real_wheels, tmp_path, form, script, printed):
    status, output = _build(tmp_path, form, script, real_wheels)
    assert status == 0
    if form == "layer":
        done = run_in_layer(tmp_path, output, "/opt/venv/bin/app", "--version")
    else:
        done = subprocess.run(
            [sys.executable, str(output), "--version"], capture_output=True, text=True,
            env={"PATH": "/usr/bin:/bin", "PEX_ROOT": str(tmp_path / "pex_root")},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert printed in done.stdout + done.stderr, done.stdout + done.stderr
