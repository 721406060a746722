"""Helpers shared by the tests."""

from __future__ import annotations

import base64
import csv
import glob
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

if TYPE_CHECKING:
    from pex_assembler.manifest import Manifest

ROOT = Path(__file__).resolve().parents[2]
E2E_REQUIREMENTS = ROOT / "e2e" / "app" / "requirements.txt"

# Each built-in platform's complete spec, with its name, as the rules write it into manifests:
# docs/platforms.json is written from py/private/platforms.bzl (//docs:platforms_json_test).
PLATFORMS: Dict[str, Dict[str, str]] = {
    name: dict(spec, name=name)
    for name, spec in json.loads((ROOT / "docs" / "platforms.json").read_text()).items()
}


def find_wheel(wheel_dir: Path, platform: str, prefix: str) -> Path:
    matches = sorted((wheel_dir / f"cp311_{platform}").glob(prefix + "-*.whl"))
    assert len(matches) == 1, (platform, prefix, matches)
    return matches[0]


def find_python(version: str) -> str:
    """The path of CPython `version` (MAJOR.MINOR) on this machine: on PATH, or under pyenv."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        pyenv_root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"))
    for candidate in candidates:
        if not candidate:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    raise AssertionError(f"CPython {version} is not installed here (PATH or pyenv)")


def aarch64_python() -> str:
    """The path of a command that runs Debian's arm64 CPython 3.11 under qemu-user, set up by
    scripts/aarch64-python.sh."""
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "aarch64-python.sh")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def readme_starlark_blocks() -> List[str]:
    """The Starlark snippets of README.md, as printed."""
    return re.findall(r"```starlark\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def modules_loaded(stderr: str, prefix: str) -> List[str]:
    """The files `python -v` says it took code objects from, of those under `prefix`: a
    .pyc when it was valid, the .py when the module had to be compiled."""
    return re.findall(rf"^# code object from '?({re.escape(prefix)}[^'\s]+)", stderr, re.M)


Text = Union[str, bytes]
SOUND_WHEEL = "Wheel-Version: 1.0\nGenerator: crafted\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _text(value: Text) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow([name, f"sha256={digest}", len(data)])
    return line.getvalue()


def write_wheel(
    directory: Path,
    files: Mapping[str, bytes],
    *,
    project: str = "evil",
    version: str = "1.0",
    dist_info: Optional[str] = None,
    wheel_text: Optional[Text] = None,
    metadata: Optional[Text] = None,
    entry_points: Optional[Text] = None,
    record: Union[Text, Callable[[str], Text], None] = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Writes `<project>-<version>-py3-none-any.whl` into `directory`: `files`, then METADATA,
    WHEEL and entry_points.txt (sound ones, or the texts given raw), and a RECORD listing every
    member with its true sha256 and size, unless `record` is its text raw or a function of
    the true text. A name may hold a NUL byte."""
    dist_info = dist_info or f"{project}-{version}.dist-info"
    entries = dict(files)
    if metadata is None:
        metadata = f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n"
    entries[f"{dist_info}/METADATA"] = _text(metadata)
    entries[f"{dist_info}/WHEEL"] = _text(SOUND_WHEEL if wheel_text is None else wheel_text)
    if entry_points is not None:
        entries[f"{dist_info}/entry_points.txt"] = _text(entry_points)
    true_record = "".join(record_line(n, d) for n, d in entries.items())
    true_record += f"{dist_info}/RECORD,,\n"
    if record is None:
        record = true_record
    elif callable(record):
        record = record(true_record)
    entries[f"{dist_info}/RECORD"] = _text(record)

    path = directory / f"{project}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo("placeholder", date_time=(2024, 1, 1, 0, 0, 0))
            info.filename = name  # as given: ZipInfo() would cut it at a NUL
            info.external_attr = 0o100644 << 16
            info.compress_type = compression
            archive.writestr(info, data)
    return path


# The main repository's name in a manifest's `workspace_name`, as Bazel with bzlmod sets it.
WORKSPACE = "_main"


@dataclass(frozen=True)
class AssemblerInput:
    """What Bazel hands the assembler: a manifest, and the files (`SHORT_PATH=PATH`) and
    import roots it passes beside it as flags."""

    manifest: Path
    inputs: Tuple[str, ...] = ()
    import_roots: Tuple[str, ...] = ()

    def flags(self) -> List[str]:
        """The flags of `build` and `venv-layer`: --manifest, each --input and --import-root."""
        return [
            "--manifest",
            str(self.manifest),
            *(f"--input={spec}" for spec in self.inputs),
            *(f"--import-root={root}" for root in self.import_roots),
        ]

    def load(self) -> Manifest:
        """The PEX manifest, as `build` reads it."""
        from pex_assembler import manifest

        return manifest.load(self.manifest, self.inputs, self.import_roots)


