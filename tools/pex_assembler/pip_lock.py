"""Writes a hash-pinned, index-free lock covering every target platform and Python version.

Runs under `bazel run` (the `pip_lock` rule). uv resolves the requirements once for every
environment (`uv pip compile --universal`), keeping the existing lock's pins as uv keeps an
output file's, into a PEP 751 `pylock.toml`, which names each wheel with its hash. Before
anything is written, every target the repository asks for is checked: each package its
markers select must have a wheel whose tags it accepts. The lock keeps only wheel hashes
(crosspex never builds an sdist) and only the packages some target needs, and is read back
with the reader `pip_wheels` uses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from packaging.markers import Marker
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from pex_assembler import target as targets
from pex_assembler.errors import AssemblerError
from pex_assembler.locks import is_pylock, pylock_packages, read_lock

if sys.version_info >= (3, 11):
    pass
else:  # pex vendors tomli for the Pythons without tomllib
    pass


@dataclass(frozen=True)
class _Package:
    name: str
    version: str
    marker: Optional[str]
    wheels: Tuple[Tuple[str, str], ...]  # (file name, sha256)
    # sha256 -> where the wheel is: its URL, or a local file's as a file: URL
    urls: Mapping[str, str] = field(default_factory=dict, compare=False)

    def applies_to(self, the_target: targets.Target) -> bool:
        # packaging evaluates `extra` as "" (no extra asked for), as the lock's reader does; a
        # target from a platform spec holds no `extra` of its own.
        return not self.marker or Marker(self.marker).evaluate(the_target.markers)

    def has_wheel_for(self, the_target: targets.Target) -> bool:
        for filename, _ in self.wheels:
            try:
                tags = parse_wheel_filename(filename)[3]
            except InvalidWheelFilename:
                continue
            if the_target.rank(tags) is not None:
                return True
        return False


def _read_pylock(path: Path) -> List[_Package]:
    return [
        _Package(name, version, marker, tuple((f.filename, f.sha256) for f in files),
                 {f.sha256: f.url for f in files})
        for name, version, marker, files in pylock_packages(path)
    ]  # fmt: skip


def _uv(command: Sequence[str], requirements_in: Path) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssemblerError(
            str(requirements_in),
            "uv could not resolve it:\n" + done.stderr.strip()[-3000:],
            "change the requirements uv names, or pass uv options after `--`: "
            "bazel run //:lock -- --index-url=...",
        )


def _resolve(
    uv: str,
    requirements_in: Path,
    python_version: str,
    uv_args: Sequence[str],
    workdir: Path,
    existing: Path,
) -> List[_Package]:
    """The resolution as a pylock, keeping the pins of the `existing` lock where the
    requirements still allow them (unless uv_args say --upgrade or --upgrade-package)."""
    compile_ = [
        uv,
        "pip",
        "compile",
        "--universal",
        f"--python-version={python_version}",
        "--no-header",
        "--quiet",
        *uv_args,
    ]
    # uv prefers what its output file already pins, but reads only a file of the format it
    # writes: resolve into a copy of the lock, then write those exact pins as a pylock.
    pinned = workdir / "pinned.txt"
    if existing.is_file() and is_pylock(existing):
        pins = [f"{p.name}=={p.version}" for p in _read_pylock(existing)]
        pinned.write_text("".join(f"{pin}\n" for pin in pins), encoding="utf-8")
    elif existing.is_file():
        shutil.copyfile(existing, pinned)
    _uv([*compile_, f"--output-file={pinned}", str(requirements_in)], requirements_in)
    pylock = workdir / "pylock.toml"
    _uv(
        [*compile_, "--format=pylock.toml", f"--output-file={pylock}", str(pinned)], requirements_in
    )
    return _read_pylock(pylock)


def _uncovered(
    packages: Sequence[_Package], the_targets: Sequence[targets.Target]
) -> Dict[str, List[str]]:
    """Package pins without a wheel for some target, with those targets."""
    missing: Dict[str, List[str]] = {}
    for the_target in the_targets:
        for package in packages:
            if package.applies_to(the_target) and not package.has_wheel_for(the_target):
                missing.setdefault(f"{package.name}=={package.version}", []).append(
                    the_target.describe()
                )
    return missing


def _lock_text(
    packages: Sequence[_Package], header: Sequence[str], the_targets: Sequence[targets.Target]
) -> str:
    lines = [f"# {line}" for line in header]
    for package in sorted(packages, key=lambda p: (p.name, p.version)):
        if not any(package.applies_to(t) for t in the_targets):
            continue
        marker = f" ; {package.marker}" if package.marker else ""
        lines.append(f"{package.name}=={package.version}{marker} \\")
        hashes = sorted({h for _, h in package.wheels})
        lines += [
            f"    --hash=sha256:{h}" + (" \\" if i < len(hashes) - 1 else "")
            for i, h in enumerate(hashes)
        ]
    return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    # JSON's escapes of an ASCII-only string are TOML's basic string escapes.
    return json.dumps(text, ensure_ascii=True)


def _pylock_text(
    packages: Sequence[_Package], header: Sequence[str], the_targets: Sequence[targets.Target]
) -> str:
    """PEP 751, with each wheel's URL: pip_wheels then reads no index page."""
    lines = [f"# {line}" for line in header]
    lines += ['lock-version = "1.0"', 'created-by = "crosspex"', ""]
    for package in sorted(packages, key=lambda p: (p.name, p.version)):
        if not any(package.applies_to(t) for t in the_targets):
            continue
        lines += ["[[packages]]", f"name = {_toml(package.name)}"]
        lines.append(f"version = {_toml(package.version)}")
        if package.marker:
            lines.append(f"marker = {_toml(package.marker)}")
        lines.append("wheels = [")
        for filename, sha256 in sorted(set(package.wheels)):
            lines.append(
                f"    {{ name = {_toml(filename)}, url = {_toml(package.urls[sha256])}, "
                f"hashes = {{ sha256 = {_toml(sha256)} }} }},"
            )
        lines += ["]", ""]
    return "\n".join(lines)


