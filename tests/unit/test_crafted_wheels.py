"""Crafted wheels, through every output form of their target: each hostile one fails with one
message naming the wheel and the offending entry, exit 1, no output, no staging debris, and
nothing written outside the build's work directory; the few names a target's file system can
hold build for that target.

Every wheel here is written by the test: `evil-1.0-py3-none-any.whl`, a sound pure-Python
wheel (METADATA, WHEEL, a RECORD with the true sha256 and size of every member) but for the
one defect its case is about. The assembler runs as a command, as Bazel runs it, with HOME,
TMPDIR and PEX_ROOT inside the work directory and a timeout (a hang fails). With
CROSSPEX_TEST_IN_PROCESS=1 (the mutation run's setting: its tracer sees only its own process)
it is called in this process instead, with the same timeout, for the forms the run mutates.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import struct
import subprocess
import sys
import tarfile
import traceback
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import pytest

from harness.support import FORMS, LAYER_PREFIX, ROOT, SOUND_WHEEL, Text, one_file_app, write_wheel
from pex_assembler import cli

TIMEOUT = 30
DATA = "evil-1.0.data"
SCRIPTS = f"{DATA}/scripts"
BASE = {"evil/__init__.py": b"def main():\n    return 0\n"}
SCRIPT = b"#!python\nprint('installed')\n"

# A crafted name may hold these, filled in per test: `{outside}` is the sentinel directory
# outside the work directory, `{up}` climbs from where pex writes a pre-installed wheel's
# scripts, work/out/.app.pex.XXXX/installed/<wheel>/.prefix/bin, to the parent of work/.
UP = "../" * 7

# What the work directory may hold after a build: the inputs, the output's directory, and the
# homes the assembler is given.
WORK_NAMES = {"home", "tmp", "pex_root", "in", "out", "main.py", "manifest.json"}


TARGETS = ("linux_x86_64", "macos_arm64", "windows_x86_64")
# For a case whose target does not matter: one target per form, each target in turn.
TARGET_OF = {
    "zipapp": "linux_x86_64",
    "packed": "macos_arm64",
    "loose": "windows_x86_64",
    "preinstalled": "linux_x86_64",
    "venv": "macos_arm64",
    "layer": "linux_x86_64",
}
IN_PROCESS = os.environ.get("CROSSPEX_TEST_IN_PROCESS") == "1"
# In the mutation run, the forms whose writers it mutates (zipapp.py, venv_layer.py) in place of
# all six: every form runs the same wheel and file-system checks before its writer.
CASE_FORMS = [f for f in FORMS if not IN_PROCESS or f in ("zipapp", "layer")]
ONE_TARGET_PER_FORM = [pytest.param(form, id=f"{form}-{TARGET_OF[form]}") for form in CASE_FORMS]


def forms_of(target: str) -> List[str]:
    """The output forms a target has: the layer refuses Windows whatever the input."""
    return [f for f in CASE_FORMS if not (f == "layer" and target.startswith("windows"))]


def _rows(edit: Callable[[List[List[str]]], List[List[str]]]) -> Callable[[str], str]:
    """A RECORD edit made on its rows, written back as CSV."""

    def record(text: str) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(edit(list(csv.reader(io.StringIO(text)))))
        return out.getvalue()

    return record


@dataclass(frozen=True)
class Crafted:
    """A crafted wheel and what its error must name: one of `needles`, a distinctive part of
    the offending entry as the input spells it (quoted or not)."""

    needles: Tuple[str, ...]
    files: Mapping[str, bytes] = field(default_factory=lambda: dict(BASE))
    entry_points: Optional[Text] = None
    wheel_text: Optional[Text] = None
    metadata: Optional[Text] = None
    record: Union[Text, Callable[[str], Text], None] = None
    dist_info: Optional[str] = None

    def write(self, directory: Path, outside: Path) -> Path:
        def place(value):
            if isinstance(value, str):
                return value.replace("{up}", UP).replace("{outside}", str(outside))
            return value

        return write_wheel(
            directory,
            {place(name): data for name, data in self.files.items()},
            dist_info=self.dist_info,
            wheel_text=self.wheel_text,
            metadata=self.metadata,
            entry_points=place(self.entry_points),
            record=self.record,
        )


def _quoted(name: str) -> Tuple[str, ...]:
    return (f"'{name}'", f'"{name}"')


def _entry_point(name: str, *needles: str, section: str = "console_scripts") -> Crafted:
    return Crafted(needles or (name,), entry_points=f"[{section}]\n{name} = evil:main\n")


def _member(name: str, *needles: str, data: bytes = SCRIPT) -> Crafted:
    return Crafted(needles or (name.rsplit("/", 1)[-1],), files={**BASE, name: data})


def _entry_points(text: Text, *needles: str) -> Crafted:
    return Crafted((*needles, "entry_points.txt"), entry_points=text)


def _record(edit: Union[Text, Callable[[str], Text]], *needles: str) -> Crafted:
    return Crafted((*needles, "RECORD"), record=edit)


# 1. Names that would be written outside the scripts directory, or not where they say.
ESCAPES = [
    pytest.param(_entry_point("{up}outside/ep_up", "ep_up"), id="console-climbs-out"),
    pytest.param(_entry_point("../../../etc/cron.d/ep_cron", "ep_cron"), id="console-etc-cron"),
    pytest.param(_entry_point("{outside}/ep_abs", "ep_abs"), id="console-absolute"),
    pytest.param(_entry_point("ep_dir/ep_sub"), id="console-slash"),
    pytest.param(_entry_point("..", *_quoted("..")), id="console-dotdot"),
    pytest.param(_entry_point(".", *_quoted(".")), id="console-dot"),
    pytest.param(_entry_point("ep\\back", "ep\\back", "ep\\\\back"), id="console-backslash"),
    pytest.param(_entry_point("ep_nul\0x", "ep_nul"), id="console-nul"),
    pytest.param(_entry_point("ep_cr\rx", "ep_cr"), id="console-carriage-return"),
    pytest.param(_entry_point("ep_vt\x0bx", "ep_vt"), id="console-vertical-tab"),
    pytest.param(_entry_point("ep_long_" + "e" * 292, "ep_long_"), id="console-300-bytes"),
    pytest.param(
        _entry_point("{up}outside/gui_up", "gui_up", section="gui_scripts"), id="gui-climbs-out"
    ),
    pytest.param(
        _entry_point("{outside}/gui_abs", "gui_abs", section="gui_scripts"), id="gui-absolute"
    ),
    pytest.param(
        _entry_point("gui\\back", "gui\\back", "gui\\\\back", section="gui_scripts"),
        id="gui-backslash",
    ),
    pytest.param(_entry_point("..", *_quoted(".."), section="gui_scripts"), id="gui-dotdot"),
    pytest.param(_member(SCRIPTS + "/{up}outside/ds_up", "ds_up"), id="data-script-climbs-out"),
    pytest.param(
        _member(SCRIPTS + "/../../../etc/cron.d/ds_cron", "ds_cron"), id="data-script-etc-cron"
    ),
    pytest.param(_member(SCRIPTS + "/{outside}/ds_abs", "ds_abs"), id="data-script-absolute"),
    pytest.param(_member(SCRIPTS + "/..", "scripts/.."), id="data-script-dotdot"),
    pytest.param(
        _member(SCRIPTS + "/ds\\back", "ds\\back", "ds\\\\back"), id="data-script-backslash"
    ),
    pytest.param(_member(SCRIPTS + "/ds_nul\0x", "ds_nul"), id="data-script-nul"),
    pytest.param(_member(SCRIPTS + "/ds_vt\x0bx", "ds_vt"), id="data-script-vertical-tab"),
    pytest.param(
        _member(SCRIPTS + "/ds_long_" + "e" * 292, "ds_long_"), id="data-script-300-bytes"
    ),
]

# 2. Names next to the .data directory, which a reader that matches prefixes may loop on.
HANGS = [
    pytest.param(_member(f"{DATA}X/foo.py", f"{DATA}X"), id="dataX-directory"),
    pytest.param(_member(DATA, DATA), id="data-as-a-file"),
    pytest.param(_member(f"{DATA}.py", f"{DATA}.py"), id="data-dot-py-module"),
]

# 3. Wheels whose metadata is malformed.
MALFORMED = [
    pytest.param(_member(f"{DATA}/bogus/x", "bogus"), id="data-unknown-scheme"),
    pytest.param(_member(f"{DATA}/data_direct", "data_direct"), id="data-file-without-scheme"),
    pytest.param(
        Crafted(("other-1.0.dist-info",), dist_info="other-1.0.dist-info"),
        id="dist-info-of-another-project",
    ),
    pytest.param(
        Crafted(("evil-2.0.dist-info",), dist_info="evil-2.0.dist-info"),
        id="dist-info-of-another-version",
    ),
    pytest.param(
        Crafted(("Wheel-Version", "WHEEL"), wheel_text=SOUND_WHEEL.replace(": 1.0", ": 2.0")),
        id="wheel-version-2",
    ),
    pytest.param(
        Crafted(("Wheel-Version", "WHEEL"), wheel_text=SOUND_WHEEL.split("\n", 1)[1]),
        id="wheel-version-missing",
    ),
    pytest.param(
        _record(_rows(lambda rows: [[*rows[0][:2], "24 bytes"], *rows[1:]]), "__init__.py"),
        id="record-size-not-a-number",
    ),
    pytest.param(
        _record(_rows(lambda rows: [[*rows[0], "extra", "columns"], *rows[1:]]), "__init__.py"),
        id="record-extra-columns",
    ),
    pytest.param(_record(lambda text: text.replace("\n", "\n\n")), id="record-blank-lines"),
    pytest.param(
        _record(lambda text: text + '"' + "x" * 200_000 + '",,\n'), id="record-200k-field"
    ),
    pytest.param(_record(lambda text: text + "\0\n"), id="record-nul-byte"),
    pytest.param(_entry_points("ep_nohdr = evil:main\n", "ep_nohdr"), id="ep-no-section"),
    pytest.param(
        _entry_points("[console_scripts]\nep_noeq evil:main\n", "ep_noeq"), id="ep-line-without-eq"
    ),
    pytest.param(_entry_points("[console_scripts]\n = evil:main\n"), id="ep-empty-name"),
    pytest.param(
        _entry_points("[console_scripts]\nep_nav = not a value\n", "ep_nav"), id="ep-not-a-value"
    ),
    pytest.param(
        _entry_points("[console_scripts]\nep_noattr = evil:\n", "ep_noattr"), id="ep-no-attribute"
    ),
    pytest.param(
        _entry_points("[console_scripts]\nep_dup = evil:main\nep_dup = evil:main\n", "ep_dup"),
        id="ep-duplicate-key",
    ),
    pytest.param(
        _entry_points(
            "[console_scripts]\nep_one = evil:main\n[console_scripts]\nep_two = evil:main\n",
            "console_scripts",
        ),
        id="ep-duplicate-section",
    ),
    pytest.param(
        _entry_points(b"[console_scripts]\nep_\xff = evil:main\n", "UTF-8", "utf-8"),
        id="ep-not-utf8",
    ),
    pytest.param(
        Crafted(("fdclash",), files={**BASE, "fdclash": b"x", "fdclash/b.py": b"y = 1\n"}),
        id="file-and-directory-at-one-path",
    ),
    pytest.param(
        _member("evil/" + "m" * 256 + ".py", "m" * 32, data=b"x = 1\n"),
        id="component-over-255-bytes",
    ),
]


# 4. Names some target's file system cannot hold: (case, id, the targets that refuse it).
def _twins(first: str, second: str, *needles: str) -> Crafted:
    return Crafted(
        needles or (first, second), files={**BASE, first: b"a = 1\n", second: b"a = 2\n"}
    )


WINDOWS_NAMES = {
    "a:b.py": "colon",
    "CON.py": "con",
    "nul.txt": "nul",
    "com1.py": "com1",
    "x.py.": "trailing-dot",
    "x .py ": "trailing-space",
    "a<b.py": "less-than",
    "a|b.py": "pipe",
    "a?b.py": "question-mark",
    "a*b.py": "asterisk",
}
UNHOLDABLE = [
    (_twins("Foo.py", "foo.py"), "case-twins", ("macos_arm64", "windows_x86_64")),
    (
        _twins("evil/CaseDir/a.py", "evil/casedir/b.py", "CaseDir", "casedir"),
        "case-twin-directories",
        ("macos_arm64", "windows_x86_64"),
    ),
    (_twins("caf\u00e9.py", "cafe\u0301.py", "caf"), "nfc-nfd-twins", ("macos_arm64",)),
] + [
    (_member(f"evil/{name}", name, data=b"x = 1\n"), f"windows-{word}", ("windows_x86_64",))
    for name, word in WINDOWS_NAMES.items()
]


def _unholdable_params() -> Iterator:
    for case, case_id, refused_on in UNHOLDABLE:
        for target in TARGETS:
            if target in refused_on:
                for form in forms_of(target):
                    yield pytest.param(case, form, target, True, id=f"{case_id}-{form}-{target}")
            elif target == "linux_x86_64":
                # Linux holds them: where the build writes them out as files.
                for form in ("preinstalled", "layer"):
                    yield pytest.param(case, form, target, False, id=f"{case_id}-{form}-{target}")


@dataclass(frozen=True)
class Outcome:
    returncode: Optional[int]  # None: it ran out of time
    stderr: str
    wheels: Tuple[Path, ...]
    output: Path
    work: Path
    # What the build wrote outside the work directory (or outside the virtualenv's prefix).
    strays: Tuple[str, ...]


def _prepare(tmp_path: Path) -> Path:
    """The work directory and, beside it, the sentinel the crafted names aim at; returns the
    directory to write input wheels into."""
    outside = tmp_path / "outside"
    (outside / "etc" / "cron.d").mkdir(parents=True)
    (outside / "keep").write_text("sentinel\n")
    (outside / "etc" / "cron.d" / "keep").write_text("sentinel\n")
    work = tmp_path / "work"
    for name in ("home", "tmp", "in", "out"):
        (work / name).mkdir(parents=True)
    return work / "in"


def _snapshot(root: Path, skip: Path) -> Dict[str, int]:
    """Every path under `root` but `skip`, with its modification time."""
    seen = {}
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [d for d in subdirectories if Path(directory, d) != skip]
        for name in subdirectories + files:
            path = Path(directory, name)
            seen[str(path.relative_to(root))] = path.lstat().st_mtime_ns
    return seen


def _env(work: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        HOME=str(work / "home"),
        TMPDIR=str(work / "tmp"),
        PEX_ROOT=str(work / "pex_root"),
        PYTHONPATH=str(ROOT / "tools"),
    )
    return env


def _assembler(work: Path, *args: str) -> subprocess.CompletedProcess:
    if IN_PROCESS:
        return _in_process(work, *args)
    return subprocess.run(
        [sys.executable, "-m", "pex_assembler", *args],
        cwd=work,
        env=_env(work),
        capture_output=True,
        timeout=TIMEOUT,
    )


def _in_process(work: Path, *args: str) -> subprocess.CompletedProcess:
    """`_assembler` in this process: a crash prints its traceback as the command would, and a
    timer raises TimeoutExpired (a hang) as subprocess.run would."""

    def expire(signum, frame):
        raise subprocess.TimeoutExpired(list(args), TIMEOUT)

    stderr = io.StringIO()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    cwd = os.getcwd()
    os.chdir(work)
    try:
        with contextlib.redirect_stderr(stderr):
            try:
                returncode = cli.main(list(args))
            except subprocess.TimeoutExpired:
                raise
            except SystemExit as exc:
                returncode = exc.code if isinstance(exc.code, int) else 1
            except Exception:
                traceback.print_exc()
                returncode = 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(cwd)
    return subprocess.CompletedProcess(list(args), returncode, b"", stderr.getvalue().encode())


def _run(
    tmp_path: Path, form: str, target: str, wheels: Sequence[Path], inputs: Sequence[str] = ()
) -> Outcome:
    """Builds the output of `form` for `target` from a one-file app and `wheels`."""
    work = tmp_path / "work"
    args, output = one_file_app(work, wheels, form, target)
    args += inputs

    before = _snapshot(tmp_path, work)
    try:
        done = _assembler(work, *args)
        returncode, stderr = done.returncode, done.stderr
    except subprocess.TimeoutExpired as exc:
        returncode, stderr = None, exc.stderr or b""
    after = _snapshot(tmp_path, work)

    strays = [f"{path} appeared" for path in sorted(after.keys() - before.keys())]
    strays += [f"{path} was changed" for path in sorted(before) if after.get(path) != before[path]]
    strays += [
        f"work/{name} appeared" for name in sorted(os.listdir(work)) if name not in WORK_NAMES
    ]
    if returncode == 0 and output.suffix == ".tar" and output.is_file():
        with tarfile.open(output) as tar:
            inside = LAYER_PREFIX.lstrip("/")
            strays += [
                f"{m.name} in the layer, outside {LAYER_PREFIX}"
                for m in tar.getmembers()
                if m.name not in ("opt", inside) and not m.name.startswith(inside + "/")
            ]
    return Outcome(
        returncode,
        stderr.decode("utf-8", "replace"),
        tuple(wheels),
        output,
        work,
        tuple(strays),
    )


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


def _assert_contained(outcome: Outcome) -> None:
    """It ended in time, wrote nothing outside its work directory and did not crash."""
    __tracebackhide__ = True
    if outcome.returncode is None:
        pytest.fail(f"hang: no exit after {TIMEOUT}s; stderr ends {_last_line(outcome.stderr)!r}")
    if outcome.strays:
        pytest.fail(f"escape: {'; '.join(outcome.strays[:5])}")
    if "Traceback" in outcome.stderr:
        pytest.fail(f"traceback: exit {outcome.returncode}: {_last_line(outcome.stderr)[:300]}")


def _assert_refused(outcome: Outcome, needles: Sequence[str]) -> None:
    """Exit 1, one error naming a wheel and (one of) `needles`, a fix, and no output."""
    __tracebackhide__ = True
    _assert_contained(outcome)
    err = outcome.stderr
    first, _, rest = err.partition("\n")
    if outcome.returncode == 0:
        pytest.fail(f"accepted: exit 0, {outcome.output.name} written; stderr {err[-200:]!r}")
    if outcome.returncode != 1:
        pytest.fail(f"crash: exit {outcome.returncode}: {_last_line(err)[:300]}")
    assert first.startswith("pex-assembler: error: "), f"wrong error: {err[:400]!r}"
    assert any(w.name in first for w in outcome.wheels), (
        f"wrong error: names no wheel: {first[:400]!r}"
    )
    # The wheel's path is in the work directory, whose own path holds the test's name.
    bare = first.replace(str(outcome.work), "<work>")
    if needles:
        assert any(n in bare for n in needles), (
            f"wrong error: names none of {needles!r}: {first[:400]!r}"
        )
    assert rest.startswith("  fix: "), f"wrong error: no fix line: {err[:400]!r}"
    assert not outcome.output.exists(), f"debris: {outcome.output.name} exists"
    left = sorted(os.listdir(outcome.output.parent))
    assert left == [], f"debris: left in the output's directory: {left}"


def _assert_built(outcome: Outcome) -> None:
    __tracebackhide__ = True
    _assert_contained(outcome)
    if outcome.returncode != 0:
        pytest.fail(f"refused: exit {outcome.returncode}: {outcome.stderr[:400]!r}")
    assert outcome.output.exists(), f"exit 0 but no {outcome.output.name}"


# Odd but legal, as pip installs them: each builds in every form.
LEGAL = [
    pytest.param(_member(SCRIPTS + "/ds_dir/ds_sub"), id="data-script-in-a-directory"),
    pytest.param(_member("evil.pth", data=b"import evil\n"), id="pth-file"),
    pytest.param(_member(f"{DATA}/data/share/evil/x.txt", data=b"x"), id="data-file"),
    pytest.param(_member(f"{DATA}/headers/evil.h", data=b"int x;\n"), id="header"),
    pytest.param(_entry_point("evil-cli"), id="console-script"),
    pytest.param(
        Crafted(
            ("Evil-1.0",),
            files={**BASE, "Evil-1.0.data/scripts/evil-tool": SCRIPT},
            dist_info="Evil-1.0.dist-info",
        ),
        id="dist-info-spelled-unlike-the-file-name",
    ),
]


@pytest.mark.parametrize("form", ONE_TARGET_PER_FORM)
@pytest.mark.parametrize("case", LEGAL)
def test_odd_but_legal_wheel_builds(tmp_path, case, form):
    wheel = case.write(_prepare(tmp_path), tmp_path / "outside")
    _assert_built(_run(tmp_path, form, TARGET_OF[form], [wheel]))


@pytest.mark.parametrize("form", ONE_TARGET_PER_FORM)
@pytest.mark.parametrize("case", ESCAPES + HANGS + MALFORMED)
def test_crafted_wheel_is_refused(tmp_path, case, form):
    wheel = case.write(_prepare(tmp_path), tmp_path / "outside")
    _assert_refused(_run(tmp_path, form, TARGET_OF[form], [wheel]), case.needles)


@pytest.mark.parametrize(("case", "form", "target", "refused"), list(_unholdable_params()))
def test_names_the_target_cannot_hold(tmp_path, case, form, target, refused):
    wheel = case.write(_prepare(tmp_path), tmp_path / "outside")
    outcome = _run(tmp_path, form, target, [wheel])
    if refused:
        _assert_refused(outcome, case.needles)
    else:
        _assert_built(outcome)


def _across_params() -> Iterator:
    for target in TARGETS:
        for form in forms_of(target):
            if target == "linux_x86_64":
                expected = "built"
            elif form in ("venv", "layer"):
                expected = "refused"
            else:
                # Each wheel of a zipapp is installed into a directory of its own.
                expected = "either"
            yield pytest.param(form, target, expected, id=f"{form}-{target}")


@pytest.mark.parametrize(("form", "target", "expected"), list(_across_params()))
def test_case_twins_across_two_wheels(tmp_path, form, target, expected):
    """evil installs pkg/Mod.py, other pkg/mod.py: one file on macOS and Windows, once both
    are installed into one site-packages."""
    directory = _prepare(tmp_path)
    wheels = [
        write_wheel(directory, {**BASE, "pkg/__init__.py": b"", "pkg/Mod.py": b"A = 1\n"}),
        write_wheel(
            directory, {"other/__init__.py": b"", "pkg/mod.py": b"A = 2\n"}, project="other"
        ),
    ]
    outcome = _run(tmp_path, form, target, wheels)
    if expected == "built":
        _assert_built(outcome)
    elif expected == "refused" or outcome.returncode != 0:
        _assert_refused(outcome, ("Mod.py", "mod.py"))
    else:
        _assert_built(outcome)


def _rewrite_byte(wheel: Path, member: str, old: bytes, new: bytes, fix_crc: bool) -> None:
    """Rewrites `wheel` in place, `old` changed to `new` (as long) in the stored `member`;
    with `fix_crc`, the member's CRC-32 in its local and central headers follows, so that
    only the wheel's RECORD tells."""
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo(member)
        assert info.compress_type == zipfile.ZIP_STORED
        content = archive.read(info)
    data = bytearray(wheel.read_bytes())
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    at = start + content.index(old)
    data[at : at + len(old)] = new
    if fix_crc:
        crc = struct.pack("<I", zlib.crc32(content.replace(old, new, 1)))
        data[info.header_offset + 14 : info.header_offset + 18] = crc
        central = struct.unpack_from("<I", data, len(data) - 22 + 16)[0]
        while data[central : central + 4] == b"PK\x01\x02":
            lengths = struct.unpack_from("<HHH", data, central + 28)
            if data[central + 46 : central + 46 + lengths[0]] == member.encode():
                data[central + 16 : central + 20] = crc
            central += 46 + sum(lengths)
    wheel.write_bytes(bytes(data))


