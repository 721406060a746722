"""pip_wheels' choices, from index pages written here: which file each target takes, the
repositories and the hub's select()s, and the errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from harness.support import PLATFORMS, write_wheel
from pex_assembler import wheelhouse
from pex_assembler.errors import AssemblerError
from pex_assembler.index import IndexFile, read_find_links, read_page

PAGE = "https://index.invalid/simple/demo/"
FILES = "https://index.invalid/files/"
LINUX = PLATFORMS["linux_x86_64"]
MACOS = PLATFORMS["macos_arm64"]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


DEMO = {
    "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl": _sha("linux"),
    "demo-1.0-cp311-cp311-manylinux_2_28_x86_64.whl": _sha("linux newer"),
    "demo-1.0-py3-none-any.whl": _sha("pure"),
    "demo-1.0-cp311-cp311-macosx_11_0_arm64.whl": _sha("macos"),
    "demo-0.9-py3-none-any.whl": _sha("old"),
}


BINARY = {name: sha for name, sha in DEMO.items() if "-none-any" not in name}


def _listing(files=DEMO):
    return {"demo": [IndexFile(n, FILES + n, h) for n, h in files.items()]}


def _lock(tmp_path: Path, *hashes: str, pin: str = "demo==1.0") -> Path:
    lock = tmp_path / "requirements.txt"
    lock.write_text(pin + "".join(f" --hash=sha256:{h}" for h in hashes) + "\n")
    return lock


def test_an_html_page_gives_each_wheel_its_absolute_url_and_fragment_hash():
    page = (
        '<html><body><a href="../../files/demo-1.0-py3-none-any.whl#sha256='
        + "AB" * 32
        + '">demo</a><a href="demo-1.0.tar.gz#sha256='
        + "cd" * 32
        + '">sdist</a><a href="https://files.invalid/x/demo-1.0-cp311-cp311-win_amd64.whl">'
        'w</a><a href="demo-0.18-py36+-none-any.whl">an old, unreadable name</a></body></html>'
    )
    assert read_page(page, PAGE) == [
        IndexFile(
            "demo-1.0-py3-none-any.whl",
            "https://index.invalid/files/demo-1.0-py3-none-any.whl",
            "ab" * 32,
        ),
        IndexFile(
            "demo-1.0-cp311-cp311-win_amd64.whl",
            "https://files.invalid/x/demo-1.0-cp311-cp311-win_amd64.whl",
            None,
        ),
    ]


def test_a_page_gives_the_sha256_of_each_wheels_metadata_where_it_has_one():
    html = (
        f'<a href="demo-1.0-py3-none-any.whl" data-core-metadata="sha256={"AA" * 32}">a</a>'
        f'<a href="demo-1.0-py2-none-any.whl" data-dist-info-metadata="sha256={"bb" * 32}">b</a>'
        '<a href="demo-1.0-cp311-none-any.whl" data-core-metadata="true">c</a>'
    )
    assert [f.metadata_sha256 for f in read_page(html, PAGE)] == ["aa" * 32, "bb" * 32, None]
    files = [
        {"url": "a/demo-1.0-py3-none-any.whl", "core-metadata": {"sha256": "CC" * 32}},
        {"url": "b/demo-1.0-py2-none-any.whl", "data-dist-info-metadata": {"sha256": "dd" * 32}},
        {"url": "c/demo-1.0-cp311-none-any.whl", "core-metadata": True},
        {"url": "d/demo-1.0-cp312-none-any.whl"},
    ]
    found = read_page(json.dumps({"files": files}), PAGE)
    assert [f.metadata_sha256 for f in found] == ["cc" * 32, "dd" * 32, None, None]


def test_a_json_page_gives_its_files_hashes():
    page = json.dumps(
        {
            "meta": {"api-version": "1.0"},
            "files": [
                {"filename": "demo-1.0-py3-none-any.whl", "url": "f/demo-1.0-py3-none-any.whl",
                 "hashes": {"sha256": "EF" * 32}},
                {"filename": "demo-1.0.tar.gz", "url": "f/demo-1.0.tar.gz", "hashes": {}},
            ],
        }
    )  # fmt: skip
    assert read_page(page, PAGE) == [
        IndexFile("demo-1.0-py3-none-any.whl", PAGE + "f/demo-1.0-py3-none-any.whl", "ef" * 32)
    ]
    with pytest.raises(AssemblerError, match="is not a PEP 691 project page"):
        read_page('{"files": 3}', PAGE)


def test_each_target_takes_its_most_specific_pinned_wheel(tmp_path):
    lock = _lock(tmp_path, *DEMO.values())
    planned = wheelhouse.plan(lock, ["3.11"], [LINUX, MACOS], _listing(), "wheels")
    chosen = {r["filename"]: sorted(r["configs"]) for r in planned["repositories"].values()}
    assert chosen == {
        "demo-1.0-cp311-cp311-manylinux_2_28_x86_64.whl": ["linux_x86_64_python_3.11"],
        "demo-1.0-cp311-cp311-macosx_11_0_arm64.whl": ["macos_arm64_python_3.11"],
    }
    name = "wheels__demo-1.0-cp311-cp311-manylinux_2_28_x86_64"
    wheel = planned["repositories"][name]
    assert wheel["urls"] == [FILES + wheel["filename"]]
    assert wheel["sha256"] == _sha("linux newer")
    assert wheel["metadata_url"] is None  # the page serves no METADATA for it
    metadata = tmp_path / "METADATA"
    metadata.write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    fetched = {repository: metadata for repository in planned["repositories"]}
    build = wheelhouse.hub_build(planned, "wheels", fetched)
    target = name[len("wheels__") :]
    assert f'"@crosspex//py/config:is_linux_x86_64_python_3.11": ":{target}"' in build
    assert f'    whl = "@{name}//file",' in build
    alias = f'name = "cp311_linux_x86_64/{wheel["filename"]}",\n    actual = "@{name}//file"'
    assert alias in build


def test_only_wheels_the_lock_lists_are_taken_and_one_file_serves_every_target(tmp_path):
    lock = _lock(tmp_path, _sha("pure"), _sha("macos"), _sha("old"))
    planned = wheelhouse.plan(lock, ["3.11", "3.12"], [LINUX], _listing(), "wheels")
    (pure,) = planned["repositories"].values()
    assert pure["filename"] == "demo-1.0-py3-none-any.whl"
    assert sorted(pure["configs"]) == ["linux_x86_64_python_3.11", "linux_x86_64_python_3.12"]


def test_a_lock_without_the_fitting_wheels_hash_names_that_wheel(tmp_path):
    lock = _lock(tmp_path, _sha("macos"))
    with pytest.raises(AssemblerError) as err:
        wheelhouse.plan(lock, ["3.11"], [LINUX], _listing(), "wheels")
    assert err.value.subject == str(lock)
    assert err.value.problem.startswith(
        "has no hash for demo-1.0-cp311-cp311-manylinux_2_28_x86_64.whl, the wheel of "
        "demo==1.0 for linux_x86_64 (CPython 3.11)"
    )


def test_every_project_without_a_wheel_for_a_target_is_named_at_once(tmp_path):
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        f"demo==1.0 --hash=sha256:{_sha('macos')}\nother==2.0 --hash=sha256:{'0' * 64}\n"
    )
    windows = PLATFORMS["windows_x86_64"]
    with pytest.raises(AssemblerError) as err:
        wheelhouse.plan(lock, ["3.11"], [windows], _listing(BINARY), "wheels")
    assert err.value.subject == "demo==1.0, other==2.0"
    assert (
        err.value.problem == "have no wheel for platform windows_x86_64 (CPython 3.11) in the index"
    )


def test_find_links_hashes_only_the_pinned_releases(tmp_path):
    links = tmp_path / "links"
    links.mkdir()
    wanted = write_wheel(links, {"demo/__init__.py": b""}, project="demo", version="1.0")
    write_wheel(links, {"demo/__init__.py": b""}, project="demo", version="0.9")
    (links / "junk.whl").write_bytes(b"")
    (found,) = read_find_links(links, {("demo", wheelhouse.Version("1.0"))})
    assert found == IndexFile(
        wanted.name, wanted.resolve().as_uri(), hashlib.sha256(wanted.read_bytes()).hexdigest()
    )


DEPENDENT = (
    "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: six\n"
    'Requires-Dist: colorama; sys_platform == "win32"\n'
    "Requires-Dist: extra-only; extra == 'x'\n"
)


def _pure_plan(tmp_path: Path, pins: str) -> dict:
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"demo==1.0 --hash=sha256:{_sha('pure')}\n{pins}")
    listing = {
        name: [IndexFile(f"{name}-1.0-py3-none-any.whl", FILES + name, _sha(name))]
        for name in ("six", "colorama")
    }
    listing.update(_listing())
    windows = PLATFORMS["windows_x86_64"]
    return wheelhouse.plan(lock, ["3.11"], [LINUX, windows], listing, "hub")


@pytest.mark.parametrize("form", ["metadata", "wheel"])
def test_the_hub_requires_per_target_what_a_wheels_metadata_names(tmp_path, form):
    pins = (
        f"six==1.0 --hash=sha256:{_sha('six')}\n"
        f"colorama==1.0 ; sys_platform == 'win32' --hash=sha256:{_sha('colorama')}\n"
    )
    planned = _pure_plan(tmp_path, pins)
    if form == "wheel":
        source = write_wheel(tmp_path, {"demo/__init__.py": b""}, project="demo",
                             metadata=DEPENDENT)  # fmt: skip
    else:
        source = tmp_path / "demo.METADATA"
        source.write_text(DEPENDENT)
    empty = tmp_path / "empty.METADATA"
    empty.write_text("Metadata-Version: 2.1\nName: x\nVersion: 1.0\n")
    fetched = {r: empty for r in planned["repositories"]}
    fetched["hub__demo-1.0-py3-none-any"] = source
    build = wheelhouse.hub_build(planned, "hub", fetched)
    assert (
        '"@crosspex//py/config:is_windows_x86_64_python_3.11": [\n        ":colorama",\n'
        '        ":six"\n    ]' in build
    )
    assert '"@crosspex//py/config:is_linux_x86_64_python_3.11": [\n        ":six"\n    ]' in build


def test_a_wheel_without_metadata_is_read_by_its_own_repository(tmp_path):
    pins = (
        f"six==1.0 --hash=sha256:{_sha('six')}\n"
        f"colorama==1.0 ; sys_platform == 'win32' --hash=sha256:{_sha('colorama')}\n"
    )
    planned = _pure_plan(tmp_path, pins)
    empty = tmp_path / "empty.METADATA"
    empty.write_text("Metadata-Version: 2.1\nName: x\nVersion: 1.0\n")
    fetched = {r: empty for r in planned["repositories"] if "demo" not in r}
    build = wheelhouse.hub_build(planned, "hub", fetched)
    assert (
        'alias(\n    name = "demo-1.0-py3-none-any",\n'
        '    actual = "@hub__demo-1.0-py3-none-any//:wheel",\n)' in build
    )
    wheel = write_wheel(tmp_path, {"demo/__init__.py": b""}, project="demo", metadata=DEPENDENT)
    configs = {c: {"markers": planned["configs"][c]["markers"]} for c in planned["configs"]}
    text = wheelhouse.wheel_build(wheel, "hub", configs)
    assert f'    whl = "//file:{wheel.name}",' in text
    assert (
        '"@crosspex//py/config:is_windows_x86_64_python_3.11": [\n        "@hub//:colorama",\n'
        '        "@hub//:six"\n    ]' in text
    )


def test_a_requirement_the_lock_does_not_pin_is_named_with_its_wheel(tmp_path):
    planned = _pure_plan(tmp_path, f"six==1.0 --hash=sha256:{_sha('six')}\n")
    source = tmp_path / "demo.METADATA"
    source.write_text(DEPENDENT)
    fetched = {r: source for r in planned["repositories"]}
    with pytest.raises(AssemblerError) as err:
        wheelhouse.hub_build(planned, "hub", fetched)
    assert err.value.subject == "demo-1.0-py3-none-any.whl"
    assert err.value.problem.startswith('requires colorama; sys_platform == "win32" on windows')
    assert "which the lock file does not pin" in err.value.problem


def test_a_find_links_wheel_is_read_where_it_is(tmp_path):
    links = tmp_path / "links dir"
    links.mkdir()
    wheel = write_wheel(links, {"demo/__init__.py": b""}, project="demo", metadata=DEPENDENT)
    lock = _lock(tmp_path, hashlib.sha256(wheel.read_bytes()).hexdigest())
    listings = wheelhouse.listings_of({}, [str(links)], lock, ["3.11"], [LINUX])
    planned = wheelhouse.plan(lock, ["3.11"], [LINUX], listings, "hub")
    with pytest.raises(AssemblerError, match=r"requires six on linux_x86_64_python_3\.11"):
        wheelhouse.hub_build(planned, "hub", {})


def test_a_lock_that_names_its_wheels_takes_their_metadata_from_the_page(tmp_path):
    lock = tmp_path / "pylock.toml"
    url = "https://mirror.invalid/demo-1.0-py3-none-any.whl"
    lock.write_text(
        'lock-version = "1.0"\n'
        "[[packages]]\n"
        'name = "demo"\n'
        'version = "1.0"\n'
        "wheels = [\n"
        f'  {{ url = "{url}", hashes = {{ sha256 = "{_sha("pure")}" }} }},\n'
        "]\n"
    )
    # The page says whether, and where, the index serves each wheel's METADATA.
    assert wheelhouse.projects(lock, ["3.11"], [LINUX]) == ["demo"]
    planned = wheelhouse.plan(lock, ["3.11"], [LINUX], {}, "wheels")
    (wheel,) = planned["repositories"].values()
    assert (wheel["filename"], wheel["urls"]) == ("demo-1.0-py3-none-any.whl", [url])
    assert (wheel["metadata_url"], wheel["metadata_sha256"]) == (None, None)
    page = {"demo": [IndexFile(wheel["filename"], FILES + "demo.whl", _sha("pure"), "ab" * 32)]}
    (wheel,) = wheelhouse.plan(lock, ["3.11"], [LINUX], page, "wheels")["repositories"].values()
    assert wheel["urls"] == [url]
    assert (wheel["metadata_url"], wheel["metadata_sha256"]) == (
        FILES + "demo.whl.metadata",
        "ab" * 32,
    )


@pytest.mark.parametrize(
    ("environment", "indexes"),
    [
        ({"PIP_INDEX_URL": "https://a.invalid/simple", "PIP_NO_INDEX": "0"}, 1),
        ({"PIP_INDEX_URL": "https://a.invalid/simple", "PIP_NO_INDEX": "1"}, 0),
    ],
)
def test_the_pages_are_each_projects_on_each_index_pip_reads(
    tmp_path, monkeypatch, environment, indexes
):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://b.invalid/simple/")
    lock = _lock(tmp_path, _sha("pure"), pin="Demo.Project==1.0")
    found = wheelhouse.pages(lock, ["3.11"], [LINUX])
    expected = ["https://a.invalid/simple/demo-project/", "https://b.invalid/simple/demo-project/"]
    assert found["pages"] == {"demo-project": expected if indexes else []}


def test_a_pylock_wheel_by_path_is_read_from_the_locks_directory(tmp_path):
    wheels = tmp_path / "wheels dir"
    wheels.mkdir()
    wheel = write_wheel(wheels, {"demo/__init__.py": b""}, project="demo", metadata=DEPENDENT)
    lock = tmp_path / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\n[[packages]]\nname = "demo"\nversion = "1.0"\nwheels = [\n'
        f'  {{ path = "wheels dir/{wheel.name}", hashes = {{ sha256 = "{_sha("x")}" }} }},\n]\n'
    )
    planned = wheelhouse.plan(lock, ["3.11"], [LINUX], {}, "hub")
    (entry,) = planned["repositories"].values()
    assert entry["urls"] == [(wheels / wheel.name).as_uri()]
    with pytest.raises(AssemblerError, match=r"requires six on linux_x86_64_python_3\.11"):
        wheelhouse.hub_build(planned, "hub", {})
