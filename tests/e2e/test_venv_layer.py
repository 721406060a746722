"""py_venv_layer built by Bazel for Linux x86_64 and aarch64, each unpacked where its CPython
3.11 is /usr/bin/python3.11 and run: x86_64 on this Debian 12 root, aarch64 in the arm64 root
of scripts/aarch64-python.sh under qemu-user, and as an OCI image on that root. All print what
the PEX of the same app prints, importing every module from the layer's .pyc."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Dict, List, Sequence

import pytest

from harness.app import EXPECTED_OUTPUT, copy_of_app
from harness.bazel import LAYER_MNEMONICS, Bazel, pex_spawns
from harness.support import ROOT, aarch64_python, modules_loaded, write_wheel
from harness.workspace import write_assembler_toolchain


@pytest.fixture(scope="module")
def layers(app_bazel, tmp_path_factory):
    """platform -> the unpacked layer's /opt/venv, both built in one invocation."""
    app_bazel.build("//layer:app_layer_for")
    unpacked = {}
    for platform in ("linux_x86_64", "linux_aarch64"):
        image = tmp_path_factory.mktemp(platform)
        # In their order, as an image's layers are.
        for part in ("deps", "app"):
            with tarfile.open(
                app_bazel.output(f"layer/app_layer_for_{platform}.{part}.tar")
            ) as tar:
                tar.extractall(image)
        unpacked[platform] = image / "opt" / "venv"
    return unpacked