def wheel_input(wheel: Path) -> str:
    """A wheel as Bazel passes it: a file of a repository of its own."""
    return f"../wheels/{wheel.name}={wheel}"


def write_manifest(
    path: Path,
    document: Mapping[str, object],
    files: Sequence[Tuple[str, Path]] = (),
    wheels: Sequence[Path] = (),
    import_roots: Sequence[str] = (),
) -> AssemblerInput:
    """Writes `document` at `path` as Bazel writes a manifest (of the main repository unless
    it sets a `workspace_name`), for `files` ((short path, file) pairs: a file of the main
    repository without import roots goes into the PEX at its short path) and `wheels`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"workspace_name": WORKSPACE, **document}))
    inputs = [f"{short_path}={file}" for short_path, file in files]
    return AssemblerInput(
        path, tuple(inputs + [wheel_input(w) for w in wheels]), tuple(import_roots)
    )


@dataclass(frozen=True)
class Form:
    """One output form: the assembler's command, the manifest's fields, the output's suffix."""

    command: str
    fields: Mapping[str, object]
    suffix: str


LAYER_PREFIX = "/opt/venv"
FORMS = {
    "zipapp": Form("build", {}, ".pex"),
    "packed": Form("build", {"layout": "packed"}, ".pex"),
    "loose": Form("build", {"layout": "loose"}, ".pex"),
    "preinstalled": Form("build", {"pre_install_wheels": True}, ".pex"),
    "venv": Form("build", {"execution_mode": "venv"}, ".pex"),
    "layer": Form(
        "venv-layer",
        {"prefix": LAYER_PREFIX, "interpreter": "/usr/bin/python3.11", "name": "app"},
        ".tar",
    ),
}


def one_file_app(
    work: Path, wheels: Sequence[Path], form: str, target: str = "linux_x86_64"
) -> Tuple[List[str], Path]:
    """The assembler's arguments that write `form` for `target` of `work`/main.py (written
    here unless it exists) with `wheels`, and the output they write: `work`/out/app.pex or
    app.tar, from `work`/manifest.json."""
    spec = FORMS[form]
    output = work / "out" / f"app{spec.suffix}"
    main = work / "main.py"
    if not main.exists():
        main.write_text("print('hi')\n")
    document = {
        "output": str(output),
        "target": {"platform": PLATFORMS[target], "python_version": "3.11"},
        "entry_point": "main",
        **spec.fields,
    }
    app = write_manifest(work / "manifest.json", document, [("main.py", main)], wheels)
    return [spec.command, *app.flags()], output


def pex_reference(
    tmp_path: Path, sources: Mapping[str, Path], wheels: Sequence[Path], **options
) -> Path:
    """The PEX pex's PEXBuilder alone writes of `sources` ({archive path: file}) and `wheels`,
    through its chroot, with the options a manifest sets: the oracle for the zipapp writer."""
    from pex.inherit_path import InheritPath
    from pex.interpreter import PythonIdentity, PythonInterpreter
    from pex.interpreter_constraints import InterpreterConstraints
    from pex.layout import Layout
    from pex.pex_builder import Check, CopyMode, PEXBuilder
    from pex.targets import Targets

    from pex_assembler.writer import spell_out_defaults

    interpreter = PythonInterpreter(PythonIdentity.get())
    builder = PEXBuilder(path=str(tmp_path / "chroot"), interpreter=interpreter,
                         copy_mode=CopyMode.COPY)  # fmt: skip
    info = builder.info
    spell_out_defaults(info)
    pre_install = options.get("pre_install_wheels", False)
    info.deps_are_wheel_files = not pre_install
    info.inherit_path = InheritPath.for_value(options.get("inherit_path", "false"))
    info.inject_env = options.get("inject_env", {})
    info.inject_args = []
    info.strip_pex_env = True
    info.interpreter_constraints = InterpreterConstraints.parse("CPython==3.11.*")
    # A manifest without it means py_pex_binary's default: pex decides.
    info.max_install_jobs = options.get("max_install_jobs", -1)
    if options.get("execution_mode") == "venv":
        info.venv = info.includes_tools = True
    builder.info = info
    for name, path in sources.items():
        builder.add_source(str(path), name)
    for wheel in wheels:
        if pre_install:
            # As pex's CLI installs a wheel, into its cache: fingerprinted by its layout.
            from pex.pep_427 import install_wheel_chroot

            installed = tmp_path / "pex_installed" / Path(wheel).name
            install_wheel_chroot(str(wheel), str(installed))
            builder.add_dist_location(str(installed))
            continue
        # As pex's CLI adds a resolved wheel: fingerprinted by its sha256.
        fingerprint = hashlib.sha256(Path(wheel).read_bytes()).hexdigest()
        builder.add_dist_location(str(wheel), fingerprint=fingerprint)
    builder.set_entry_point("app.main")
    builder.set_shebang("#!/usr/bin/env python3.11")
    if options.get("sh_boot"):
        builder.freeze(bytecode_compile=False)
        builder.set_sh_boot_script(pex_name="app.pex", targets=Targets(),
                                   python_shebang="#!/usr/bin/env python3.11")  # fmt: skip
    output = tmp_path / "reference" / "app.pex"
    builder.build(str(output), bytecode_compile=False, deterministic=True, layout=Layout.ZIPAPP,
                  compress=options.get("compress", True), check=Check.NONE)  # fmt: skip
    return output


