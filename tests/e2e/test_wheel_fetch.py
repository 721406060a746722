"""pip_wheels the Bazel way, on examples/app locked into a PEP 751 pylock.toml: each wheel a
repository of its own, downloaded by Bazel into its repository cache only for what a build
needs, and built again with no network from that cache (the pylock names every wheel's URL;
the index pages, which say where each wheel's METADATA is, cannot be read then, so each
wheel's repository reads it from the wheel)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.bazel import Bazel
from harness.support import ROOT
from harness.workspace import copy_of_workspace

EXAMPLE = ROOT / "examples" / "app"
EXCLUDE_NEWER = "--exclude-newer=2026-11-01T00:00:00Z"


def _cached_wheels(cache: Path) -> int:
    """How many of the lock's wheels the repository cache holds (it keys each download by its
    sha256; the index pages are there too)."""
    lock = (cache.parent / "example" / "pylock.toml").read_text()
    hashes = [p.name for p in (cache / "content_addressable" / "sha256").iterdir()]
    return len([h for h in hashes if f'sha256 = "{h}"' in lock])


def _wheel_repositories(bazel: Bazel) -> list:
    external = bazel.output_base / "external"
    return sorted(p.name.split("wheels__", 1)[1] for p in external.glob("*wheels__*") if p.is_dir())


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    return tmp_path_factory.mktemp("fetch")


@pytest.fixture(scope="module")
def workspace(directory):
    """The example, its lock a pylock.toml for pip_lock to write."""
    workspace = copy_of_workspace(EXAMPLE, directory / "example", "requirements.txt")
    for name, old, new in (
        ("BUILD.bazel", 'lock = "requirements.txt"', 'lock = "pylock.toml"'),
        ("MODULE.bazel", 'lock = "//:requirements.txt"', 'lock = "//:pylock.toml"'),
    ):
        text = (workspace / name).read_text()
        assert old in text, name
        (workspace / name).write_text(text.replace(old, new))
    return workspace


@pytest.fixture(scope="module")
def cache(directory):
    (directory / "repository_cache").mkdir()
    return directory / "repository_cache"


def _bazel(workspace: Path, output_base: Path, cache: Path, *flags: str) -> Bazel:
    return Bazel(workspace, output_base, flags=(f"--repository_cache={cache}", *flags))


@pytest.fixture(scope="module")
def first(workspace, cache, directory):
    bazel = _bazel(workspace, directory / "first_output_base", cache)
    bazel.run("run", "//:lock", "--", EXCLUDE_NEWER)
    assert (workspace / "pylock.toml").read_text().count("[[packages]]") == 5
    bazel.build("//app:app_pex", platform="linux_x86_64")
    yield bazel
    bazel.shutdown()


def test_a_build_for_one_platform_downloads_only_its_wheels(first, cache):
    # The lock pins click, colorama, msgpack, pyyaml and tqdm for four platforms and two
    # CPythons (40 wheel choices); this binary needs click and pyyaml on Linux x86_64 / 3.11.
    assert _wheel_repositories(first) == [
        "click-8.5.0-py3-none-any",
        "pyyaml-6.0.3-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64",
    ]
    assert _cached_wheels(cache) == 2


def test_another_output_base_builds_offline_from_the_repository_cache(
    first, workspace, cache, tmp_path
):
    """No network: the downloader blocks every host; the pylock names every wheel, and the
    repository cache has each one by its sha256."""
    blocked = tmp_path / "downloader.cfg"
    blocked.write_text("block *\n")
    offline = _bazel(
        workspace,
        tmp_path / "output_base",
        cache,
        f"--experimental_downloader_config={blocked}",
    )
    try:
        offline.build("//app:app_pex", platform="linux_x86_64")
        assert len(_wheel_repositories(offline)) == 2
        # A wheel the cache does not have cannot come.
        done = offline.build("//app:app_pex", platform="macos_arm64", check=False)
        assert done.returncode != 0
        assert "macosx_11_0_arm64" in done.stderr
    finally:
        offline.shutdown()
    assert _cached_wheels(cache) == 2
