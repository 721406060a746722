"""One PEX for several targets, outside Bazel: each target's wheels once, requirements whose
markers pick them when the PEX boots (checked against pex's own runtime resolve for each
target, and by running it here), and the errors of what cannot be merged."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Dict, List, Sequence

import pytest

from harness.app import run_pex
from harness.support import PLATFORMS, find_python, find_wheel, wheel_input, write_wheel
from pex_assembler import target as targets
from pex_assembler.cli import main as cli_main

APP = "import sys, six, yaml\nprint(sys.platform, six.__name__, yaml.__with_libyaml__)\n"
PLACES = ["linux_x86_64", "macos_arm64", "windows_x86_64"]
VERSIONED = "import sys, importlib.metadata as m\nprint(sys.version_info[1], m.version('demo'))\n"


def _complete(tmp_path: Path, place: str) -> dict:
    """A complete platform's manifest target: a file of its own, choosing from the pool."""
    described = tmp_path / f"{place}.json"
    spec = targets.from_spec(PLATFORMS[place], "3.11").to_complete_platform()
    described.write_text(json.dumps(spec))
    return {"key": place, "complete_platform": str(described), "name": place, "inputs_of": "pool"}


def _build(
    tmp_path: Path,
    per_target: Dict[str, Sequence[Path]],
    versions=None,
    app=APP,
    complete: Sequence[str] = (),
    **options,
):
    """Builds `app.pex` through the CLI, as the rule runs it: app/main.py shared, each
    target's wheels (or (short path, file) pairs) given as its own inputs; `complete`
    platforms (as files) choose from the inputs of `per_target["pool"]`."""
    (tmp_path / "app").mkdir(exist_ok=True)
    (tmp_path / "app" / "main.py").write_text(app)
    versions = versions or {}
    document = {
        "workspace_name": "_main",
        "output": str(tmp_path / "out" / "app.pex"),
        "main": "app/main.py",
        "targets": [
            {
                "key": key,
                "platform": PLATFORMS[key.split("@")[0]],
                "python_version": versions.get(key, "3.11"),
            }
            for key in per_target
            if key != "pool"
        ]
        + [_complete(tmp_path, place) for place in complete],
        **options,
    }
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(document))
    flags = [
        "build",
        "--manifest",
        str(manifest),
        f"--input=app/main.py={tmp_path / 'app/main.py'}",
    ]
    for key, files in per_target.items():
        for file in files:
            spec = f"{file[0]}={file[1]}" if isinstance(file, tuple) else wheel_input(file)
            flags.append(f"--target-input={key}={spec}")
    return cli_main(flags), tmp_path / "out" / "app.pex"


def _pex_info(pex: Path) -> dict:
    with zipfile.ZipFile(pex) as archive:
        return json.loads(archive.read("PEX-INFO"))


def _app_wheels(wheel_dir: Path) -> Dict[str, List[Path]]:
    return {p: [find_wheel(wheel_dir, p, w) for w in ("six", "PyYAML")] for p in PLACES}


def _activated(pex: Path, place: str, tmp_path: Path) -> List[str]:
    """The wheels pex's runtime takes from the PEX on `place`, as it resolves at boot."""
    from pex.environment import PEXEnvironment
    from pex.pep_425 import CompatibilityTags
    from pex.pep_508 import MarkerEnvironment
    from pex.pex_info import PexInfo
    from pex.targets import CompletePlatform

    described = targets.from_spec(PLATFORMS[place], "3.11").to_complete_platform()
    platform = CompletePlatform.create(
        MarkerEnvironment(**described["marker_environment"]),
        CompatibilityTags.from_strings(described["compatible_tags"]),
    )
    info = PexInfo.from_pex(str(pex))
    environment = PEXEnvironment.mount(str(pex), pex_info=info, target=platform)
    return sorted(d.location.rsplit("/", 1)[-1] for d in environment.resolve() if d.location)


