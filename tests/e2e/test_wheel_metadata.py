"""pip_wheels on an index that serves each wheel's METADATA (PEP 658), as PyPI does: a simple
index written here, its files served over HTTP (Bazel fetches plain http:// URLs only with a
checksum, which pages lack: they are read from a file: index). The hub reads what each wheel
requires from those small files; each wheel's repository is a plain download that Bazel makes
only when a build needs it, and that a lock edit leaves alone. A wheel whose page lists no
METADATA is read by its own repository."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
import zipfile
from pathlib import Path
from typing import ClassVar, List

import pytest

from harness.app import run_pex
from harness.bazel import Bazel
from harness.support import ROOT, find_python, write_wheel

PROJECTS = {
    # project: (Requires-Dist lines, whether the index serves its METADATA); names no other
    # index has, as the machine's own indexes are read too.
    "xmeta_alpha": (["xmeta_beta", 'xmeta_gamma; sys_platform == "win32"'], True),
    "xmeta_beta": ([], True),
    "xmeta_gamma": ([], True),
    "xmeta_delta": (["xmeta_beta"], False),
    "xmeta_extra": ([], True),
}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Logged(http.server.SimpleHTTPRequestHandler):
    requests: ClassVar[List[str]] = []

    def log_message(self, *args):
        self.requests.append(self.path)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The root URL of a directory served over HTTP, the directory, and the paths asked for."""
    root = tmp_path_factory.mktemp("index")
    handler = type("Handler", (_Logged,), {"requests": []})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: handler(*a, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root, handler.requests
    server.shutdown()


@pytest.fixture(scope="module")
def index(server):
    """The file: index's URL, and the paths of its files asked for."""
    url, root, requests = server
    (root / "files").mkdir()
    for project, (requires, served) in PROJECTS.items():
        metadata = f"Metadata-Version: 2.1\nName: {project}\nVersion: 1.0\n" + "".join(
            f"Requires-Dist: {r}\n" for r in requires
        )
        wheel = write_wheel(root / "files", {f"{project}.py": f"NAME = {project!r}\n".encode()},
                            project=project, metadata=metadata)  # fmt: skip
        with zipfile.ZipFile(wheel) as archive:
            served_metadata = archive.read(f"{project}-1.0.dist-info/METADATA")
        attribute = ""
        if served:
            Path(f"{wheel}.metadata").write_bytes(served_metadata)
            attribute = f' data-core-metadata="sha256={_sha256(served_metadata)}"'
        page = root / "simple" / project.replace("_", "-")
        page.mkdir(parents=True)
        (page / "index.html").write_text(
            f'<a href="{url}/files/{wheel.name}#sha256={_sha256(wheel.read_bytes())}"'
            f"{attribute}>{wheel.name}</a>\n"
        )
    return (root / "simple").as_uri(), requests


def _pins(index: str, projects) -> list:
    import re

    pins = []
    for project in projects:
        page = Path(index[len("file://") :]) / project.replace("_", "-") / "index.html"
        sha256 = re.search(r"sha256=([0-9a-f]{64})\"", page.read_text()).group(1)
        pins.append(f"{project}==1.0 --hash=sha256:{sha256}\n")
    return pins


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, index):
    url, _ = index
    workspace = tmp_path_factory.mktemp("metadata")
    (workspace / "MODULE.bazel").write_text(
        'module(name = "metadata")\n'
        'bazel_dep(name = "crosspex", version = "0.1.0")\n'
        f'local_path_override(module_name = "crosspex", path = "{ROOT}")\n'
        'crosspex = use_extension("@crosspex//py:extensions.bzl", "crosspex")\n'
        'crosspex.pip_wheels(name = "wheels", lock = "//:requirements.txt", '
        'platforms = ["linux_x86_64", "windows_x86_64"])\n'
        'use_repo(crosspex, "wheels")\n'
    )
    (workspace / ".bazelrc").write_text((ROOT / "e2e" / "app" / ".bazelrc").read_text())
    (workspace / "main.py").write_text(
        "import xmeta_alpha, xmeta_beta, xmeta_delta\n"
        "print(xmeta_alpha.NAME, xmeta_beta.NAME, xmeta_delta.NAME)\n"
    )
    (workspace / "BUILD.bazel").write_text(
        'load("@crosspex//py:defs.bzl", "py_pex_binary")\n'
        'py_pex_binary(name = "app", srcs = ["main.py"], main = "main.py", '
        'deps = ["@wheels//:xmeta_alpha", "@wheels//:xmeta_delta"])\n'
    )
    (workspace / "requirements.txt").write_text(
        "".join(_pins(url, ["xmeta_alpha", "xmeta_beta", "xmeta_delta", "xmeta_gamma"]))
    )
    return workspace