def _with_venv(venv: Path, *command: str) -> subprocess.CompletedProcess:
    """`command` on this machine's root, the layer's virtualenv at /opt/venv."""
    return subprocess.run(
        ["bwrap", "--dev-bind", "/", "/", "--tmpfs", "/opt", "--ro-bind", str(venv), "/opt/venv",
         "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--", *command],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def _assert_compiled_nothing(stderr: str) -> None:
    """`python -v`'s stderr: every module of the (read-only) layer came from its .pyc."""
    loaded = modules_loaded(stderr, "/opt/venv/")
    assert any(p.endswith("/app/__pycache__/main.cpython-311.pyc") for p in loaded), loaded
    assert len(loaded) > 20 and all(p.endswith(".cpython-311.pyc") for p in loaded), loaded


def test_the_x86_64_layer_runs_on_debian_12s_python(layers):
    done = _with_venv(
        layers["linux_x86_64"], "/opt/venv/bin/python", "-v", "/opt/venv/bin/app_layer"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_OUTPUT
    _assert_compiled_nothing(done.stderr)


def _arm64_root() -> Path:
    """scripts/aarch64-python.sh's root: Debian 12's arm64 CPython 3.11 and its libraries."""
    return Path(aarch64_python()).parents[2]


def test_the_aarch64_layer_runs_under_qemu(layers):
    sysroot = _arm64_root()
    # The arm64 CPython started as the virtualenv's bin/python: qemu finds /usr/bin/python3.11
    # and its standard library in the arm64 root, and /opt/venv (absent there) on this one.
    done = _with_venv(
        layers["linux_aarch64"],
        "qemu-aarch64-static", "-L", str(sysroot), "-0", "/opt/venv/bin/python",
        str(sysroot / "usr/bin/python3.11"), "-v", "/opt/venv/bin/app_layer",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_OUTPUT
    # The .pyc the x86_64 host's CPython 3.11 wrote, used as they are by the arm64 one.
    _assert_compiled_nothing(done.stderr)
    native = sorted(p.name for p in layers["linux_aarch64"].rglob("*.so"))
    assert native and all("aarch64" in n for n in native), native


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, (command, done.stderr)
    return done.stdout


def _add_image(app_bazel, root: Path, platform: str, arch: str, layout: Path) -> None:
    """An image of three layers in `layout`, tagged `arch`: the Debian `root`, then the
    virtualenv's two for `platform`, its wheels' and its own."""
    base = layout.parent / f"base_{arch}.tar"
    _run("tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
         "--exclude=./usr/bin/python3.11-qemu", "-cf", str(base), "-C", str(root), ".")  # fmt: skip
    image = f"{layout}:{arch}"
    _run("umoci", "new", "--image", image)
    _run("umoci", "raw", "add-layer", "--image", image, str(base))
    for part in ("deps", "app"):
        layer = app_bazel.output(f"layer/app_layer_for_{platform}.{part}.tar")
        _run("umoci", "raw", "add-layer", "--image", image, str(layer))
    _run("umoci", "config", "--image", image, "--os", "linux", "--architecture", arch,
         "--config.entrypoint", "/opt/venv/bin/app_layer")  # fmt: skip


def _add_index(layout: Path, tag: str, arches: Sequence[str]) -> None:
    """An image index tagged `tag` over the images tagged `arches`: one name, each CPU's
    image, as a registry serves a multi-arch image."""
    top = json.loads((layout / "index.json").read_text())
    by_tag = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in top["manifests"]}
    manifests = []
    for arch in arches:
        entry = {k: v for k, v in by_tag[arch].items() if k != "annotations"}
        manifests.append({**entry, "platform": {"architecture": arch, "os": "linux"}})
    blob = json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": manifests}, sort_keys=True,
    ).encode()  # fmt: skip
    digest = hashlib.sha256(blob).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(blob)
    top["manifests"].append({
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": f"sha256:{digest}",
        "size": len(blob), "annotations": {"org.opencontainers.image.ref.name": tag},
    })  # fmt: skip
    (layout / "index.json").write_text(json.dumps(top))


@pytest.fixture(scope="module")
def images(app_bazel, layers, tmp_path_factory) -> Path:
    """One OCI layout: the x86_64 image on a debootstrapped Debian 12 root (`amd64`), the
    aarch64 one on Debian's arm64 root (`arm64`), and the index of both (`app`)."""
    layout = tmp_path_factory.mktemp("images") / "oci"
    bookworm = subprocess.run(
        ["bash", str(ROOT / "scripts" / "bookworm-root.sh")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    _run("umoci", "init", "--layout", str(layout))
    _add_image(app_bazel, Path(bookworm), "linux_x86_64", "amd64", layout)
    _add_image(app_bazel, _arm64_root(), "linux_aarch64", "arm64", layout)
    _add_index(layout, "app", ["amd64", "arm64"])
    return layout


def _bundle(layout: Path, tag: str, arch: str, tmp_path: Path) -> Path:
    """The image tagged `tag`, as skopeo reads it and umoci unpacks it."""
    inspected = json.loads(_run("skopeo", "inspect", f"oci:{layout}:{tag}"))
    assert (inspected["Os"], inspected["Architecture"], len(inspected["Layers"])) == (
        "linux", arch, 3,
    )  # fmt: skip
    bundle = tmp_path / "bundle"
    _run("umoci", "unpack", "--image", f"{layout}:{tag}", str(bundle))
    entrypoint = json.loads((bundle / "config.json").read_text())["process"]["args"]
    assert entrypoint == ["/opt/venv/bin/app_layer"]
    return bundle


def _in_rootfs(bundle: Path, command: Sequence[str], binds: Sequence[str] = ()) -> str:
    """`command`'s output, run in the bundle's rootfs as its container would run it."""
    return _run(
        "bwrap", "--bind", str(bundle / "rootfs"), "/", *binds,
        "--proc", "/proc", "--dev", "/dev", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
        "--", *command,
    )  # fmt: skip


def test_the_arm64_image_on_debians_arm64_root_runs_the_layers(images, tmp_path):
    bundle = _bundle(images, "arm64", "arm64", tmp_path)
    # No binfmt_misc here: qemu starts the arm64 CPython as the entrypoint's #! would,
    # everything else (loader, libraries, /opt/venv) from the image's rootfs.
    qemu = shutil.which("qemu-aarch64-static")
    assert qemu, "qemu-aarch64-static is missing: run scripts/setup.sh"
    command = ["/qemu", "-0", "/opt/venv/bin/python", "/usr/bin/python3.11",
               "/opt/venv/bin/app_layer"]  # fmt: skip
    assert _in_rootfs(bundle, command, ["--ro-bind", qemu, "/qemu"]) == EXPECTED_OUTPUT


def test_the_x86_64_image_on_debian_12s_root_runs_the_layers(images, tmp_path):
    bundle = _bundle(images, "amd64", "amd64", tmp_path)
    assert _in_rootfs(bundle, ["/opt/venv/bin/app_layer"]) == EXPECTED_OUTPUT


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_the_multi_arch_index_gives_each_cpu_its_image(images, arch, tmp_path):
    index = json.loads(_run("skopeo", "inspect", "--raw", f"oci:{images}:app"))
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "arm64"]
    # What a client on that CPU pulls: its own image, complete (skopeo checks every digest).
    copied = tmp_path / "pulled"
    _run("skopeo", "--override-arch", arch, "copy", f"oci:{images}:app", f"oci:{copied}:app")
    inspected = json.loads(_run("skopeo", "inspect", f"oci:{copied}:app"))
    assert (inspected["Architecture"], len(inspected["Layers"])) == (arch, 3)


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory):
    """The example in another checkout, with another output base and exec Python."""
    work = tmp_path_factory.mktemp("elsewhere")
    bazel = Bazel(
        copy_of_app(work / "app"),
        work / "output_base",
        env={**os.environ, "CROSSPEX_PYTHON": os.path.realpath(sys.executable)},
    )
    yield bazel
    bazel.shutdown()


def test_the_same_bytes_from_another_checkout_output_base_and_exec_python(app_bazel, elsewhere):
    parts = ["layer/app_layer.deps.tar", "layer/app_layer.app.tar", "layer/app_layer.tar"]
    app_bazel.build("//layer:app_layer", "--output_groups=+single_tar", platform="linux_x86_64")
    here = [app_bazel.output(p).read_bytes() for p in parts]
    elsewhere.build("//layer:app_layer", "--output_groups=+single_tar", platform="linux_x86_64")
    there = [elsewhere.output(p).read_bytes() for p in parts]
    assert elsewhere.exec_python() != app_bazel.exec_python()
    assert here == there
    with tarfile.open(app_bazel.output("layer/app_layer.deps.tar")) as tar:
        assert (
            "opt/venv/lib/python3.11/site-packages/__pycache__/six.cpython-311.pyc"
            in tar.getnames()
        )


def test_precompile_without_a_bytecode_interpreter_names_the_fix(elsewhere):
    write_assembler_toolchain(elsewhere.workspace / "nobytecode", os.path.realpath(sys.executable))
    failed = elsewhere.build(
        "--extra_toolchains=//nobytecode:toolchain", "//layer:app_layer", check=False
    )
    assert failed.returncode == 1, failed.stderr
    assert (
        "crosspex: @@//layer:app_layer: precompile needs a CPython 3.11 on the exec platform, "
        "and the assembler toolchain @@//nobytecode:assembler has none "
        "(bytecode_interpreters: {})\n"
        "  fix: put python3.11 on PATH when Bazel fetches @crosspex_exec_python, or register a "
        'pex_assembler_toolchain with bytecode_interpreters = {"3.11": "/path/to/python3.11"}'
    ) in failed.stderr, failed.stderr[-3000:]


SPLIT_BUILD = """\
load("@crosspex//py:defs.bzl", "py_venv_layer")

py_venv_layer(
    name = "split",
    srcs = ["main.py"],
    main = "main.py",
    precompile = True,
    layer_groups = {{"demo": ["Demo"]}},
    deps = ["@wheels//:pyyaml", "@wheels//:six", "{demo}"],
)
"""


@pytest.fixture(scope="module")
def split(elsewhere):
    """//split:split, in a copy of the workspace: demo's wheel in a group of its own, beside
    PyYAML and six."""
    package = elsewhere.workspace / "split"
    package.mkdir()
    for version in ("1.0", "2.0"):
        write_wheel(package, {"demo.py": f"VERSION = {version!r}\n".encode()}, project="demo",
                    version=version)  # fmt: skip
    (package / "main.py").write_text("import demo, six, yaml\nprint(demo.VERSION)\n")
    (package / "BUILD.bazel").write_text(SPLIT_BUILD.format(demo="demo-1.0-py3-none-any.whl"))
    elsewhere.build("//split:split", platform="linux_x86_64")
    return package


def _split_build(elsewhere, log: Path) -> Dict[str, bytes]:
    """Builds //split:split again: each tar's bytes, by its part."""
    elsewhere.build(f"--execution_log_json_file={log}", "//split:split", platform="linux_x86_64")
    return {
        p: elsewhere.output(f"split/split.{p}.tar").read_bytes() for p in ("demo", "deps", "app")
    }


def _ran(log: Path) -> List[str]:
    return sorted(s["mnemonic"] for s in pex_spawns(log, LAYER_MNEMONICS))


def test_the_groups_hold_their_distributions_and_the_app_its_own(elsewhere, split, tmp_path):
    tars = _split_build(elsewhere, tmp_path / "log.json")
    names = {}
    for part, data in tars.items():
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            names[part] = [m.name for m in tar if not m.isdir()]
    site = "opt/venv/lib/python3.11/site-packages"
    assert sorted(n.split("/")[5] for n in names["demo"]) == [
        "__pycache__", "demo-1.0.dist-info", "demo-1.0.dist-info", "demo-1.0.dist-info",
        "demo-1.0.dist-info", "demo.py",
    ]  # fmt: skip
    assert f"{site}/six.py" in names["deps"] and f"{site}/yaml/__init__.py" in names["deps"]
    assert sorted(names["app"]) == sorted([
        "opt/venv/bin/python", "opt/venv/bin/python3", "opt/venv/bin/python3.11",
        "opt/venv/bin/split", f"{site}/split/__pycache__/main.cpython-311.pyc",
        f"{site}/split/main.py", "opt/venv/pyvenv.cfg",
    ])  # fmt: skip


def test_a_first_party_edit_rewrites_the_app_layer_alone(elsewhere, split, tmp_path):
    before = _split_build(elsewhere, tmp_path / "before.json")
    with (split / "main.py").open("a") as main:
        main.write("print('edited')\n")
    after = _split_build(elsewhere, tmp_path / "after.json")
    assert _ran(tmp_path / "after.json") == ["PexVenvLayer"]
    assert after["demo"] == before["demo"] and after["deps"] == before["deps"]
    assert after["app"] != before["app"]


def test_a_new_release_rewrites_its_group_and_the_app_layer_alone(elsewhere, split, tmp_path):
    before = _split_build(elsewhere, tmp_path / "before.json")
    build = split / "BUILD.bazel"
    build.write_text(SPLIT_BUILD.format(demo="demo-2.0-py3-none-any.whl"))
    try:
        after = _split_build(elsewhere, tmp_path / "after.json")
    finally:
        build.write_text(SPLIT_BUILD.format(demo="demo-1.0-py3-none-any.whl"))
    assert _ran(tmp_path / "after.json") == [
        "PexVenvGroup", "PexVenvInstall", "PexVenvLayer", "PexWheelCheck",
    ]  # fmt: skip
    assert after["deps"] == before["deps"]
    assert after["demo"] != before["demo"] and b"demo-2.0.dist-info" in after["demo"]


def test_the_parts_unpacked_in_order_are_the_single_tar(elsewhere, split, tmp_path):
    elsewhere.build("//split:split", "--output_groups=+single_tar", platform="linux_x86_64")
    single = tmp_path / "single"
    parts = tmp_path / "parts"
    with tarfile.open(elsewhere.output("split/split.tar")) as tar:
        tar.extractall(single)
    for part in ("demo", "deps", "app"):
        with tarfile.open(elsewhere.output(f"split/split.{part}.tar")) as tar:
            tar.extractall(parts)
    assert _tree(single) == _tree(parts)
    done = _with_venv(parts / "opt" / "venv", "/opt/venv/bin/split")
    assert done.returncode == 0 and done.stdout.startswith("1.0\n"), done.stderr


def _tree(root: Path) -> Dict[str, tuple]:
    """Each path below `root`: its mode and its bytes or link target."""
    found = {}
    for path in sorted(root.rglob("*")):
        stat = path.lstat()
        content = os.readlink(path) if path.is_symlink() else (
            path.read_bytes() if path.is_file() else None)  # fmt: skip
        found[str(path.relative_to(root))] = (stat.st_mode, content)
    return found
