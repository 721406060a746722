"""Which wheel file each target takes from a lock, where it is, and the BUILD files for them.

Runs at repository time for `pip_wheels`, in three steps, so that Bazel's downloader does
every download and only what a build needs is fetched:

1. `pages()`: the index pages of the projects some target needs whose files the lock does
   not name (a requirements file, pdm.lock; uv.lock and pylock.toml name them), which
   Bazel then fetches;
2. `plan()`: from those pages, each (platform, Python version)'s wheel of each pinned
   project, the best one the target's tags accept among the files whose sha256 the lock
   lists, as pip would choose; and the hub's BUILD file, one `select()` per project;
3. `wheel_build()`: in each wheel's own repository, once Bazel has downloaded it, its
   `pex_wheel` and the wheels it requires on each target that takes it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from packaging.requirements import Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from pex_assembler import target as targets
from pex_assembler.errors import AssemblerError
from pex_assembler.index import (
    IndexFile,
    by_sha256,
    project_url,
    read_find_links,
    read_page,
)
from pex_assembler.locks import read_lock
from pex_assembler.requirements import PinnedRequirement
from pex_assembler.wheels import requires_dist_of

Listings = Mapping[str, Sequence[IndexFile]]


@dataclass(frozen=True)
class _Config:
    """A target platform at one Python version, as the config settings name it."""

    target: targets.Target

    @property
    def name(self) -> str:
        return f"{self.target.name}_python_{self.target.python_version}"

    @property
    def directory(self) -> str:
        return f"cp{self.target.python_version.replace('.', '')}_{self.target.name}"


def _configs(
    python_versions: Sequence[str], platforms: Sequence[Mapping[str, str]]
) -> List[_Config]:
    return [_Config(targets.from_spec(s, v)) for v in python_versions for s in platforms]


def projects(
    lock_file: Path, python_versions: Sequence[str], platforms: Sequence[Mapping[str, str]]
) -> List[str]:
    """The projects the lock pins for some target without naming their files (a requirements
    file, pdm.lock), by their normalized names: their index pages say where the files are."""
    lock = read_lock(lock_file)
    names = set()
    for config in _configs(python_versions, platforms):
        names.update(r.name for r in lock.requirements_for(config.target.markers) if not r.files)
    return sorted(names)


def _version(requirement: PinnedRequirement) -> str:
    (pin,) = [s for s in requirement.requirement.specifier if s.operator in ("==", "===")]
    return pin.version


def _rank(file: IndexFile, the_target: targets.Target) -> int:
    """The place of the file's most specific tag in the target's order; -1 if none fits."""
    tags = parse_wheel_filename(file.filename)[3]
    places = [i for i, tag in enumerate(the_target.tags) if tag in tags]
    return min(places) if places else -1


def _release(requirement: PinnedRequirement) -> Tuple[str, Version]:
    return requirement.name, Version(_version(requirement))


def _same_release(file: IndexFile, requirement: PinnedRequirement) -> bool:
    try:
        return parse_wheel_filename(file.filename)[:2] == _release(requirement)
    except InvalidWheelFilename:  # a lock's file named as no installer reads it
        return False


def _choose(
    requirement: PinnedRequirement,
    the_target: targets.Target,
    listed: Sequence[IndexFile],
    lock_file: Path,
) -> Optional[IndexFile]:
    """The best wheel for the target among those the lock pins by hash; an error if the lock
    lacks the hash of the one that fits; None if none fits (named with the others at once)."""
    release = [f for f in listed if _same_release(f, requirement)]
    pinned = by_sha256(release)
    hashes = [h.split(":", 1)[1].lower() for h in requirement.hashes if h.startswith("sha256:")]
    fitting = [(rank, f) for f in (pinned[h] for h in hashes if h in pinned)
               if (rank := _rank(f, the_target)) >= 0]  # fmt: skip
    if fitting:
        return min(fitting, key=lambda pair: (pair[0], pair[1].filename))[1]
    unlisted = sorted(
        (_rank(f, the_target), f.filename) for f in release if _rank(f, the_target) >= 0
    )
    if unlisted:
        raise AssemblerError(
            str(lock_file),
            f"has no hash for {unlisted[0][1]}, the wheel of {requirement.name}=="
            f"{_version(requirement)} for {the_target.describe()}: the lock was written for "
            "other platforms, or the file changed on the index",
            "write the lock again for every platform (a pip_lock target: bazel run //:lock), "
            "or add that wheel's --hash; if the lock is current, check the index",
        )
    return None


def _target_name(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


def repository_name(hub: str, filename: str) -> str:
    """The repository of one wheel file: the hub's name and the file's, as Bazel allows."""
    return f"{hub}__{re.sub(r'[^A-Za-z0-9_.-]', '_', filename[: -len('.whl')])}"


def _available(configs: Sequence[str]) -> str:
    versions: Dict[str, List[str]] = {}
    for config in configs:
        platform, _, version = config.partition("_python_")
        versions.setdefault(platform, []).append(version)
    return "; ".join(
        f"{platform} (Python {', '.join(sorted(v, key=lambda x: tuple(map(int, x.split('.')))))})"
        for platform, v in sorted(versions.items())
    )


def _hub_build(per_project: Mapping[str, Mapping[str, str]], files: Mapping[str, str]) -> str:
    lines = [
        "# Generated by crosspex from the lock file: one select() per project over the",
        "# wheel repositories of each platform and Python version.",
        'load("@crosspex//py/private:missing_wheel.bzl", "missing_wheel")',
        "",
        'package(default_visibility = ["//visibility:public"])',
        "",
    ]
    for name in sorted(per_project):
        choices = per_project[name]
        target = _target_name(name)
        lines += ["alias(", f'    name = "{target}",', "    actual = select({"]
        for config in sorted(choices):
            lines.append(
                f'        "@crosspex//py/config:is_{config}": "@{choices[config]}//:wheel",'
            )
        lines += [
            f'        "//conditions:default": ":{target}__missing",',
            "    }),",
            ")",
            "",
            "missing_wheel(",
            f'    name = "{target}__missing",',
            f'    package = "{name}",',
            f'    available = "{_available(sorted(choices))}",',
            # Only a build for a platform without the wheel reaches it, never a wildcard.
            '    tags = ["manual"],',
            '    visibility = ["//visibility:private"],',
            ")",
            "",
        ]
    # Each target's file by its old path, `cp311_linux_x86_64/NAME.whl`, for rules that
    # take a wheel file.
    for path in sorted(files):
        lines += [
            "alias(",
            f'    name = "{path}",',
            f'    actual = "@{files[path]}//:whl",',
            ")",
            "",
        ]
    return "\n".join(lines)


def plan(
    lock_file: Path,
    python_versions: Sequence[str],
    platforms: Sequence[Mapping[str, str]],
    listings: Listings,
    hub: str,
) -> Dict[str, Any]:
    """Every wheel repository the hub `hub` selects from, and the hub's BUILD file."""
    lock = read_lock(lock_file)
    repositories: Dict[str, Dict[str, Any]] = {}
    per_project: Dict[str, Dict[str, str]] = {}
    files: Dict[str, str] = {}
    for config in _configs(python_versions, platforms):
        wanted = lock.requirements_for(config.target.markers)
        pinned = sorted(r.name for r in wanted)
        chosen_files: Dict[str, IndexFile] = {}
        no_wheel: List[str] = []
        for requirement in wanted:
            listed = requirement.files or listings.get(requirement.name, ())
            chosen = _choose(requirement, config.target, listed, lock_file)
            if chosen is None:
                no_wheel.append(f"{requirement.name}=={_version(requirement)}")
            else:
                chosen_files[requirement.name] = chosen
        if no_wheel:
            raise AssemblerError(
                ", ".join(no_wheel),
                f"{'has' if len(no_wheel) == 1 else 'have'} no wheel for platform "
                f"{config.target.describe()} in the index",
                "pin a version that publishes a wheel for this platform, build one and serve "
                "it from your index, or drop the platform from `platforms`",
            )
        for requirement in wanted:
            chosen = chosen_files[requirement.name]
            repository = repository_name(hub, chosen.filename)
            entry = repositories.setdefault(
                repository,
                {
                    "filename": chosen.filename,
                    "urls": [chosen.url],
                    "sha256": chosen.sha256,
                    "configs": {},
                },
            )
            entry["configs"][config.name] = {
                "markers": dict(config.target.markers),
                "pinned": pinned,
            }
            per_project.setdefault(requirement.name, {})[config.name] = repository
            files[f"{config.directory}/{chosen.filename}"] = repository
    return {"repositories": repositories, "build": _hub_build(per_project, files)}