def run_in_layer(
    tmp_path: Path, layer: Path, *command: str, returncode: int = 0
) -> subprocess.CompletedProcess:
    """Runs `command` in a bubblewrap sandbox of this machine with `layer` at LAYER_PREFIX,
    and checks its exit code."""
    image = tmp_path / "image"
    with tarfile.open(layer) as tar:
        tar.extractall(image)
    done = subprocess.run(
        ["bwrap", "--ro-bind", "/", "/", "--tmpfs", "/opt",
         "--ro-bind", str(image) + LAYER_PREFIX, LAYER_PREFIX, "--proc", "/proc", "--dev", "/dev",
         "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--", *command],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == returncode, done.stderr
    return done


def write_sources(directory: Path, files: Mapping[str, bytes]) -> Dict[str, Path]:
    """Writes `files` ({archive path: bytes}) under `directory`: the sources a manifest maps."""
    sources = {}
    for name, data in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        sources[name] = path
    return sources


def watch_replace(monkeypatch) -> List[Tuple[Path, Path]]:
    """The (source, destination) of each os.replace from now on; the renames still happen."""
    renames: List[Tuple[Path, Path]] = []
    replace = os.replace

    def observed(source, destination):
        renames.append((Path(source), Path(destination)))
        replace(source, destination)

    monkeypatch.setattr(os, "replace", observed)
    return renames


def in_ascii_locale(code: str, *args: str) -> str:
    """Runs `code` with `args` in a Python whose locale encoding is ASCII (no UTF-8 mode, as a
    Bazel action's can be); returns what it prints."""
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    import pex_assembler  # the package this process runs: in the mutation run, the mutant

    env["PYTHONPATH"] = str(Path(pex_assembler.__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# PEP 691's JSON first, PEP 503's HTML from indexes without it, as pip and pip_wheels ask.
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"


def _fetch_page(url: str, output: Path) -> bool:
    """Writes the index page at `url` to `output`; False where the index has no such page."""
    import urllib.error
    import urllib.request

    if url.startswith("file://"):
        local = Path(url[len("file://") :]) / "index.html"
        if not local.is_file():
            return False
        shutil.copyfile(local, output)
        return True
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": _ACCEPT})) as r:
            output.write_bytes(r.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return False
        raise
    return True


def plan_wheels(
    lock: Path, python_versions: Sequence[str], platforms: Sequence[Mapping[str, str]], pages: Path
) -> Dict[str, Any]:
    """pip_wheels' plan for the lock: the pages of pip's indexes fetched into `pages` as the
    extension fetches them, and the assembler's choice of each target's wheel."""
    from pex_assembler import wheelhouse

    found = wheelhouse.pages(lock, python_versions, platforms)
    fetched: Dict[str, List[Tuple[str, Path]]] = {}
    for project, urls in found["pages"].items():
        (pages / project).mkdir(parents=True, exist_ok=True)
        for number, url in enumerate(urls):
            output = pages / project / f"{number}.html"
            if _fetch_page(url, output):
                fetched.setdefault(project, []).append((url, output))
    listings = wheelhouse.listings_of(
        fetched, found["find_links"], lock, python_versions, platforms
    )
    return wheelhouse.plan(lock, python_versions, platforms, listings, "wheels")


def fetch_wheels(
    lock: Path, python_versions: Sequence[str], platforms: Sequence[Mapping[str, str]], dest: Path
) -> Dict[str, Any]:
    """The lock's wheels for each target under `dest/cp3XY_<platform>/`, chosen as pip_wheels
    chooses them and each downloaded once and checked against its sha256. Returns the plan;
    raises AssemblerError as the plan does, before anything is downloaded."""
    import urllib.request

    planned = plan_wheels(lock, python_versions, platforms, dest / ".pages")
    for wheel in planned["repositories"].values():
        with urllib.request.urlopen(wheel["urls"][0]) as response:
            data = response.read()
        assert hashlib.sha256(data).hexdigest() == wheel["sha256"], wheel["urls"][0]
        for config in wheel["configs"]:
            platform, _, version = config.partition("_python_")
            directory = dest / f"cp{version.replace('.', '')}_{platform}"
            directory.mkdir(parents=True, exist_ok=True)
            (directory / wheel["filename"]).write_bytes(data)
    shutil.rmtree(dest / ".pages", ignore_errors=True)
    return planned
