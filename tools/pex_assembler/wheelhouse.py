"""Which wheel file each target takes from a lock, where it is, and the BUILD files for them.

Runs at repository time for `pip_wheels`, in three steps, so that Bazel's downloader does
every download and only what a build needs is fetched:

1. `pages()`: the index pages of the projects some target needs, which Bazel then fetches:
   they say where each file is (a requirements file and pdm.lock name hashes only; uv.lock
   and pylock.toml name URLs too) and where the index serves its METADATA (PEP 658);
2. `plan()`: from those pages, each (platform, Python version)'s wheel of each pinned
   project, the best one the target's tags accept among the files whose sha256 the lock
   lists, as pip would choose: one repository per wheel file, a plain download that Bazel
   makes only when a build needs it;
3. `hub_build()`: once Bazel has fetched each wheel's METADATA (by the sha256 its page
   lists), the hub's BUILD file: each wheel's `pex_wheel`, with the projects it requires on
   each target that takes it, and one `select()` per project. A wheel whose index serves
   no METADATA gets its `pex_wheel` from its own repository (`wheel_build()`), which reads
   the wheel once a build needs it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit
from urllib.request import url2pathname

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
    """The projects the lock pins for some target, by their normalized names: their index
    pages say where the files are (a requirements file, pdm.lock), and for every lock where
    the index serves each wheel's METADATA, with its sha256 (PEP 658)."""
    lock = read_lock(lock_file)
    names = set()
    for config in _configs(python_versions, platforms):
        names.update(r.name for r in lock.requirements_for(config.target.markers))
    return sorted(names)


def _version(requirement: PinnedRequirement) -> str:
    (pin,) = [s for s in requirement.requirement.specifier if s.operator in ("==", "===")]
    return pin.version


def _rank(file: IndexFile, the_target: targets.Target) -> int:
    """The place of the file's most specific tag in the target's order; -1 if none fits."""
    rank = the_target.rank(parse_wheel_filename(file.filename)[3])
    return -1 if rank is None else rank


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


def _metadata_of(fetched: Path) -> Tuple[str, ...]:
    """The Requires-Dist lines of a wheel, or of a METADATA file an index serves for one."""
    if fetched.suffix == ".whl":
        return requires_dist_of(fetched)
    text = fetched.read_text(encoding="utf-8", errors="replace")
    return tuple(HeaderParser().parsestr(text).get_all("Requires-Dist") or ())


def _deps(
    filename: str,
    requires_dist: Sequence[str],
    configs: Mapping[str, Mapping[str, Any]],
    hub_package: str,
) -> Dict[str, str]:
    """Per config that takes the wheel, the hub's projects its Requires-Dist names there:
    a select() over their labels in `hub_package` (`:` in the hub, `@hub//:` elsewhere)."""
    deps: Dict[str, List[str]] = {}
    for config, described in sorted(configs.items()):
        markers = {**described["markers"], "extra": ""}
        names = set()
        for line in requires_dist:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate(markers):
                continue
            name = canonicalize_name(requirement.name)
            # A wheel's own repository knows no pins: a lock edit must not redefine it. A
            # project the lock misses is then a missing target of the hub.
            if "pinned" in described and name not in described["pinned"]:
                raise AssemblerError(
                    filename,
                    f"requires {requirement} on {config}, which the lock file does not pin",
                    "write the lock again for this platform (bazel run of a pip_lock target), "
                    f"or lock {requirement.name} too (with the hashes of its wheels)",
                )
            names.add(name)
        labels = [f"{hub_package}{_target_name(n)}" for n in sorted(names)]
        deps[f"@crosspex//py/config:is_{config}"] = labels
    return json.dumps(dict(deps, **{"//conditions:default": []}), indent=4)


def _wheel_target(repository: str, hub: str) -> str:
    """The hub's pex_wheel of one wheel repository: the file's name, without `.whl`."""
    return repository[len(hub) + 2 :]


def _local_wheel(url: str) -> Optional[Path]:
    """A find-links wheel's path, read where it is."""
    return Path(url2pathname(urlsplit(url).path)) if url.startswith("file:") else None


