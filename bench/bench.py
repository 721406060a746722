"""crosspex benchmarks: each figure is printed beside its yardstick, measured in the same run.

Yardsticks: the pex CLI building from the same local wheels for the same target, a plain copy
(`cat`) of the same bytes, and the same app run from a plain virtualenv. Machines are noisy:
compare ratios from one run, never figures from different runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Sequence, Tuple

if TYPE_CHECKING:
    from harness.support import AssemblerInput as Input

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("CROSSPEX_CACHE", ROOT / ".cache")) / "bench"
PYTHON = sys.executable
PEX = Path(PYTHON).parent / "pex"
ASSEMBLER = [PYTHON, "-s", "-S", "-m", "pex_assembler"]
# The built-in platform's spec, as the rules write it (docs/platforms.json, from Starlark).
TARGET = dict(json.loads((ROOT / "docs" / "platforms.json").read_text())["linux_x86_64"])
TARGET["name"] = "linux_x86_64"
GLIBC = TARGET["libc_version"].replace(".", "_")
PLATFORM_ARGS = [
    "--only-binary=:all:", "--python-version=3.11", "--implementation=cp", "--abi=cp311",
    f"--platform=manylinux_{GLIBC}_x86_64", "--platform=manylinux_2_17_x86_64",
    "--platform=manylinux2014_x86_64", "--platform=linux_x86_64",
]  # fmt: skip
APPS = {
    "small": ("import yaml, msgpack, dateutil, click, six\nprint('ok')\n"),
    "large": ("import numpy, pandas, pydantic, cryptography, torch\nprint('ok')\n"),
    "awscli": ("import awscli, yaml, rsa\nprint('ok')\n"),
}
# A project of many files: awscli's wheel holds 8,082 of the set's 8,487.
AWSCLI = ["awscli==1.46.3"]
ROWS: List[Tuple[str, str, str]] = []


def timed(command: Sequence[str], **kwargs) -> Tuple[float, int]:
    """Seconds and peak RSS (KiB) of one run of `command`."""
    start = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, **kwargs
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return elapsed, int(done.stderr.strip().splitlines()[-1])


def best(command: Sequence[str], runs: int = 3, **kwargs) -> Tuple[float, int]:
    results = [timed(command, **kwargs) for _ in range(runs)]
    return min(r[0] for r in results), max(r[1] for r in results)


def row(name: str, value: str, against: str) -> None:
    ROWS.append((name, value, against))
    print(f"  {name:<58} {value:>12}   {against}", flush=True)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x"


def wheel_set(name: str) -> Path:
    directory = CACHE / "wheels" / name
    if directory.is_dir() and any(directory.glob("*.whl")):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    if name == "large":
        requirements = ["-r", str(ROOT / "bench" / "large-requirements.in")]
    elif name == "awscli":
        requirements = AWSCLI
    else:
        requirements = ["PyYAML==6.0.2", "msgpack==1.1.0", "python-dateutil==2.9.0.post0",
                        "click==8.1.7", "six==1.17.0"]  # fmt: skip
    subprocess.run(
        [PYTHON, "-m", "pip", "download", "--quiet", "--dest", str(directory),
         *PLATFORM_ARGS, *requirements],
        check=True,
    )  # fmt: skip
    return directory


def manifest(workdir: Path, wheels: List[Path], app: str, records: bool, **fields) -> Input:
    """The manifest of `app` with `wheels`, and its inputs, as Bazel passes them."""
    from harness.support import write_manifest

    (workdir / "main.py").write_text(APPS[app])
    data = {
        "output": str(workdir / "out" / "app.pex"),
        "target": {"platform": TARGET, "python_version": "3.11"},
        "entry_point": "main",
        **fields,
    }
    written = write_manifest(
        workdir / "manifest.json", data, [("main.py", workdir / "main.py")], wheels
    )
    if not records:
        return written
    # As inside Bazel: pex's skeleton was written once for the options, and each wheel was
    # checked once, by their own cached actions.
    write_skeleton(written.manifest, workdir)
    checked = []
    for wheel in wheels:
        record = workdir / "records" / (wheel.name + ".crosspex.json")
        record.parent.mkdir(exist_ok=True)
        subprocess.run(
            [*ASSEMBLER, "check-wheel", "--wheel", str(wheel), "--output", str(record)],
            check=True, env=assembler_env(),
        )  # fmt: skip
        checked.append(f"{record.name}={record}")
    return dataclasses.replace(written, inputs=written.inputs + tuple(checked))


def best_in_worker(arguments: List[str], runs: int = 3) -> float:
    """Seconds of the fastest of `runs` WorkRequests to a started and warmed-up worker."""
    from pex_assembler import worker

    process = subprocess.Popen(
        [*ASSEMBLER, "--persistent_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=assembler_env(),
    )
    assert process.stdin and process.stdout
    times = []
    try:
        for run in range(runs + 1):
            start = time.perf_counter()
            process.stdin.write(worker.encode_request(arguments))
            process.stdin.flush()
            response = worker.read_message(process.stdout)
            if response is None or worker.parse_response(response)[0] != 0:
                raise SystemExit(f"the worker failed: {response!r}")
            if run:  # the first request imports the assembler
                times.append(time.perf_counter() - start)
    finally:
        process.stdin.close()
        process.wait()
    return min(times)


def write_skeleton(path: Path, workdir: Path) -> None:
    skeleton = ["skeleton", "--manifest", str(path), "--output", str(workdir / "skeleton.pex")]
    subprocess.run([*ASSEMBLER, *skeleton], check=True, env=assembler_env())


def assembler_env() -> Dict[str, str]:
    # As in Bazel's actions: no site, the assembler and its libraries on PYTHONPATH.
    libraries = sysconfig.get_paths()["purelib"]
    return {**os.environ, "PYTHONPATH": f"{ROOT / 'tools'}{os.pathsep}{libraries}"}


def assemble_command(inputs: Input) -> List[str]:
    """The build as Bazel runs it: with the skeleton beside the manifest, if any."""
    skeleton = inputs.manifest.parent / "skeleton.pex"
    return [*ASSEMBLER, "build", *inputs.flags(),
            *([f"--skeleton={skeleton}"] if skeleton.exists() else [])]  # fmt: skip


def _pex_cli(wheels: List[Path], work: Path, *options: str) -> Tuple[float, float]:
    """The pex CLI on the same local wheels, best of 3 with an empty PEX_ROOT each time (a
    clean build) and best of 3 with the PEX_ROOT the first run filled (pex's own cache)."""
    requirements = [w.name.split("-")[0] for w in wheels]
    pex_out = work / "pex-cli.pex"
    pex_root = work / "pex-root"
    command = [str(PEX), "--no-pypi", "--find-links", str(wheels[0].parent), "--intransitive",
               "--python", PYTHON, "--pex-root", str(pex_root), "-o", str(pex_out),
               *options, *requirements]  # fmt: skip
    clean = []
    for _ in range(3):
        shutil.rmtree(pex_root, ignore_errors=True)
        clean.append(timed(command)[0])
    warm, _ = best(command)
    return min(clean), warm


def bench_assembler(app: str, wheels: List[Path], work: Path) -> None:
    """Like for like: each side writes the same form of PEX, each timed as the best of 3."""
    size = sum(w.stat().st_size for w in wheels)
    print(f"\n{app} set: {len(wheels)} wheels, {size / 2**20:.0f} MiB", flush=True)
    copy_out = work / "copy.out"
    files = " ".join(map(str, wheels))
    copy, _ = best(["sh", "-c", f"rm -f {copy_out} && cat {files} > {copy_out}"])
    row("plain copy of the same bytes (cat into a new file)", f"{copy:.2f} s", "yardstick")

    print("  clean build, embedded .whl files (nothing cached)", flush=True)
    pex_clean, pex_warm = _pex_cli(wheels, work / "pex-whl", "--no-pre-install-wheels")
    row("pex CLI --no-pre-install-wheels, empty PEX_ROOT", f"{pex_clean:.2f} s",
        f"{ratio(pex_clean, copy)} of the copy")  # fmt: skip
    cold = work / "cold"
    cold.mkdir()
    full, rss = best(assemble_command(manifest(cold, wheels, app, records=False)),
                     env=assembler_env())  # fmt: skip
    row("assembler one-shot CLI (also checks every RECORD hash)", f"{full:.2f} s",
        f"{ratio(full, copy)} of the copy, {ratio(full, pex_clean)} of pex's time")  # fmt: skip

    print("  rebuild after an edit to the app (each side's caches warm)", flush=True)
    row("pex CLI --no-pre-install-wheels, warm PEX_ROOT", f"{pex_warm:.2f} s",
        f"{ratio(pex_warm, copy)} of the copy")  # fmt: skip
    warm = work / "warm"
    warm.mkdir()
    inputs = manifest(warm, wheels, app, records=True)
    fast, fast_rss = best(assemble_command(inputs), env=assembler_env())
    in_worker = best_in_worker(assemble_command(inputs)[len(ASSEMBLER) :])
    row("assembler in its persistent worker, as local Bazel runs it", f"{in_worker:.2f} s",
        f"{ratio(in_worker, copy)} of the copy, pex {ratio(pex_warm, in_worker)}")  # fmt: skip
    row("assembler, one process a build (sandboxed, remote)", f"{fast:.2f} s",
        f"{ratio(fast, copy)} of the copy, pex {ratio(pex_warm, fast)}")  # fmt: skip
    skeleton_args = ["--manifest", str(inputs.manifest), "--output", str(warm / "skeleton.pex")]
    skeleton, _ = best([*ASSEMBLER, "skeleton", *skeleton_args], env=assembler_env())
    row("  pex's skeleton (its own action, once per set of options)", f"{skeleton:.2f} s", "")

    row("assembler peak RSS", f"{max(rss, fast_rss) / 1024:.0f} MiB",
        "target: < 150 MiB")  # fmt: skip

    bench_startup(app, wheels, inputs, work)


DEFAULT_OPTIONS = {"layout": "zipapp", "execution_mode": "zipapp", "sh_boot": False,
                   "compress": True, "pre_install_wheels": False,
                   "max_install_jobs": -1}  # fmt: skip
# Each option the rule offers, against the defaults (the first).
VARIANTS = [
    ("zipapp, zipapp mode", {}),
    ("zipapp, zipapp mode, wheels installed one at a time", {"max_install_jobs": 1}),
    ("zipapp, zipapp mode, wheels installed one per core", {"max_install_jobs": 0}),
    ("zipapp, venv mode", {"execution_mode": "venv"}),
    ("zipapp, venv mode, sh_boot", {"execution_mode": "venv", "sh_boot": True}),
    ("packed, venv mode, sh_boot", {"layout": "packed", "execution_mode": "venv", "sh_boot": True}),
    ("loose, zipapp mode", {"layout": "loose"}),
    ("zipapp, zipapp mode, uncompressed", {"compress": False}),
    ("zipapp, zipapp mode, pre-installed wheels", {"pre_install_wheels": True}),
]


def plain_venv(wheels: List[Path], inputs: Input, work: Path) -> Tuple[str, float]:
    """The interpreter itself (not a version manager's shim that would start it), and the
    best of 5 runs of the app from a venv where pip installed the wheels."""
    python = subprocess.run(
        [shutil.which("python3.11") or PYTHON, "-c", "import sys; print(sys.executable)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    venv = work / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--no-deps",
                    *map(str, wheels)], check=True)  # fmt: skip
    main = inputs.manifest.parent / "main.py"
    plain, _ = best([str(venv / "bin" / "python"), str(main)], runs=5)
    return python, plain


def bench_startup(app: str, wheels: List[Path], inputs: Input, work: Path) -> None:
    python, plain = plain_venv(wheels, inputs, work)
    row(f"{app} app from a plain venv", f"{plain:.3f} s", "yardstick")
    unzipped = work / "unzipped"
    unzip = " && ".join(f"unzip -q -o {w} -d {unzipped / w.name}" for w in wheels)
    command = ["sh", "-c", f"rm -rf {unzipped} && mkdir {unzipped} && {unzip}"]
    unzip_seconds = _median([timed(command)[0] for _ in range(3)])
    row(f"{app} app's wheels unzipped one after another (median of 3)", f"{unzip_seconds:.3f} s",
        "yardstick of a first run")  # fmt: skip
    data = json.loads(inputs.manifest.read_text())
    for label, options in VARIANTS:
        options = {**DEFAULT_OPTIONS, **options}
        variant = work / label.replace(", ", "-").replace(" ", "_")
        variant.mkdir()
        data.update(options, output=str(variant / "app.pex"))
        (variant / "manifest.json").write_text(json.dumps(data))
        variant_inputs = dataclasses.replace(inputs, manifest=variant / "manifest.json")
        if options["layout"] == "zipapp" and not options["pre_install_wheels"]:
            write_skeleton(variant_inputs.manifest, variant)
        built, _ = timed(assemble_command(variant_inputs), env=assembler_env())
        pex = variant / "app.pex"
        # Through the same interpreter as the venv, not the shebang's `env pythonX.Y`, which
        # may resolve to a version manager's shim; sh_boot's point is its /bin/sh header.
        target = str(pex / "__main__.py" if pex.is_dir() else pex)
        run = [target] if options["sh_boot"] else [python, target]
        env = {"PATH": os.environ["PATH"], "PEX_ROOT": str(variant / "pex_root")}
        firsts = []
        for _ in range(3):  # each first run into an empty PEX_ROOT; the median of three
            shutil.rmtree(variant / "pex_root", ignore_errors=True)
            firsts.append(timed(run, env=env)[0])
        first = _median(firsts)
        warm, _ = best(run, runs=5, env=env)
        size = sum(p.stat().st_size for p in pex.rglob("*")) if pex.is_dir() else pex.stat().st_size
        row(f"  {label}: build", f"{built:.2f} s", f"{size / 2**20:.0f} MiB")
        against = f"{ratio(first, plain)} of the venv, {ratio(first, unzip_seconds)} of the unzip"
        row(f"  {label}: first run (median of 3)", f"{first:.3f} s", against)
        row(f"  {label}: warm run", f"{warm:.3f} s", f"{ratio(warm, plain)} of the venv")


def bench_layer(app: str, wheels: List[Path], work: Path) -> None:
    """py_venv_layer's tar, unpacked where the image would have it, without and with .pyc: its
    build against the default PEX's (both from checked wheels, as in Bazel), its first run (as
    in a fresh container) against the plain venv's."""
    print(f"\n{app} set as a virtualenv layer", flush=True)
    work.mkdir(parents=True)
    inputs = manifest(work, wheels, app, records=True)
    python, plain = plain_venv(wheels, inputs, work)
    row(f"{app} app from a plain venv", f"{plain:.3f} s", "yardstick")
    pex_build, _ = best(assemble_command(inputs), env=assembler_env())
    row(f"{app} default PEX: build", f"{pex_build:.2f} s", "yardstick of the build")
    pex_run = [python, str(work / "out" / "app.pex")]
    pex_env = {"PATH": os.environ["PATH"], "PEX_ROOT": str(work / "pex_root")}
    pex_firsts = []
    for _ in range(3):  # each into an empty PEX_ROOT
        shutil.rmtree(work / "pex_root", ignore_errors=True)
        pex_firsts.append(timed(pex_run, env=pex_env)[0])
    pex_warm, _ = best(pex_run, runs=5, env=pex_env)
    row(f"{app} default PEX: first run (median of 3)", f"{_median(pex_firsts):.3f} s",
        f"{ratio(_median(pex_firsts), plain)} of the venv")  # fmt: skip
    row(f"{app} default PEX: warm run", f"{pex_warm:.3f} s",
        f"{ratio(pex_warm, plain)} of the venv")  # fmt: skip
    prefix = work / "layer" / "venv"
    data = json.loads(inputs.manifest.read_text())
    data.update(output=str(work / "app.tar"), prefix=str(prefix), interpreter=python, name="app")
    layer_inputs = dataclasses.replace(inputs, manifest=work / "layer.json")
    # Without .pyc, a writable layer compiles on its first run, then starts warm, and a
    # read-only one compiles every time; precompiled (by the venv's own CPython here), neither.
    for label, fields in (
        ("venv layer", {}),
        ("venv layer, precompiled", {"bytecode_interpreter": python}),
    ):
        (work / "layer.json").write_text(json.dumps({**data, **fields}))
        built, _ = best([*ASSEMBLER, "venv-layer", *layer_inputs.flags()], env=assembler_env())
        size = (work / "app.tar").stat().st_size
        row(f"{app} {label}: build", f"{built:.2f} s",
            f"{ratio(built, pex_build)} of the default PEX's, {size / 2**20:.0f} MiB")  # fmt: skip
        _layer_runs(f"{app} {label}", work / "app.tar", prefix, plain)


def _layer_runs(label: str, tar: Path, prefix: Path, plain: float) -> None:
    unpack = ["sh", "-c", f"rm -rf {prefix} && tar -xf {tar} -C /"]
    app_command = [str(prefix / "bin" / "app")]
    writable = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    firsts = []
    for _ in range(3):  # each first run from a freshly unpacked layer; the median of three
        subprocess.run(unpack, check=True)
        firsts.append(timed(app_command, env=writable)[0])
    first = _median(firsts)
    warm, _ = best(app_command, runs=5, env=writable)
    subprocess.run(unpack, check=True)
    read_only, _ = best(app_command, runs=5, env={**writable, "PYTHONDONTWRITEBYTECODE": "1"})
    row(f"{label}: first run (median of 3)", f"{first:.3f} s", f"{ratio(first, plain)} of the venv")
    row(f"{label}, read-only (no .pyc written): every run", f"{read_only:.3f} s",
        f"{ratio(read_only, plain)} of the venv")  # fmt: skip
    row(f"{label}: warm run", f"{warm:.3f} s", f"{ratio(warm, plain)} of the venv")


MEMBER_MIB = 512


def _wheel_with_a_large_member(directory: Path) -> Path:
    """`big-1.0-py3-none-any.whl`: one stored module of MEMBER_MIB MiB (random, so that no
    form can compress it away), streamed in, with its true RECORD."""
    import hashlib
    import zipfile

    path = directory / "big-1.0-py3-none-any.whl"
    digest, chunk = hashlib.sha256(), 1 << 20
    metadata = {
        "big-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: big\nVersion: 1.0\n",
        "big-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open("big/blob.py", "w", force_zip64=True) as member:
            for _ in range(MEMBER_MIB):
                data = os.urandom(chunk)
                digest.update(data)
                member.write(data)
        rows = [f"big/blob.py,sha256={_record_digest(digest)},{MEMBER_MIB * chunk}"]
        for name, data in metadata.items():
            archive.writestr(name, data)
            rows.append(f"{name},sha256={_record_digest(hashlib.sha256(data))},{len(data)}")
        rows.append("big-1.0.dist-info/RECORD,,")
        archive.writestr("big-1.0.dist-info/RECORD", "\n".join(rows) + "\n")
    return path


def _record_digest(hasher) -> str:
    import base64

    return base64.urlsafe_b64encode(hasher.digest()).rstrip(b"=").decode()


# py_venv_layer's default place in the image.
LAYER = {"prefix": "/opt/venv", "interpreter": "/usr/bin/python3.11", "name": "app"}


def bench_member(work: Path) -> None:
    """Peak RSS of each output form, given one wheel whose single member is MEMBER_MIB MiB:
    it stays flat when every form streams; and the record's binding (a CRC-32 of the whole
    wheel) beside a plain read of the same bytes."""
    print(f"\none {MEMBER_MIB} MiB member, every output form", flush=True)
    work.mkdir(parents=True)
    wheel = _wheel_with_a_large_member(work)
    copy, _ = best(["sh", "-c", f"cat {wheel} > /dev/null"])
    row("read of the wheel (cat to /dev/null)", f"{copy:.2f} s", "yardstick")
    forms = [
        ("zipapp, one-shot (checks every RECORD hash)", "build", {}, False),
        ("zipapp, with its record (a rebuild: the CRC binds it)", "build", {}, True),
        ("packed", "build", {"layout": "packed"}, False),
        ("pre-installed", "build", {"pre_install_wheels": True}, False),
        ("venv layer", "venv-layer", LAYER, False),
    ]
    for label, command, options, records in forms:
        case = work / label.split(",")[0].replace(" ", "-") / ("records" if records else "bare")
        case.mkdir(parents=True)
        if command == "venv-layer":
            options = {**options, "output": str(case / "app.tar")}
        inputs = manifest(case, [wheel], "small", records, entry_point="big.blob", **options)
        if command == "build":
            args = assemble_command(inputs)
        else:
            args = [*ASSEMBLER, "venv-layer", *inputs.flags()]
        seconds, rss = timed(args, env=assembler_env())
        against = f"{rss / 1024 / MEMBER_MIB:.2f}x the member, {ratio(seconds, copy)} of the read"
        row(f"{label}: peak RSS", f"{rss / 1024:.0f} MiB", against)
        shutil.rmtree(case)


def bench_bazel(work: Path) -> None:
    from harness.bazel import Bazel

    print("\nBazel (the e2e matrix: //app:all)", flush=True)
    workspace = work / "app"
    shutil.copytree(ROOT / "e2e" / "app", workspace, ignore=shutil.ignore_patterns("bazel-*"))
    text = (workspace / "MODULE.bazel").read_text()
    (workspace / "MODULE.bazel").write_text(text.replace('path = "../.."', f'path = "{ROOT}"'))
    bazel = Bazel(workspace, work / "output_base")
    try:
        bazel.run("fetch", "//app:all")
        bazel.build("//app:all")
        bazel.run("clean")
        start = time.perf_counter()
        bazel.build("//app:all")
        clean = time.perf_counter() - start
        pexes = sorted(p for p in bazel.output("app").glob("app_*.pex") if p.is_file())
        size = sum(p.stat().st_size for p in pexes)
        files = " ".join(map(str, pexes))
        copy, _ = best(["sh", "-c", f"rm -f {work / 'm.out'} && cat {files} > {work / 'm.out'}"])
        print("  a clean build is one after `bazel clean`: server warm, repositories fetched")
        row("clean build of the matrix", f"{clean:.2f} s",
            f"{len(pexes)} PEXes, {size / 2**20:.0f} MiB; copy of them {copy:.2f} s")  # fmt: skip
        start = time.perf_counter()
        bazel.build("//app:all")
        row("no-op rebuild", f"{time.perf_counter() - start:.2f} s", "")
    finally:
        bazel.shutdown()


def _workspace(directory: Path, body: str, crosspex: Path = ROOT) -> None:
    """A module using this checkout's crosspex (or a copy of it), `body` appended to its
    MODULE.bazel."""
    directory.mkdir(parents=True)
    (directory / "MODULE.bazel").write_text(
        'module(name = "bench")\nbazel_dep(name = "crosspex", version = "0.1.0")\n'
        f'local_path_override(module_name = "crosspex", path = "{crosspex}")\n'
        'bazel_dep(name = "rules_python", version = "1.7.0")\n'
        'crosspex = use_extension("@crosspex//py:extensions.bzl", "crosspex")\n' + body
    )
    shutil.copy(ROOT / "e2e" / "app" / ".bazelrc", directory / ".bazelrc")


def _pip_wheels(name: str) -> str:
    """MODULE.bazel lines for a pip_wheels repository `name` of //:requirements.txt."""
    return (f'crosspex.pip_wheels(name = "{name}", lock = "//:requirements.txt", '
            f'platforms = ["linux_x86_64"])\nuse_repo(crosspex, "{name}")\n')  # fmt: skip


# The large app's dependencies in each form users hand them over.
FORMS = {
    "pex_wheel targets (pip_wheels)": "app_pex_wheel",
    "plain .whl files": "app_whl",
    "installed trees, one repository per wheel (rules_python's layout)": "app_installed",
}


def _large_workspace(wheels: List[Path], work: Path) -> Path:
    """The large app in a workspace of its own, its dependencies given in each form."""
    import hashlib

    from packaging.utils import canonicalize_name, parse_wheel_filename

    workspace = work / "large"
    names = {w.name: str(canonicalize_name(parse_wheel_filename(w.name)[0])).replace("-", "_")
             for w in wheels}  # fmt: skip
    # rules_python's layout, from the example's module extension.
    repositories = [f"pypi_{names[w.name]}" for w in wheels]
    installed = 'installed = use_extension("//third_party:extensions.bzl", "installed_wheels")\n'
    installed += "".join(
        f'installed.wheel(name = "{name}", wheel = "@large//:cp311_linux_x86_64/{w.name}")\n'
        for name, w in zip(repositories, wheels)
    )
    installed += f"use_repo(installed, {', '.join(map(json.dumps, repositories))})\n"
    _workspace(workspace, _pip_wheels("large") + installed)
    shutil.copytree(ROOT / "e2e" / "app" / "third_party", workspace / "third_party")
    lines = []
    for wheel in wheels:
        name, version, _, _ = parse_wheel_filename(wheel.name)
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        lines.append(f"{name}=={version} --hash=sha256:{digest}")
    (workspace / "requirements.txt").write_text("\n".join(lines) + "\n")
    (workspace / "main.py").write_text(APPS["large"])
    top = ("torch", "numpy", "pandas", "pydantic", "cryptography")
    deps = {
        "app_pex_wheel": [f"@large//:{n}" for n in top],
        "app_whl": [f"@large//:cp311_linux_x86_64/{w.name}" for w in wheels],
        "app_installed": [f"@pypi_{names[w.name]}//:pkg" for w in wheels],
    }
    shared = [(f"shared_{i}", deps["app_installed"]) for i in range(10)]
    (workspace / "BUILD.bazel").write_text(
        'load("@crosspex//py:defs.bzl", "py_pex_binary")\n'
        + "".join(
            f'py_pex_binary(name = "{name}", srcs = ["main.py"], main = "main.py", '
            f"deps = {json.dumps(listed)})\n"
            for name, listed in [*deps.items(), *shared]
        )
    )
    return workspace


def _median(values: Sequence[float]) -> float:
    return sorted(values)[len(values) // 2]


def bench_bazel_large(wheels: List[Path], work: Path) -> None:
    """A first-party edit of the large app, per form of its dependencies, against the floor:
    what Bazel itself spends on any build that rewrites this output (a no-op build, SHA-256
    of the output, and a plain copy of the wheel bytes), measured in the same run."""
    from harness.bazel import Bazel

    workspace = _large_workspace(wheels, work)
    bazel = Bazel(workspace, work / "large_output_base")
    copy_out = work / "large-wheels.out"
    size = sum(w.stat().st_size for w in wheels)
    print(f"\nlarge app in Bazel: {len(wheels)} wheels, {size / 2**20:.0f} MiB", flush=True)
    try:
        for label, target in FORMS.items():
            bazel.build(f"//:{target}")
            pex = bazel.output(f"{target}.pex")
            rebuilds, floors = [], []
            for edit in range(3):
                with (workspace / "main.py").open("a") as handle:
                    handle.write(f"# edit {edit} of {target}\n")
                start = time.perf_counter()
                bazel.build(f"//:{target}")
                rebuilds.append(time.perf_counter() - start)
                start = time.perf_counter()
                bazel.build(f"//:{target}")
                noop = time.perf_counter() - start
                sha256 = ("import hashlib, sys; "
                          "hashlib.file_digest(open(sys.argv[1], 'rb'), 'sha256')")  # fmt: skip
                digest, _ = timed([PYTHON, "-c", sha256, str(pex)])
                copy, _ = timed(["sh", "-c", f"rm -f {copy_out} && cat {' '.join(map(str, wheels))}"
                                             f" > {copy_out}"])  # fmt: skip
                floors.append(noop + digest + copy)
            rebuild, floor = _median(rebuilds), _median(floors)
            row(f"rebuild after editing main.py, deps as {label}", f"{rebuild:.2f} s",
                f"{ratio(rebuild, floor)} of the floor ({floor:.2f} s)")  # fmt: skip

        with (workspace / "main.py").open("a") as handle:
            handle.write("# profiled edit\n")
        profile = work / "large-rebuild.profile.json"
        bazel.build("//:app_installed", f"--profile={profile}")
        copy, _ = best(["sh", "-c", f"rm -f {copy_out} && cat {' '.join(map(str, wheels))}"
                                    f" > {copy_out}"])  # fmt: skip
        for label, seconds in rebuild_phases(profile).items():
            row(
                f"  one more edit, {label}",
                f"{seconds:.2f} s",
                f"{ratio(seconds, copy)} of the copy",
            )

        seconds = {}
        for targets in (["//:app_installed"], [f"//:shared_{i}" for i in range(10)]):
            bazel.run("clean")
            start = time.perf_counter()
            bazel.build(*targets)
            seconds[len(targets)] = time.perf_counter() - start
        row("clean build, installed trees, one PEX", f"{seconds[1]:.2f} s", "yardstick")
        row("clean build, installed trees, 10 PEXes sharing them", f"{seconds[10]:.2f} s",
            f"{ratio(seconds[10], seconds[1])} of one")  # fmt: skip
    finally:
        bazel.shutdown()


# Where a rebuild's time goes, by the names of Bazel 7's profile events.
PHASES = {
    "Bazel's scan for changed files": "handleDiffs",
    "removing the old PEX": "action.prepare",
    "the PexAssemble action": "Action.execute",
    "Bazel's digest of the new PEX": "actuallyCompleteAction",
}


def rebuild_phases(profile: Path) -> Dict[str, float]:
    events = json.loads(profile.read_text())["traceEvents"]
    seconds = {}
    for label, name in PHASES.items():
        durations = [e["dur"] for e in events if e.get("ph") == "X" and e.get("name") == name]
        seconds[label] = max(durations, default=0) / 1e6
    return seconds


def bench_analysis(work: Path) -> None:
    """Analysis of a py_pex_binary over a chain of N py_library targets, for two N."""
    from harness.bazel import Bazel

    times = {}
    for count in (250, 1000):
        workspace = work / f"graph{count}"
        _workspace(workspace, "")
        libs = []
        for index in range(count):
            (workspace / f"m{index}.py").write_text(f"VALUE = {index}\n")
            dep = f', deps = [":l{index - 1}"]' if index else ""
            libs.append(f'py_library(name = "l{index}", srcs = ["m{index}.py"]{dep})')
        (workspace / "main.py").write_text("import m0\n")
        (workspace / "BUILD.bazel").write_text(
            'load("@crosspex//py:defs.bzl", "py_pex_binary")\n'
            'load("@rules_python//python:defs.bzl", "py_library")\n' + "\n".join(libs) + "\n"
            f'py_pex_binary(name = "pex", srcs = ["main.py"], main = "main.py", '
            f'deps = [":l{count - 1}"])\n'
        )
        bazel = Bazel(workspace, work / f"graph{count}_output_base")
        try:
            bazel.run("build", "--nobuild", "//:pex")
            (workspace / "BUILD.bazel").write_text((workspace / "BUILD.bazel").read_text() + "\n")
            start = time.perf_counter()
            bazel.run("build", "--nobuild", "//:pex")
            times[count] = time.perf_counter() - start
        finally:
            bazel.shutdown()
    row("analysis, chain of 250 py_library", f"{times[250]:.2f} s", "")
    row("analysis, chain of 1000 py_library", f"{times[1000]:.2f} s",
        f"{ratio(times[1000], times[250])} of 250 (linear: about 4x or less)")  # fmt: skip


def bench_repack(wheels: List[Path], work: Path) -> None:
    """Packing an installed tree back into a wheel, per compression level and thread count."""
    import zipfile

    from pex_assembler import installed

    largest = max(wheels, key=lambda w: w.stat().st_size)
    tree_dir = work / "tree"
    with zipfile.ZipFile(largest) as archive:
        archive.extractall(tree_dir)
    tree = installed.tree_from_directory(tree_dir)
    size = sum(p.stat().st_size for p in tree.files.values())
    print(f"\npacking {largest.name}'s installed tree ({len(tree.files)} files, "
          f"{size / 2**20:.0f} MiB) into a wheel", flush=True)  # fmt: skip
    copy, _ = best(["sh", "-c", f"rm -rf {work / 'copy'} && cp -r {tree_dir} {work / 'copy'}"])
    row("plain copy of the tree (cp -r)", f"{copy:.2f} s", "yardstick")
    cores = os.cpu_count() or 1
    for level, jobs in ((0, cores), (1, 1), (1, cores), (6, 1), (6, cores)):
        out = work / f"level{level}-jobs{jobs}"
        out.mkdir()
        start = time.perf_counter()
        (written,) = installed.repack(tree, out, level=level, jobs=jobs)
        seconds = time.perf_counter() - start
        megabytes = written[1].stat().st_size / 2**20
        default = " (crosspex's)" if level == installed.COMPRESS_LEVEL and jobs == cores else ""
        row(f"  zlib level {level}, {jobs} thread(s){default}", f"{seconds:.2f} s",
            f"{ratio(seconds, copy)} of the copy, {megabytes:.0f} MiB")  # fmt: skip
        shutil.rmtree(out)


def bench_many(wheels: List[Path], work: Path) -> None:
    """Clean builds of N PEX targets with the same options and deps, and their analysis."""
    import hashlib

    from packaging.utils import parse_wheel_filename

    from harness.bazel import Bazel

    print("\nmany PEX targets: each its own main.py, the same two wheels, the default options",
          flush=True)  # fmt: skip
    lines = []
    for wheel in wheels:
        name, version, _, _ = parse_wheel_filename(wheel.name)
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        lines.append(f"{name}=={version} --hash=sha256:{digest}")
    seconds, analysis, heap = {}, {}, {}
    one_pex = None
    # The last: 50 targets whose options differ, each needing a skeleton of its own.
    for count, own in ((1, False), (50, False), (500, False), (50, True)):
        key = f"{count}{' own' if own else ''}"
        workspace = work / f"many{count}{'_own' if own else ''}"
        _workspace(workspace, _pip_wheels("small"))
        (workspace / "requirements.txt").write_text("\n".join(lines) + "\n")
        targets = []
        for index in range(count):
            (workspace / f"main{index}.py").write_text(f"import click, six\nprint({index})\n")
            option = f'inject_env = {{"INDEX": "{index}"}}, ' if own else ""
            targets.append(
                f'py_pex_binary(name = "pex{index}", srcs = ["main{index}.py"], {option}'
                f'main = "main{index}.py", deps = ["@small//:click", "@small//:six"])'
            )
        build_file = workspace / "BUILD.bazel"
        build_file.write_text('load("@crosspex//py:defs.bzl", "py_pex_binary")\n'
                              + "\n".join(targets) + "\n")  # fmt: skip
        bazel = Bazel(workspace, workspace.with_name(workspace.name + "_output_base"))
        try:
            bazel.run("fetch", "//:all")
            bazel.build("//:all")
            bazel.shutdown()
            bazel.run("clean")
            start = time.perf_counter()
            bazel.build("//:all")
            seconds[key] = time.perf_counter() - start
            build_file.write_text(build_file.read_text() + "\n")
            start = time.perf_counter()
            bazel.run("build", "--nobuild", "//:all")
            analysis[key] = time.perf_counter() - start
            # What Bazel's heap holds after a collection, with the analysis of N targets.
            heap[key] = bazel.run("info", "used-heap-size-after-gc").stdout.strip()
            if one_pex is None:
                one_pex = bazel.output("pex0.pex")
                copy_out = work / "one-pex.out"
                copy, _ = best(["sh", "-c", f"rm -f {copy_out} && cat {one_pex} > {copy_out}"])
        finally:
            bazel.shutdown()
    row("clean build of 1 PEX target", f"{seconds['1']:.2f} s", "yardstick")
    labels = {"50": "50 PEX targets", "500": "500 PEX targets",
              "50 own": "50 PEX targets, each with an inject_env of its own"}  # fmt: skip
    for key, label in labels.items():
        count = int(key.split()[0])
        extra = (seconds[key] - seconds["1"]) / (count - 1)
        row(f"clean build of {label}", f"{seconds[key]:.2f} s",
            f"{ratio(seconds[key], seconds['1'])} of one; each extra one {extra:.3f} s, "
            f"{ratio(extra, copy)} of a copy of its bytes ({copy:.3f} s)")  # fmt: skip
    row(
        "analysis of 50 PEX targets",
        f"{analysis['50']:.2f} s",
        f"Bazel's heap after GC {heap['50']}",
    )
    row("analysis of 500 PEX targets", f"{analysis['500']:.2f} s",
        f"{ratio(analysis['500'], analysis['50'])} of 50 (linear: about 10x or less); "
        f"heap after GC {heap['500']}")  # fmt: skip


# The wheel-fetch lock: 39 popular requirements, for these platforms and CPythons.
FETCH_PLATFORMS = ["linux_x86_64", "linux_aarch64", "macos_arm64", "windows_x86_64"]
FETCH_VERSIONS = ["3.11", "3.12"]
FETCH_FROZEN = "--exclude-newer=2026-11-01T00:00:00Z"


def _fetch_workspace(directory: Path, requirements: str, lock: str, crosspex: Path) -> None:
    """A module whose pip_lock writes `lock` for FETCH_PLATFORMS and FETCH_VERSIONS, its
    pip_wheels reading it, a binary that needs every requirement and one that needs none."""
    names = [n.strip() for n in requirements.splitlines() if n.strip()]
    targets = json.dumps(FETCH_PLATFORMS), json.dumps(FETCH_VERSIONS)
    _workspace(directory, (
        f'crosspex.pip_wheels(name = "wheels", lock = "//:{lock}", '
        f"platforms = {targets[0]}, python_versions = {targets[1]})\n"
        'use_repo(crosspex, "wheels")\n'), crosspex)  # fmt: skip
    (directory / "requirements.in").write_text(requirements)
    (directory / "main.py").write_text("print('ok')\n")
    deps = ", ".join(f'"@wheels//:{n.replace("-", "_").replace(".", "_")}"' for n in names)
    (directory / "BUILD.bazel").write_text(
        'load("@crosspex//py:defs.bzl", "pip_lock", "py_pex_binary")\n'
        f'pip_lock(name = "lock", requirements_in = "requirements.in", lock = "{lock}", '
        f"platforms = {targets[0]}, python_versions = {targets[1]})\n"
        f'py_pex_binary(name = "all_pex", srcs = ["main.py"], main = "main.py", deps = [{deps}])\n'
        'py_pex_binary(name = "none_pex", srcs = ["main.py"], main = "main.py")\n'
    )


def _parallel_download(urls: Sequence[str], dest: Path) -> float:
    """Seconds to download `urls` all at once (16 at a time), as a plain client would."""
    import concurrent.futures
    import urllib.request

    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)

    def get(numbered: Tuple[int, str]) -> None:
        with urllib.request.urlopen(numbered[1]) as response:
            (dest / str(numbered[0])).write_bytes(response.read())

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(get, enumerate(urls)))
    return time.perf_counter() - start


def _cached(cache: Path, hashes: Sequence[str]) -> int:
    """How many of the wheels with these sha256 the repository cache holds."""
    found = cache / "content_addressable" / "sha256"
    return sum((found / h / "file").is_file() for h in hashes)


def _read_in_repository(output_base: Path) -> int:
    """How many fetched wheel repositories read their wheel's METADATA themselves (the index
    serves none); the others are plain downloads."""
    external = output_base / "external"
    return sum(
        "pex_wheel(" in (d / "BUILD.bazel").read_text()
        for d in external.glob("*wheels__*")
        if (d / "BUILD.bazel").is_file()
    )


def bench_fetch(work: Path) -> None:
    """pip_wheels' downloads against plain parallel downloads of the same wheel files."""
    from harness.bazel import Bazel
    from harness.support import PLATFORMS, plan_wheels

    print("\nwheel fetching (pip_wheels): 39 requirements, 4 platforms x 2 CPythons", flush=True)
    print("  each first fetch starts after crosspex's own repositories are fetched (the analysis")
    print("  of a binary of no wheel), in a fresh output base with an empty repository cache")
    requirements = (ROOT / "bench" / "fetch-requirements.in").read_text()
    specs = [PLATFORMS[name] for name in FETCH_PLATFORMS]
    # A copy of crosspex, for an upgrade that changes none of what the fetch reads.
    crosspex = work / "crosspex"
    shutil.copytree(ROOT, crosspex, ignore=shutil.ignore_patterns(
        ".git", ".cache", ".venv", "bazel-*", "__pycache__", "dist"))  # fmt: skip

    def bazel(name: str, where: Path) -> Bazel:
        cache = work / f"{name}_cache"
        return Bazel(where, work / f"{name}_output_base", flags=(f"--repository_cache={cache}",))

    def fetch_all(server: Bazel) -> float:
        server.run("info")  # the server up, nothing fetched
        start = time.perf_counter()
        # A query follows every select() branch: every platform's and version's wheels. (The
        # harness passes its flags to build commands only.)
        server.run("query", *server.flags, "deps(@wheels//:all)")
        return time.perf_counter() - start

    def first_fetches(lock: str) -> Tuple[Path, List[Dict[str, Any]]]:
        workspace = work / lock.replace(".", "_")
        _fetch_workspace(workspace, requirements, lock, crosspex)
        one = bazel(f"one_{lock}", workspace)
        try:
            one.run("run", "//:lock", "--", FETCH_FROZEN)
            plan = plan_wheels(workspace / lock, FETCH_VERSIONS, specs, work / f"pages_{lock}")
            wheels = list(plan["repositories"].values())
            mine = [w for w in wheels if "linux_x86_64_python_3.11" in w["configs"]]
            one.run("build", "--nobuild", "//:none_pex")
            start = time.perf_counter()
            one.run("build", "--nobuild", "--platforms=@crosspex//py/platforms:linux_x86_64",
                    "//:all_pex")  # fmt: skip
            seconds = time.perf_counter() - start
            floor = _parallel_download([w["urls"][0] for w in mine], work / "floor")
            got = _cached(work / f"one_{lock}_cache", [w["sha256"] for w in wheels])
            row(f"{lock}: first fetch for linux_x86_64 / 3.11",
                f"{seconds:.1f} s, {got} of {len(wheels)} wheels",
                f"{ratio(seconds, floor)} of its {len(mine)} wheels' parallel download "
                f"({floor:.1f} s)")  # fmt: skip
        finally:
            one.shutdown()
        every = bazel(f"all_{lock}", workspace)
        try:
            every.run("build", "--nobuild", "//:none_pex")
            seconds = fetch_all(every)
            stored = work / f"all_{lock}_cache" / "content_addressable" / "sha256"
            size = sum((stored / w["sha256"] / "file").stat().st_size for w in wheels)
            floor = _parallel_download([w["urls"][0] for w in wheels], work / "floor")
            lazy = _read_in_repository(work / f"all_{lock}_output_base")
            row(f"{lock}: first fetch of every platform and version", f"{seconds:.1f} s",
                f"{ratio(seconds, floor)} of the {len(wheels)} wheels' parallel download, "
                f"{size / 2**20:.0f} MiB ({floor:.1f} s); {lazy} without METADATA on the "
                "index")  # fmt: skip
        finally:
            every.shutdown()
        return workspace, wheels

    first_fetches("pylock.toml")
    workspace, wheels = first_fetches("requirements.txt")
    every = [w["sha256"] for w in wheels]
    cache = work / "all_requirements.txt_cache"
    first = bazel("all_requirements.txt", workspace)

    def again(label: str, change: Callable[[], None]) -> None:
        change()
        seconds = fetch_all(first)
        added = plan_wheels(workspace / "requirements.txt", FETCH_VERSIONS, specs,
                            work / f"pages_{len(ROWS)}")  # fmt: skip
        new = [w for w in added["repositories"].values() if w["sha256"] not in every]
        floor = _parallel_download([w["urls"][0] for w in new], work / "floor") if new else 0.0
        row(label, f"{seconds:.1f} s",
            f"{len(new)} new wheel(s), downloaded alone in {floor:.2f} s; "
            f"{_cached(cache, every) - len(every)} old ones again")  # fmt: skip

    upgraded = crosspex / "tools" / "pex_assembler" / "wheels.py"
    try:
        again("fetch again after a no-op lock",
              lambda: first.run("run", "//:lock", "--", FETCH_FROZEN))  # fmt: skip
        again("fetch again after a crosspex upgrade",
              lambda: upgraded.write_text(upgraded.read_text() + "\n# upgraded\n"))  # fmt: skip

        def add() -> None:
            (workspace / "requirements.in").write_text(requirements + "itsdangerous\n")
            first.run("run", "//:lock", "--", FETCH_FROZEN)

        again("fetch again after adding one package (itsdangerous)", add)
    finally:
        first.shutdown()
        (workspace / "requirements.in").write_text(requirements)

    other = work / "fetch_other"
    shutil.copytree(workspace, other, ignore=shutil.ignore_patterns("bazel-*"))
    second = Bazel(other, work / "other_output_base", flags=(f"--repository_cache={cache}",))
    try:
        second.run("build", "--nobuild", "//:none_pex")
        cached = len(list((cache / "content_addressable" / "sha256").iterdir()))
        seconds = fetch_all(second)
        after = len(list((cache / "content_addressable" / "sha256").iterdir()))
        row("a second workspace, same lock and repository cache", f"{seconds:.1f} s",
            f"{after - cached} new files in the cache (index pages included)")  # fmt: skip
    finally:
        second.shutdown()


def bench_multi(work: Path) -> None:
    """The example's PEX for 4 platforms x 2 CPythons against its 8 single-target PEXes."""
    from harness.bazel import Bazel, deps_in
    from harness.support import find_python
    from harness.workspace import copy_of_workspace

    print("\none PEX for 4 platforms x 2 CPythons (examples/app //app:app_any_pex) against "
          "its 8 single-target PEXes (//app:app)", flush=True)  # fmt: skip
    workspace = copy_of_workspace(ROOT / "examples" / "app", work / "example")
    bazel = Bazel(workspace, work / "example_output_base")
    singles = [f"app/app_{p}_py{v}.pex" for p in FETCH_PLATFORMS for v in ("311", "312")]
    try:
        bazel.run("build", "//app:app_any_pex", "//app:app")
        seconds = {}
        for label in ("//app:app_any_pex", "//app:app"):
            bazel.run("clean")
            start = time.perf_counter()
            bazel.build(label)
            seconds[label] = time.perf_counter() - start
        bazel.build("//app:app_any_pex", "//app:app")  # both again, after the last clean
        any_pex = bazel.output("app/app_any_pex.pex")
        single_paths = [bazel.output(s) for s in singles]
        wheels = {}
        for pex in single_paths:
            with zipfile.ZipFile(pex) as archive:
                for name in deps_in(pex):
                    wheels[name] = archive.getinfo(f".deps/{name}").file_size
        size = any_pex.stat().st_size
        total = sum(p.stat().st_size for p in single_paths)
        own = sum(wheels.values())
        row("size of the PEX for 8 targets", f"{size / 2**20:.1f} MiB",
            f"{ratio(size, total)} of the 8 PEXes' sum ({total / 2**20:.1f} MiB); "
            f"{ratio(size, own)} of its {len(wheels)} wheels' own bytes")  # fmt: skip
        row("clean build of the PEX for 8 targets", f"{seconds['//app:app_any_pex']:.1f} s",
            f"{ratio(seconds['//app:app_any_pex'], seconds['//app:app'])} of the 8 PEXes' "
            f"clean build ({seconds['//app:app']:.1f} s)")  # fmt: skip
        python = find_python("3.11")
        single = bazel.output("app/app_linux_x86_64_py311.pex")
        first = {}
        for name, pex in (("any", any_pex), ("single", single)):
            root = work / f"first_run_{name}"
            command = ["sh", "-c", f"rm -rf {root} && PEX_ROOT={root} {python} {pex}"]
            first[name], _ = best(command)
        row("first run of the PEX for 8 targets, CPython 3.11 here", f"{first['any']:.2f} s",
            f"{ratio(first['any'], first['single'])} of the linux_x86_64 / 3.11 PEX's "
            f"({first['single']:.2f} s): pex installs every embedded wheel")  # fmt: skip
    finally:
        bazel.shutdown()


SPLIT_LAYER = """
py_venv_layer(name = "{name}", srcs = ["main.py"], main = "main.py", precompile = {pyc},
              layer_groups = {{"demo": ["demo"]}}, deps = {deps})
"""


def _single_layer(wheels: List[Path], work: Path, python: str, pyc: bool) -> float:
    """The whole layer in one action, as PexVenvLayer wrote it before the split (and as the
    output group single_tar's parts are written together): best of 3."""
    work.mkdir(parents=True, exist_ok=True)
    inputs = manifest(work, wheels, "large", records=True)
    data = json.loads(inputs.manifest.read_text())
    data.update(output=str(work / "app.tar"), prefix="/opt/venv", interpreter=python, name="app")
    if pyc:
        data.update(bytecode_interpreter=python)
    (work / "layer.json").write_text(json.dumps(data))
    layer_inputs = dataclasses.replace(inputs, manifest=work / "layer.json")
    seconds, _ = best([*ASSEMBLER, "venv-layer", *layer_inputs.flags()], env=assembler_env())
    return seconds


PRE_INSTALLED = """\
load("@crosspex//py:defs.bzl", "py_pex_binary")

py_pex_binary(
    name = "app",
    srcs = ["main.py"],
    main = "main.py",
    deps = {deps},
    pre_install_wheels = True,
)
"""


def bench_preinstalled(app: str, wheels: List[Path], work: Path) -> None:
    """Pre-installed PEXes (pex's default form) like for like with the pex CLI on the same
    local wheels: a clean build (empty PEX_ROOT; `bazel clean`) and a rebuild after an edit
    to the app (pex's warm PEX_ROOT; Bazel's cached actions). Both sides write thousands of
    files, and this machine's disk slows down as it is written to, so the sides take turns
    in each of 3 rounds; each figure is the best of its 3."""
    from harness.bazel import Bazel

    size = sum(w.stat().st_size for w in wheels)
    print(f"\npre-installed, {app} set: {len(wheels)} wheels, {size / 2**20:.0f} MiB", flush=True)
    pex_root = work / "pex-root"
    requirements = [w.name.split("-")[0] for w in wheels]
    pex_command = [str(PEX), "--no-pypi", "--find-links", str(wheels[0].parent), "--intransitive",
                   "--python", PYTHON, "--pex-root", str(pex_root), "-o", str(work / "pex.pex"),
                   *requirements]  # fmt: skip
    one_shot = work / "one-shot"
    one_shot.mkdir(parents=True)
    one_shot_command = assemble_command(
        manifest(one_shot, wheels, app, records=False, pre_install_wheels=True)
    )
    workspace = work / "workspace"
    _workspace(workspace, "")
    (workspace / "wheels").mkdir()
    for wheel in wheels:
        shutil.copy(wheel, workspace / "wheels")
    (workspace / "main.py").write_text(APPS[app])
    deps = json.dumps([f"wheels/{w.name}" for w in wheels])
    (workspace / "BUILD.bazel").write_text(PRE_INSTALLED.format(deps=deps))
    bazel = Bazel(workspace, work / "output_base")

    def bazel_build() -> float:
        start = time.perf_counter()
        bazel.build("//:app")
        return time.perf_counter() - start

    figures: Dict[str, List[float]] = {}
    try:
        bazel.build("//:app")
        for edit in range(3):
            shutil.rmtree(pex_root, ignore_errors=True)
            figures.setdefault("pex clean", []).append(timed(pex_command)[0])
            seconds, rss = timed(one_shot_command, env=assembler_env())
            figures.setdefault("one-shot", []).append(seconds)
            figures.setdefault("one-shot RSS", []).append(rss / 1024)
            bazel.run("clean")
            figures.setdefault("bazel clean", []).append(bazel_build())
            figures.setdefault("pex warm", []).append(timed(pex_command)[0])
            with (workspace / "main.py").open("a") as handle:
                handle.write(f"# edit {edit}\n")
            figures.setdefault("bazel edit", []).append(bazel_build())
    finally:
        bazel.shutdown()
    best_of = {name: min(values) for name, values in figures.items()}
    pex_clean, pex_warm = best_of["pex clean"], best_of["pex warm"]
    row("pex CLI (installs every wheel), empty PEX_ROOT", f"{pex_clean:.2f} s", "yardstick")
    row("pex CLI, warm PEX_ROOT (a rebuild)", f"{pex_warm:.2f} s", "yardstick")
    row("assembler one-shot CLI (also checks every RECORD hash)", f"{best_of['one-shot']:.2f} s",
        f"{ratio(best_of['one-shot'], pex_clean)} of pex's clean time")  # fmt: skip
    row("assembler one-shot CLI, peak RSS", f"{max(figures['one-shot RSS']):.0f} MiB",
        "target: < 150 MiB")  # fmt: skip
    row("in Bazel, clean build (each wheel checked and installed in actions of its own)",
        f"{best_of['bazel clean']:.2f} s",
        f"{ratio(best_of['bazel clean'], pex_clean)} of pex's clean time")  # fmt: skip
    row("in Bazel, after an edit to main.py", f"{best_of['bazel edit']:.2f} s",
        f"{ratio(best_of['bazel edit'], pex_warm)} of pex's warm time")  # fmt: skip


def bench_split_layers(wheels: List[Path], work: Path) -> None:
    """py_venv_layer's split tars in Bazel, on the large set, without and with .pyc: a clean
    build against the whole layer in one action; a first-party edit and a new release of one
    distribution against the floor (a no-op build, plus the SHA-256 and a copy of the tars
    that changed), each measured in the same run."""
    from harness.bazel import Bazel
    from harness.support import write_wheel

    workspace = _large_workspace(wheels, work)
    for version in ("1.0", "2.0"):
        write_wheel(workspace, {"demo.py": f"V = {version!r}\n".encode()}, project="demo",
                    version=version)  # fmt: skip
    deps = [f"@large//:cp311_linux_x86_64/{w.name}" for w in wheels]
    build = workspace / "BUILD.bazel"
    head = build.read_text().replace('"py_pex_binary")', '"py_pex_binary", "py_venv_layer")', 1)

    def write_build(demo: str) -> None:
        build.write_text(head + "".join(
            SPLIT_LAYER.format(name=name, pyc=pyc, deps=json.dumps([*deps, demo]))
            for name, pyc in (("layer", False), ("layer_pyc", True))
        ))  # fmt: skip

    write_build("demo-1.0-py3-none-any.whl")
    bazel = Bazel(workspace, work / "split_output_base")
    python = shutil.which("python3.11") or PYTHON
    print(f"\nlarge app as split layers in Bazel: {len(wheels)} wheels", flush=True)

    def floor(changed: Sequence[Path], target: str) -> float:
        start = time.perf_counter()
        bazel.build(target)
        noop = time.perf_counter() - start
        out = work / "floor.out"
        listed = " ".join(map(str, changed))
        copy, _ = timed(["sh", "-c", f"rm -f {out} && cat {listed} > {out} && sha256sum {listed}"])
        return noop + copy

    try:
        for name, pyc in (("layer", False), ("layer_pyc", True)):
            label = "with .pyc" if pyc else "without .pyc"
            target = f"//:{name}"
            bazel.build(target)
            bazel.run("clean")
            start = time.perf_counter()
            bazel.build(target)
            clean = time.perf_counter() - start
            single = _single_layer(wheels, work / f"single_{name}", python, pyc)
            whole = f"{ratio(clean, single)} of the whole layer in one action ({single:.2f} s)"
            row(f"split layers, clean build, {label}", f"{clean:.2f} s", whole)
            tars = {p: bazel.output(f"{name}.{p}.tar") for p in ("demo", "deps", "app")}
            before = {p: t.read_bytes() for p, t in tars.items()}
            rebuilds, floors = [], []
            for edit in range(3):
                with (workspace / "main.py").open("a") as handle:
                    handle.write(f"# edit {edit} of {name}\n")
                start = time.perf_counter()
                bazel.build(target)
                rebuilds.append(time.perf_counter() - start)
                floors.append(floor([tars["app"]], target))
            kept = all(tars[p].read_bytes() == before[p] for p in ("demo", "deps"))
            rebuild, least = _median(rebuilds), _median(floors)
            row(f"split layers, after editing main.py, {label}", f"{rebuild:.2f} s",
                f"{ratio(rebuild, least)} of the floor ({least:.2f} s); "
                f"dependency tars {'unchanged' if kept else 'CHANGED'}")  # fmt: skip
            write_build("demo-2.0-py3-none-any.whl")
            start = time.perf_counter()
            bazel.build(target)
            bumped = time.perf_counter() - start
            least = floor([tars["demo"], tars["app"]], target)
            kept = tars["deps"].read_bytes() == before["deps"]
            row(f"split layers, after a new release of demo, {label}", f"{bumped:.2f} s",
                f"{ratio(bumped, least)} of the floor ({least:.2f} s); "
                f"deps tar {'unchanged' if kept else 'CHANGED'}")  # fmt: skip
            write_build("demo-1.0-py3-none-any.whl")
    finally:
        bazel.shutdown()


def import_harness() -> None:
    """Makes the tests' shared code importable as `harness`, and nothing else of tests/."""
    spec = importlib.util.spec_from_file_location(
        "harness", ROOT / "tests" / "harness" / "__init__.py"
    )
    assert spec and spec.loader
    sys.modules["harness"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sys.modules["harness"])


SECTIONS = (
    "assembler", "layer", "member", "repack", "matrix", "large", "many", "analysis", "fetch",
    "multi", "split", "preinstalled",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the small wheel set only")
    parser.add_argument("--only", choices=SECTIONS, action="append",
                        help="run only these sections (repeatable); default: all")  # fmt: skip
    args = parser.parse_args()
    sections = set(args.only or SECTIONS)
    # The tests' driver of real Bazel.
    import_harness()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
          f"Python {platform.python_version()}")  # fmt: skip
    work = CACHE / "work"
    shutil.rmtree(work, ignore_errors=True)
    (work / "bazel").mkdir(parents=True)
    apps = ["small"] if args.quick else ["small", "large"]
    if "assembler" in sections:
        for app in apps:
            wheels = sorted(wheel_set(app).glob("*.whl"))
            (work / app).mkdir(parents=True)
            bench_assembler(app, wheels, work / app)
    if "layer" in sections:
        for app in apps:
            bench_layer(app, sorted(wheel_set(app).glob("*.whl")), work / "layer" / app)
    if "member" in sections and not args.quick:
        bench_member(work / "member")
    if "repack" in sections and not args.quick:
        bench_repack(sorted(wheel_set("large").glob("*.whl")), work / "repack")
    if "matrix" in sections:
        bench_bazel(work / "bazel")
    if "large" in sections and not args.quick:
        bench_bazel_large(sorted(wheel_set("large").glob("*.whl")), work / "bazel")
    if "many" in sections:
        bench_many(sorted(wheel_set("small").glob("*.whl")), work / "bazel")
    if "analysis" in sections:
        bench_analysis(work / "bazel")
    if "fetch" in sections and not args.quick:
        bench_fetch(work / "fetch")
    if "multi" in sections:
        bench_multi(work / "multi")
    if "preinstalled" in sections:
        for app in ["small"] if args.quick else ["large", "awscli"]:
            wheels = sorted(wheel_set(app).glob("*.whl"))
            bench_preinstalled(app, wheels, work / "preinstalled" / app)
    if "split" in sections and not args.quick:
        bench_split_layers(sorted(wheel_set("large").glob("*.whl")), work / "split")


if __name__ == "__main__":
    main()