def test_one_pex_holds_each_targets_wheels_once_and_each_boots_its_own(
    wheel_dir, tmp_path, monkeypatch
):
    per_target = _app_wheels(wheel_dir)
    status, pex = _build(tmp_path, per_target)
    assert status == 0
    info = _pex_info(pex)
    union = sorted({w.name for wheels in per_target.values() for w in wheels})
    assert sorted(info["distributions"]) == union
    assert len(union) == 4, "six's one file is embedded once"
    six, pyyaml = (per_target["linux_x86_64"][0].name, per_target["linux_x86_64"][1].name)
    assert info["requirements"] == [
        f"{'PyYAML'}=={pyyaml.split('-')[1]}",
        f"six=={six.split('-')[1]}",
    ]
    assert info["interpreter_constraints"] == ["CPython==3.11.*"]
    done = run_pex(find_python("3.11"), pex, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "linux six True\n"
    monkeypatch.setenv("PEX_ROOT", str(tmp_path / "pex_root"))
    for place in PLACES:
        assert _activated(pex, place, tmp_path) == sorted(w.name for w in per_target[place])


def _pure(directory: Path, project: str, version: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return write_wheel(directory, {f"{project}.py": b""}, project=project, version=version)


def test_a_release_some_targets_take_is_pinned_for_those_alone(tmp_path):
    old, new = _pure(tmp_path / "a", "demo", "1.0"), _pure(tmp_path / "b", "demo", "2.0")
    status, pex = _build(
        tmp_path,
        {"linux_x86_64": [old], "linux_x86_64@3.12": [new], "macos_arm64": [old]},
        versions={"linux_x86_64@3.12": "3.12"},
        app=VERSIONED,
    )
    assert status == 0
    info = _pex_info(pex)
    linux = 'sys_platform == "linux" and platform_machine == "x86_64"'
    assert info["requirements"] == [
        f'demo==1.0; (python_version == "3.11" and {linux}) or (python_version == "3.11" and '
        'sys_platform == "darwin" and platform_machine == "arm64")',
        f'demo==2.0; (python_version == "3.12" and {linux})',
    ]
    assert info["interpreter_constraints"] == ["CPython==3.11.*", "CPython==3.12.*"]
    assert pex.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    for python, version in (("3.11", "1.0"), ("3.12", "2.0")):
        done = run_pex(find_python(python), pex, tmp_path / python)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"{python.split('.')[1]} {version}\n"


def test_targets_pex_cannot_tell_apart_must_take_the_same_releases(tmp_path, capsys):
    old, new = _pure(tmp_path / "a", "demo", "1.0"), _pure(tmp_path / "b", "demo", "2.0")
    status, pex = _build(tmp_path, {"linux_x86_64": [old], "linux_x86_64_musl": [new]})
    assert status != 0
    assert not pex.exists()
    assert capsys.readouterr().err.startswith(
        "pex-assembler: error: linux_x86_64 and linux_x86_64_musl: look alike to pex when the "
        "PEX boots (the same python_version, sys_platform, platform_machine) but take different "
        "releases: demo==1.0, demo==2.0\n"
    )


def test_first_party_files_must_be_the_same_for_every_target(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "conf.py").write_text("ARCH = 'x86_64'\n")
    (tmp_path / "b" / "conf.py").write_text("ARCH = 'arm64'\n")
    status, pex = _build(tmp_path, {
        "linux_x86_64": [("app/conf.py", tmp_path / "a" / "conf.py")],
        "macos_arm64": [("app/conf.py", tmp_path / "b" / "conf.py")],
    })  # fmt: skip
    assert status != 0
    assert not pex.exists()
    error = capsys.readouterr().err
    assert "error: app/conf.py: differs between the PEX for linux_x86_64 and the one for " in error
    assert "fix: make the file the same for every platform" in error


@pytest.mark.parametrize(
    ("options", "named"),
    [({"layout": "packed"}, "layout 'packed'"), ({"pre_install_wheels": True}, "pre_install")],
)
def test_a_pex_for_several_targets_is_a_zipapp_of_embedded_wheels(tmp_path, capsys, options, named):
    demo = _pure(tmp_path / "a", "demo", "1.0")
    status, pex = _build(tmp_path, {"linux_x86_64": [demo], "macos_arm64": [demo]}, **options)
    assert status != 0
    assert not pex.exists()
    error = capsys.readouterr().err
    assert f"is a PEX for 2 targets with {named}" in error
    assert "pex cannot install wheels for a platform other than the one it runs on" in error


@pytest.mark.parametrize(
    "options", [{"execution_mode": "venv"}, {"sh_boot": True}, {"inject_env": {"A": "1"}}]
)
def test_the_zipapp_options_apply_to_a_pex_for_several_targets(wheel_dir, tmp_path, options):
    status, pex = _build(tmp_path, _app_wheels(wheel_dir), **options)
    assert status == 0
    done = run_pex(find_python("3.11"), pex, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "linux six True\n"


def test_complete_platforms_each_choose_their_wheels_from_one_set(wheel_dir, tmp_path, monkeypatch):
    per_target = _app_wheels(wheel_dir)
    pool = sorted({w for wheels in per_target.values() for w in wheels})
    status, pex = _build(tmp_path, {"pool": pool}, complete=PLACES)
    assert status == 0
    assert sorted(_pex_info(pex)["distributions"]) == sorted({w.name for w in pool})
    done = run_pex(find_python("3.11"), pex, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "linux six True\n"
    monkeypatch.setenv("PEX_ROOT", str(tmp_path / "pex_root"))
    for place in PLACES:
        assert _activated(pex, place, tmp_path) == sorted(w.name for w in per_target[place])


def test_a_complete_platform_beside_a_platform(wheel_dir, tmp_path, monkeypatch):
    per_target = _app_wheels(wheel_dir)
    status, pex = _build(
        tmp_path,
        {"linux_x86_64": per_target["linux_x86_64"], "pool": per_target["macos_arm64"]},
        complete=["macos_arm64"],
    )
    assert status == 0
    monkeypatch.setenv("PEX_ROOT", str(tmp_path / "pex_root"))
    for place in ("linux_x86_64", "macos_arm64"):
        assert _activated(pex, place, tmp_path) == sorted(w.name for w in per_target[place])


def test_a_complete_platform_without_a_wheel_of_a_project_is_named(wheel_dir, tmp_path, capsys):
    per_target = _app_wheels(wheel_dir)
    status, pex = _build(tmp_path, {"pool": per_target["linux_x86_64"]}, complete=PLACES[:2])
    assert status != 0
    assert not pex.exists()
    error = capsys.readouterr().err
    assert "error: pyyaml: has no wheel for macos_arm64 (CPython 3.11) among the deps' " in error
    assert "fix: add a pyyaml wheel built for macos_arm64 to deps, or drop macos_arm64" in error


def test_a_wheel_no_complete_platform_takes_is_named(wheel_dir, tmp_path, capsys):
    per_target = _app_wheels(wheel_dir)
    pool = per_target["linux_x86_64"] + per_target["windows_x86_64"][1:]
    status, pex = _build(tmp_path, {"pool": pool}, complete=PLACES[:1])
    assert status != 0
    assert not pex.exists()
    error = capsys.readouterr().err
    assert f"{per_target['windows_x86_64'][1]}: fits none of the complete platforms " in error


def test_two_wheels_that_fit_a_complete_platform_alike_are_named(tmp_path, capsys):
    old, new = _pure(tmp_path / "a", "demo", "1.0"), _pure(tmp_path / "b", "demo", "2.0")
    status, pex = _build(tmp_path, {"pool": [old, new]}, complete=PLACES[:1])
    assert status != 0
    assert not pex.exists()
    error = capsys.readouterr().err
    assert f"demo: has two wheels that fit linux_x86_64 alike: {old.name} and {new.name}" in error