@pytest.fixture(scope="module")
def bazel(workspace, index, tmp_path_factory):
    url, _ = index
    # An index besides pip's own (the assembler's Python is installed from that).
    env = dict(os.environ, PIP_EXTRA_INDEX_URL=url)
    # A repository cache of its own: what is downloaded shows in the index's log.
    cache = tmp_path_factory.mktemp("metadata_repository_cache")
    bazel = Bazel(workspace, tmp_path_factory.mktemp("metadata_output_base"), env=env,
                  flags=(f"--repository_cache={cache}",))  # fmt: skip
    yield bazel
    bazel.shutdown()


def _marker(bazel: Bazel, wheel: str) -> Path:
    (marker,) = (bazel.output_base / "external").glob(f"*wheels__{wheel}*.marker")
    return marker


def test_the_hub_reads_each_wheels_metadata_from_the_index(bazel, workspace, index, tmp_path):
    _, requests = index
    bazel.build("--platforms=@crosspex//py/platforms:linux_x86_64", "//:app")
    done = run_pex(find_python("3.11"), bazel.output("app.pex"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "xmeta_alpha xmeta_beta xmeta_delta\n"
    # METADATA of every wheel whose page lists it, and no other; gamma (Windows only) is
    # never downloaded.
    assert sorted(p for p in requests if p.endswith(".metadata")) == [
        f"/files/xmeta_{p}-1.0-py3-none-any.whl.metadata" for p in ("alpha", "beta", "gamma")
    ]
    wheels = sorted(p for p in requests if p.endswith(".whl"))
    assert wheels == [f"/files/xmeta_{p}-1.0-py3-none-any.whl" for p in ("alpha", "beta", "delta")]
    (hub,) = (bazel.output_base / "external").glob("*~wheels")
    build = (hub / "BUILD.bazel").read_text()
    windows = '"@crosspex//py/config:is_windows_x86_64_python_3.11": [\n        ":xmeta_beta",\n'
    assert 'pex_wheel(\n    name = "xmeta_alpha-1.0-py3-none-any",' in build
    assert windows + '        ":xmeta_gamma"\n    ]' in build
    # delta's page lists no METADATA: its own repository reads it from the wheel.
    assert 'wheels__xmeta_delta-1.0-py3-none-any//:wheel",' in build


def test_a_lock_edit_leaves_every_other_wheels_repository_alone(bazel, workspace, index):
    url, requests = index
    bazel.build("--platforms=@crosspex//py/platforms:linux_x86_64", "//:app")
    stamps = {
        w: _marker(bazel, f"xmeta_{w}").stat().st_mtime_ns for w in ("alpha", "beta", "delta")
    }
    requests.clear()
    lock = workspace / "requirements.txt"
    lock.write_text(lock.read_text() + "".join(_pins(url, ["xmeta_extra"])))
    bazel.build("--platforms=@crosspex//py/platforms:linux_x86_64", "//:app")
    assert {w: _marker(bazel, f"xmeta_{w}").stat().st_mtime_ns for w in stamps} == stamps
    # Only the pages again, and the new wheel's METADATA; no wheel.
    assert not [p for p in requests if p.endswith(".whl")]
    assert [p for p in requests if p.endswith(".metadata")] == [
        "/files/xmeta_extra-1.0-py3-none-any.whl.metadata"
    ]


def test_a_plain_http_index_is_named_with_the_fix(workspace, server, tmp_path):
    url, _, _ = server
    env = dict(os.environ, PIP_EXTRA_INDEX_URL=f"{url}/simple")
    bazel = Bazel(workspace, tmp_path / "output_base", env=env)
    try:
        done = bazel.run("build", "//:app", check=False)
    finally:
        bazel.shutdown()
    assert done.returncode != 0
    assert f"could not fetch the index page {url}/simple/xmeta-" in done.stderr
    assert "fix: serve the index over https" in done.stderr