@pytest.mark.parametrize("form", ONE_TARGET_PER_FORM)
@pytest.mark.parametrize(
    "fix_crc", [pytest.param(False, id="crc-stale"), pytest.param(True, id="crc-patched")]
)
def test_same_size_rewrite_behind_its_record(tmp_path, fix_crc, form):
    """A wheel checked by `check-wheel`, then rewritten in place at the same size: the build
    given its record refuses the wheel rather than write a PEX of the rewritten one."""
    directory = _prepare(tmp_path)
    work = tmp_path / "work"
    wheel = write_wheel(directory, BASE, compression=zipfile.ZIP_STORED)
    record = directory / "evil.crosspex.json"
    check = _assembler(work, "check-wheel", "--wheel", str(wheel), "--output", str(record))
    assert check.returncode == 0, check.stderr.decode()
    size = wheel.stat().st_size
    _rewrite_byte(wheel, "evil/__init__.py", b"return 0", b"return 1", fix_crc)
    assert wheel.stat().st_size == size
    with zipfile.ZipFile(wheel) as archive:
        assert (archive.testzip() is None) == fix_crc, "only the stale CRC breaks the zip"

    outcome = _run(tmp_path, form, TARGET_OF[form], [wheel], [f"--input=in/{record.name}={record}"])
    _assert_refused(outcome, ())