def wheel_build(wheel: Path, hub: str, configs: Mapping[str, Mapping[str, Any]]) -> str:
    """The BUILD file of one downloaded wheel's repository: its `pex_wheel`, requiring on
    each target that takes it the hub's projects its Requires-Dist names there."""
    deps: Dict[str, List[str]] = {}
    for config, described in sorted(configs.items()):
        markers = {**described["markers"], "extra": ""}
        names = set()
        for line in requires_dist_of(wheel):
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate(markers):
                continue
            name = canonicalize_name(requirement.name)
            if name not in described["pinned"]:
                raise AssemblerError(
                    wheel.name,
                    f"requires {requirement} on {config}, which the lock file does not pin",
                    f"write the lock again for this platform (bazel run of a pip_lock target), "
                    f"or lock {requirement.name} too (with the hashes of its wheels)",
                )
            names.add(name)
        deps[f"@crosspex//py/config:is_{config}"] = [
            f"@{hub}//:{_target_name(n)}" for n in sorted(names)
        ]
    selected = json.dumps(dict(deps, **{"//conditions:default": []}), indent=4)
    return "\n".join(
        [
            f"# Generated by crosspex: {wheel.name}, as the hub @{hub} selects it.",
            'load("@crosspex//py:defs.bzl", "pex_wheel")',
            "",
            'package(default_visibility = ["//visibility:public"])',
            "",
            f'alias(name = "whl", actual = "{wheel.name}")',
            "",
            "pex_wheel(",
            '    name = "wheel",',
            f'    whl = "{wheel.name}",',
            f"    deps = select({selected}),",
            ")",
            "",
        ]
    )


