"""Fetches hash-pinned wheels for several target platforms and writes a BUILD file for them.

Runs at repository time (the `pip_wheels` repository rule). Each platform gets the pinned
requirements its lock file gives for it (`locks.py`); pip downloads them with that
platform's wheel tags (pip's own index configuration applies) and only binary wheels are
accepted, so nothing is built for the host. The BUILD file has one `pex_wheel` per package
and platform, and one target per package that `select()`s the wheel for the target platform.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Mapping, Sequence

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from pex_assembler import target as targets
from pex_assembler.errors import AssemblerError
from pex_assembler.locks import read_lock
from pex_assembler.requirements import PinnedRequirement
from pex_assembler.wheels import Wheel, read_wheel

_NO_MATCH = re.compile(r"(?:No matching distribution found for|satisfies the requirement) (\S+)")
# pip's report of a downloaded file whose hash the lock does not list.
_UNLISTED_HASH = re.compile(r"^\s+(\S+) from \S*?([^/\s]+\.whl)\b", re.M)


def _run_pip_download(
    requirements: Sequence[PinnedRequirement], the_target: targets.Target, dest: Path, python: str
) -> subprocess.CompletedProcess:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(r.pip_line() for r in requirements) + "\n")
        lock = handle.name
    platforms = []
    for tag in the_target.tags:
        if tag.platform != "any" and tag.platform not in platforms:
            platforms.append(tag.platform)
    major, minor = the_target.python_version.split(".")
    command = [
        python,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-deps",
        "--only-binary=:all:",
        "--require-hashes",
        f"--python-version={major}{minor}",
        "--implementation=cp",
        f"--abi=cp{major}{minor}",
        "--abi=abi3",
        "--abi=none",
        *[f"--platform={p}" for p in platforms],
        f"--dest={dest}",
        f"--requirement={lock}",
    ]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    try:
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    finally:
        os.unlink(lock)


def _pip_download(
    requirements: Sequence[PinnedRequirement],
    the_target: targets.Target,
    dest: Path,
    python: str,
    lock_file: Path,
) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    wanted = list(requirements)
    no_wheel: List[str] = []
    while True:
        done = _run_pip_download(wanted, the_target, dest, python)
        missing = _NO_MATCH.search(done.stderr) if done.returncode != 0 else None
        if not missing:
            break
        # pip stops at the first package without a wheel: drop it and go on, so that one
        # error names them all. What pip already downloaded stays in `dest`.
        no_wheel.append(missing.group(1))
        name = canonicalize_name(re.split(r"[=<>!~;\[ ]", missing.group(1), maxsplit=1)[0])
        left = [r for r in wanted if r.name != name]
        if len(left) == len(wanted) or not left:
            break
        wanted = left
    if no_wheel:
        raise AssemblerError(
            ", ".join(no_wheel),
            f"{'has' if len(no_wheel) == 1 else 'have'} no wheel for platform "
            f"{the_target.describe()} in the index",
            "pin a version that publishes a wheel for this platform, build one and serve it "
            "from your index, or drop the platform from `platforms`",
        )
    if done.returncode != 0:
        unlisted = _UNLISTED_HASH.search(done.stderr)
        if unlisted and "DO NOT MATCH THE HASHES" in done.stderr:
            raise AssemblerError(
                str(lock_file),
                f"has no hash for {unlisted.group(2)}, the wheel of {unlisted.group(1)} for "
                f"{the_target.describe()}: the lock was written for other platforms, or the "
                "file changed on the index",
                "write the lock again for every platform (a pip_lock target: bazel run //:lock), "
                "or add that wheel's --hash; if the lock is current, check the index",
            )
        raise AssemblerError(
            "pip download",
            done.stderr.strip()[-2000:],
            "fix what pip names in its message above, then fetch again",
        )


def _target_name(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


def _dependencies(
    wheel: Wheel, markers: Mapping[str, str], present: Mapping[str, Wheel], platform: str
) -> List[str]:
    deps = []
    for line in wheel.requires_dist:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate(
            {**markers, "extra": ""}
        ):
            continue
        name = canonicalize_name(requirement.name)
        if name not in present:
            raise AssemblerError(
                wheel.filename,
                f"requires {requirement} on {platform}, which the lock file does not pin",
                f"write the lock again for this platform (bazel run of a pip_lock target), or "
                f"lock {requirement.name} too (with the hashes of its wheels)",
            )
        deps.append(name)
    return sorted(set(deps))


def _available(configs: Mapping[str, str]) -> str:
    versions: Dict[str, List[str]] = {}
    for config in configs:
        platform, _, version = config.partition("_python_")
        versions.setdefault(platform, []).append(version)
    return "; ".join(
        f"{platform} (Python {', '.join(sorted(v, key=lambda x: tuple(map(int, x.split('.')))))})"
        for platform, v in sorted(versions.items())
    )


def fetch(
    lock_file: Path,
    python_versions: Sequence[str],
    platforms: Sequence[Mapping[str, str]],
    dest: Path,
    python: str = sys.executable,
) -> str:
    """Downloads the wheels of every (Python version, platform) pair under `dest`.

    Returns the text of the BUILD file for them.
    """
    lock = read_lock(lock_file)
    lines = [
        "# Generated by crosspex from the lock file: one pex_wheel per package,",
        "# Python version and platform, and one select() per package.",
        'load("@crosspex//py:defs.bzl", "pex_wheel")',
        'load("@crosspex//py/private:missing_wheel.bzl", "missing_wheel")',
        "",
        'package(default_visibility = ["//visibility:public"])',
        "",
        'exports_files(glob(["*/*.whl"], allow_empty = True))',
        "",
    ]
    per_package: Dict[str, Dict[str, str]] = {}
    for python_version in python_versions:
        for spec in platforms:
            the_target = targets.from_spec(spec, python_version)
            config = f"{the_target.name}_python_{the_target.python_version}"
            directory = f"cp{the_target.python_version.replace('.', '')}_{the_target.name}"
            wanted = lock.requirements_for(the_target.markers)
            _pip_download(wanted, the_target, dest / directory, python, lock_file)
            present: Dict[str, Wheel] = {}
            for path in sorted((dest / directory).glob("*.whl")):
                wheel = read_wheel(path)
                present[wheel.name] = wheel
            for name in sorted(present):
                wheel = present[name]
                label = f"{_target_name(name)}__{directory}"
                deps = [
                    f":{_target_name(d)}__{directory}"
                    for d in _dependencies(wheel, the_target.markers, present, config)
                ]
                lines += [
                    "pex_wheel(",
                    f'    name = "{label}",',
                    f'    whl = "{directory}/{wheel.filename}",',
                    f"    deps = {deps!r},".replace("'", '"'),
                    '    visibility = ["//visibility:private"],',
                    ")",
                    "",
                ]
                per_package.setdefault(name, {})[config] = label
    for name in sorted(per_package):
        choices = per_package[name]
        target = _target_name(name)
        lines += [
            "alias(",
            f'    name = "{target}",',
            "    actual = select({",
        ]
        for config in sorted(choices):
            lines.append(f'        "@crosspex//py/config:is_{config}": ":{choices[config]}",')
        lines += [
            f'        "//conditions:default": ":{target}__missing",',
            "    }),",
            ")",
            "",
            "missing_wheel(",
            f'    name = "{target}__missing",',
            f'    package = "{name}",',
            f'    available = "{_available(choices)}",',
            # Only a build for a platform without the wheel reaches it, never a wildcard.
            '    tags = ["manual"],',
            '    visibility = ["//visibility:private"],',
            ")",
            "",
        ]
    return "\n".join(lines)