def _case(cid: str):
    (param,) = [p for p in ESCAPES + HANGS + MALFORMED + LEGAL if p.id == cid]
    return param.values[0]


# pip, the yardstick of what is legal, on the same wheels: what docs/troubleshooting.md says of
# it. "installs" where crosspex is stricter, and why the docs give; "refuses" where both refuse.
PIP = {
    "data-script-in-a-directory": "installs",
    "pth-file": "installs",
    "data-file": "installs",
    "header": "installs",
    "console-script": "installs",
    "dist-info-spelled-unlike-the-file-name": "installs",
    "dataX-directory": "installs",
    "data-dot-py-module": "installs",
    "data-script-vertical-tab": "installs",
    "record-blank-lines": "crashes",
    "data-unknown-scheme": "refuses",
    "wheel-version-missing": "refuses",
    "wheel-version-2": "refuses",
}


@pytest.mark.parametrize(("cid", "expected"), PIP.items(), ids=PIP)
def test_what_pip_does_with_the_same_wheel(tmp_path, cid, expected):
    wheel = _case(cid).write(_prepare(tmp_path), tmp_path / "outside")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-compile",
         "--disable-pip-version-check", "--prefix", str(tmp_path / "prefix"), str(wheel)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    outcome = {0: "installs", 1: "refuses"}.get(done.returncode, "crashes")
    assert outcome == expected, done.stderr[-1500:]
    if outcome == "crashes":
        assert "Traceback" in done.stderr or "Error" in done.stderr