def _pip_config(python: str) -> Dict[str, str]:
    """pip's own settings, as `pip config list` prints them: `section.key='value'`."""
    done = subprocess.run(
        [python, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    )
    found = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        found[key.strip()] = value.strip().strip("'\"")
    return found


def index_config(python: str = sys.executable) -> Dict[str, List[str]]:
    """The indexes and find-links directories pip would read, in pip's order of precedence
    (environment, then its download and global settings), with pip's own default index."""
    settings = _pip_config(python)

    def setting(key: str) -> List[str]:
        variable = "PIP_" + key.upper().replace("-", "_")
        for value in (
            os.environ.get(variable),
            *(settings.get(f"{s}.{key}") for s in (":env:", "download", "global")),
        ):
            if value:
                return value.split()
        return []

    if setting("no-index")[:1] in (["1"], ["true"], ["yes"], ["on"]):
        index_urls: List[str] = []
    else:
        main = setting("index-url")
        if not main:
            from pip._internal.models.index import PyPI

            main = [PyPI.simple_url]
        index_urls = main + setting("extra-index-url")
    links = [
        link[len("file://") :] if link.startswith("file://") else link
        for link in setting("find-links")
    ]
    return {"index_urls": index_urls, "find_links": links}


def pages(
    lock_file: Path, python_versions: Sequence[str], platforms: Sequence[Mapping[str, str]]
) -> Dict[str, Any]:
    """What to fetch for the plan: the page of each project the lock does not name the files
    of, on each index pip reads, and the find-links directories pip reads."""
    config = index_config()
    return {
        "pages": {
            project: [project_url(index, project) for index in config["index_urls"]]
            for project in projects(lock_file, python_versions, platforms)
        },
        "find_links": config["find_links"],
    }


def listings_of(
    pages: Mapping[str, Sequence[Tuple[str, Path]]],
    find_links: Sequence[str],
    lock_file: Path,
    python_versions: Sequence[str],
    platforms: Sequence[Mapping[str, str]],
) -> Dict[str, List[IndexFile]]:
    """Each project's wheels: from its pages (the page's URL, and the page as downloaded),
    then from the find-links directories, only the pinned releases' (they are hashed here)."""
    listings: Dict[str, List[IndexFile]] = {}
    for project, fetched in pages.items():
        for url, path in fetched:
            text = path.read_text(encoding="utf-8", errors="replace")
            listings.setdefault(project, []).extend(read_page(text, url))
    lock = read_lock(lock_file)
    releases = {
        _release(r)
        for config in _configs(python_versions, platforms)
        for r in lock.requirements_for(config.target.markers)
    }
    for directory in find_links:
        if Path(directory).is_dir():
            for file in read_find_links(Path(directory), releases):
                listings.setdefault(parse_wheel_filename(file.filename)[0], []).append(file)
    return listings