def hub_build(planned: Mapping[str, Any], hub: str, fetched: Mapping[str, Path]) -> str:
    """The hub's BUILD file: one select() per project over its wheels, and the `pex_wheel` of
    each wheel whose METADATA is at hand (in `fetched`: repository -> the file its index
    serves; or a local wheel), requiring on each target that takes it the projects it names
    there. A wheel whose index serves no METADATA has its pex_wheel in its own repository,
    which reads the wheel once a build needs it (`wheel_build`)."""
    configs = planned["configs"]
    lines = [
        "# Generated by crosspex from the lock file: each wheel's pex_wheel, and one select()",
        "# per project over them for each platform and Python version.",
        'load("@crosspex//py:defs.bzl", "pex_wheel")',
        'load("@crosspex//py/private:missing_wheel.bzl", "missing_wheel")',
        "",
        'package(default_visibility = ["//visibility:public"])',
        "",
    ]
    per_project: Dict[str, Dict[str, str]] = {}
    files: Dict[str, str] = {}
    for repository, wheel in sorted(planned["repositories"].items()):
        target = _wheel_target(repository, hub)
        source = _local_wheel(wheel["urls"][0]) or fetched.get(repository)
        if source is None:
            lines += ["alias(", f'    name = "{target}",', f'    actual = "@{repository}//:wheel",']
        else:
            takes = {c: configs[c] for c in wheel["configs"]}
            deps = _deps(wheel["filename"], _metadata_of(source), takes, ":")
            lines += ["pex_wheel(", f'    name = "{target}",', f'    whl = "@{repository}//file",']
            lines.append(f"    deps = select({deps}),")
        lines += [")", ""]
        project = canonicalize_name(parse_wheel_filename(wheel["filename"])[0])
        for config in wheel["configs"]:
            per_project.setdefault(project, {})[config] = target
            files[f"{configs[config]['directory']}/{wheel['filename']}"] = repository
    for name in sorted(per_project):
        choices = per_project[name]
        target = _target_name(name)
        lines += ["alias(", f'    name = "{target}",', "    actual = select({"]
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
        lines += ["alias(", f'    name = "{path}",', f'    actual = "@{files[path]}//file",']
        lines += [")", ""]
    return "\n".join(lines)


def plan(
    lock_file: Path,
    python_versions: Sequence[str],
    platforms: Sequence[Mapping[str, str]],
    listings: Listings,
    hub: str,
) -> Dict[str, Any]:
    """Every wheel repository the hub `hub` selects from (its file, URLs, sha256, where its
    METADATA is served, and the configs that take it), and each config's markers and pins."""
    lock = read_lock(lock_file)
    repositories: Dict[str, Dict[str, Any]] = {}
    described: Dict[str, Dict[str, Any]] = {}
    for config in _configs(python_versions, platforms):
        wanted = lock.requirements_for(config.target.markers)
        described[config.name] = {
            "markers": dict(config.target.markers),
            "pinned": sorted(r.name for r in wanted),
            "directory": config.directory,
        }
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
        for project, chosen in chosen_files.items():
            # Where the lock names the file, its index page may still list its METADATA.
            listed = by_sha256(listings.get(project, ())).get(chosen.sha256 or "", chosen)
            metadata = listed.metadata_sha256
            entry = repositories.setdefault(
                repository_name(hub, chosen.filename),
                {
                    "filename": chosen.filename,
                    "urls": [chosen.url],
                    "sha256": chosen.sha256,
                    # PEP 658: beside the file, as the page lists it.
                    "metadata_url": listed.url + ".metadata" if metadata else None,
                    "metadata_sha256": metadata,
                    "configs": [],
                },
            )
            entry["configs"].append(config.name)
    return {"repositories": repositories, "configs": described}


def wheel_build(wheel: Path, hub: str, configs: Mapping[str, Mapping[str, Any]]) -> str:
    """The root BUILD file of the repository of a wheel whose index serves no METADATA, once
    Bazel has downloaded it into `file/`: its `pex_wheel`, requiring on each target that
    takes it (`configs`: config -> markers) the hub's projects it names there."""
    deps = _deps(wheel.name, requires_dist_of(wheel), configs, f"@{hub}//:")
    return "\n".join(
        [
            f"# Generated by crosspex: {wheel.name}, as the hub @{hub} selects it.",
            'load("@crosspex//py:defs.bzl", "pex_wheel")',
            "",
            'package(default_visibility = ["//visibility:public"])',
            "",
            "pex_wheel(",
            '    name = "wheel",',
            f'    whl = "//file:{wheel.name}",',
            f"    deps = select({deps}),",
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