def write_lock(
    requirements_in: Path,
    output: Path,
    python_versions: Sequence[str],
    platforms: Sequence[Mapping[str, str]],
    uv: str,
    command: str,
    uv_args: Sequence[str] = (),
) -> None:
    """Resolves `requirements_in` with uv and writes the lock to `output`, or raises."""
    if not requirements_in.is_file():
        raise AssemblerError(str(requirements_in), "does not exist", "write the requirements file")
    if not output.parent.is_dir():
        raise AssemblerError(str(output), "has no directory to be written into", "create it")
    the_targets = [targets.from_spec(spec, v) for v in python_versions for spec in platforms]
    lowest = min(python_versions, key=lambda v: tuple(int(x) for x in v.split(".")))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        packages = _resolve(uv, requirements_in, lowest, uv_args, workdir, output)
        missing = _uncovered(packages, the_targets)
        if missing:
            listed = "; ".join(f"{pin} for {', '.join(where)}" for pin, where in missing.items())
            raise AssemblerError(
                str(requirements_in),
                f"resolves to versions without a wheel for some targets: {listed}",
                "require versions that publish those wheels (a bound in the requirements "
                "file), keep a package off the platforms without its wheels with an "
                'environment marker (uvloop; sys_platform != "win32"), or drop those '
                "platforms or Python versions",
            )
        header = [
            f"Written by `{command}` from {requirements_in.name}: do not edit.",
            "Resolved by uv (pip compile --universal); every wheel "
            + ("URL and hash. Checked for" if is_pylock(output) else "hash, no index. Checked for"),
            f"platforms {', '.join(spec['name'] for spec in platforms)};",
            f"CPython {', '.join(python_versions)}.",
        ]
        draft = workdir / output.name
        text = (_pylock_text if is_pylock(output) else _lock_text)(packages, header, the_targets)
        draft.write_text(text, encoding="utf-8")
        lock = read_lock(draft)
        for the_target in the_targets:
            lock.requirements_for(the_target.markers)
        fd, staged = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
        os.close(fd)
        try:
            Path(staged).write_bytes(draft.read_bytes())
            os.chmod(staged, 0o644)  # mkstemp's 0600 would hide the lock from its other readers
            os.replace(staged, output)
        finally:
            Path(staged).unlink(missing_ok=True)
