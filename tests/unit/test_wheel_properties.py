"""Property tests: wheels whose entry_points.txt, RECORD and member names are generated, run
through the writers that hand wheels to pypa/installer (the venv layer) and to pex (the
pre-installed PEX). Each either builds or fails with one crosspex error: no traceback, no
hang, and nothing written outside the work directory."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import os
import signal
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.support import one_file_app, write_wheel
from pex_assembler.cli import main as cli_main

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What an escaping name would create: searched for wherever a `../` chain or an absolute
# name could land.
SENTINEL = "ESCAPED-by-crafted-wheel"

components = st.one_of(
    st.sampled_from(["..", ".", "", SENTINEL, "Mod.py", "mod.py", "CON", "a:b", "x.", "caf\u00e9"]),
    st.text(alphabet="aA./\\:\x00\x01 \u00e9\u0301_-", min_size=1, max_size=6),
    st.text(min_size=1, max_size=4),
)
names = st.lists(components, min_size=1, max_size=5).map("/".join).filter(bool)
# Mostly plain names, so that many wheels pass the checks and reach the installers.
member_names = st.one_of(st.from_regex(r"\A[a-z]{1,5}(/[a-zA-Z]{1,5}){0,2}\.py\Z"), names)
plain_scripts = st.from_regex(r"\A[a-z][a-z-]{0,6}\Z")
hostile_scripts = st.sampled_from(["../" * 12 + SENTINEL, "/tmp/" + SENTINEL])
script_names = st.one_of(plain_scripts, names, hostile_scripts)
entry_values = st.sampled_from(
    ["evil:main", "evil.sub:main.attr", "evil", "evil:", ":main", "evil:main [x]", "%(x)s", ""]
)
entry_lines = st.one_of(
    st.sampled_from(["[console_scripts]", "[gui_scripts]", "[other]", "[console_scripts", ""]),
    st.builds(lambda n, v: f"{n} = {v}", script_names, entry_values),
    st.builds(lambda n, v: f"{n}={v}", st.text(max_size=8), st.text(max_size=8)),
)


def _wheel(directory: Path, members: Dict[str, bytes], entry_points: bytes, record_edit) -> Path:
    def record(text: str) -> str:
        rows = list(csv.reader(io.StringIO(text, newline="")))
        edited = io.StringIO()
        csv.writer(edited, lineterminator="\n").writerows(record_edit(rows))
        return edited.getvalue()

    return write_wheel(directory, members, entry_points=entry_points, record=record)


def _record_edits():
    def drop_field(rows):
        return [rows[0][:2], *rows[1:]]

    def extra_field(rows):
        return [[*rows[0], "x"], *rows[1:]]

    def blank(rows):
        return [rows[0], [], *rows[1:]]

    def bad_size(rows):
        return [[rows[0][0], rows[0][1], "ten"], *rows[1:]]

    def twice(rows):
        return [rows[0], *rows]

    def huge(rows):
        return [[rows[0][0], rows[0][1] + "A" * 200_000, rows[0][2]], *rows[1:]]

    return st.sampled_from(
        [lambda rows: rows, drop_field, extra_field, blank, bad_size, twice, huge]
    )


@contextlib.contextmanager
def _time_bound(seconds: int) -> Iterator[None]:
    def hang(*_):
        raise AssertionError(f"no answer within {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _escaped(tmp_path: Path) -> List[Path]:
    """Sentinel files anywhere in `tmp_path`, or directly in any directory above it (where a
    `../` chain or an absolute name lands)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(tmp_path):
        found += [Path(dirpath) / n for n in [*dirnames, *filenames] if SENTINEL in n]
    for ancestor in tmp_path.parents:
        found += [p for p in ancestor.iterdir() if SENTINEL in p.name]
    return found


def _run(tmp_path: Path, wheel: Path, form: str) -> int:
    work = tmp_path / "work"
    work.mkdir()
    args, output = one_file_app(work, [wheel], form)
    with _time_bound(60):
        code = cli_main(args)
    assert code in (0, 1)
    assert output.exists() == (code == 0)
    leftovers = sorted(p.name for p in output.parent.iterdir() if p != output)
    assert leftovers == [], leftovers
    return code


@pytest.mark.parametrize("form", ["layer", "preinstalled"])
def test_generated_wheels_build_or_fail_cleanly(tmp_path, form):
    results: Dict[str, int] = {}
    cases = itertools.count()

    @SETTINGS
    @given(
        members=st.dictionaries(member_names, st.binary(max_size=16), min_size=1, max_size=4),
        entry_points=st.one_of(
            st.lists(entry_lines, max_size=6).map("\n".join),
            st.lists(plain_scripts.map("{} = evil:main".format), unique=True, max_size=3).map(
                lambda lines: "\n".join(["[console_scripts]", *lines])
            ),
        ),
        raw=st.sampled_from([False, False, False, True]),
        record_edit=_record_edits(),
    )
    def run(members, entry_points, raw, record_edit):
        case = tmp_path / f"case{next(cases)}"
        case.mkdir()
        encoded = entry_points.encode("utf-8", "surrogatepass")
        wheel = _wheel(case, members, encoded + (b"\xff\xfe" if raw else b""), record_edit)
        home = case / "home"
        saved = {k: os.environ.get(k) for k in ("HOME", "PEX_ROOT")}
        os.environ.update(HOME=str(home), PEX_ROOT=str(home / "pex_root"))
        try:
            code = _run(case, wheel, form)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        results[code] = results.get(code, 0) + 1
        assert _escaped(tmp_path) == []

    run()
    # Both outcomes: the generator reaches past the checks into the installer.
    assert results.get(0, 0) >= 10 and results.get(1, 0) >= 10, results
