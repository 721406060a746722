"""The .pyc compiler on its own: real CPython interpreters write the bytecode, and what they
write is checked against what that CPython's own py_compile writes for the same source."""

from __future__ import annotations

import marshal
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from harness.support import find_python
from pex_assembler import bytecode
from pex_assembler.errors import AssemblerError

# py_compile in the target's CPython, with the seed the compiler runs its workers with: the
# .pyc of each source (by its path in the image) that compiles.
_PY_COMPILE = r"""
import marshal, os, py_compile, sys, tempfile
sources = marshal.loads(sys.stdin.buffer.read())
mode = py_compile.PycInvalidationMode[sys.argv[1].upper()]
pycs = {}
with tempfile.TemporaryDirectory() as directory:
    for index, (path, source) in enumerate(sources.items()):
        file = os.path.join(directory, "%d.py" % index)
        with open(file, "wb") as stream:
            stream.write(source)
        try:
            py_compile.compile(file, file + "c", dfile=path, doraise=True, invalidation_mode=mode)
        except py_compile.PyCompileError:
            continue
        with open(file + "c", "rb") as stream:
            pycs[path] = stream.read()
sys.stdout.buffer.write(marshal.dumps(pycs))
"""

# A docstring and an assert, which PYTHONOPTIMIZE would strip, and a set constant, which
# CPython before 3.11 marshals in the order of its strings' hashes.
_NAMES = ", ".join(repr(f"name{i}") for i in range(40))
SOURCE = (
    f'"""The module."""\ndef known(name):\n    assert name\n    return name in {{{_NAMES}}}\n'
).encode()


@pytest.fixture(scope="module")
def python311() -> str:
    return find_python("3.11")


def _py_compile(python: str, sources: Dict[str, bytes], mode: str = "checked_hash") -> dict:
    done = subprocess.run(
        [python, "-c", _PY_COMPILE, mode],
        input=marshal.dumps(sources),
        capture_output=True,
        env={"PYTHONHASHSEED": "0"},
        check=True,
    )
    return marshal.loads(done.stdout)


def _compile(python: str, version: str, sources: Dict[str, bytes], mode: str = "checked_hash"):
    compiler = bytecode.Compiler(python, version, mode)
    for path, source in sources.items():
        compiler.submit(path, source)
    return compiler.finish().pycs


def _executable(path: Path, text: str) -> str:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.parametrize("version, mode", [("3.10", "checked_hash"), ("3.11", "unchecked_hash")])
def test_pyc_are_py_compiles_whatever_the_builds_environment(monkeypatch, version, mode):
    """The same bytes on every host and in every build: the build's own hash seed and
    optimisation level do not reach the bytecode."""
    python = find_python(version)
    monkeypatch.setenv("PYTHONHASHSEED", "1")
    monkeypatch.setenv("PYTHONOPTIMIZE", "2")
    sources = {"/app/known.py": SOURCE}
    expected = _py_compile(python, sources, mode)
    assert _compile(python, version, sources, mode) == expected
    assert _compile(python, version, sources, mode) == expected


@pytest.mark.parametrize(
    "cores, count, processes",
    [
        (4, 1, 1),
        (4, 64, 1),
        (4, 65, 2),
        (4, 129, 3),
        (4, 1000, 4),
        (2, 200, 2),
        (None, 200, 1),  # the number of cores is not known
    ],
)
def test_one_more_process_per_64_sources_up_to_one_per_core(
    python311, monkeypatch, cores, count, processes
):
    monkeypatch.setattr(bytecode.os, "cpu_count", lambda: cores)
    # Every fifth source does not compile and gets no .pyc, wherever it falls.
    sources = {
        f"/app/mod{i}.py": b"def (\n" if i % 5 == 4 else f"X = {i}\n".encode() for i in range(count)
    }
    compiler = bytecode.Compiler(python311, "3.11", "checked_hash")
    for path, source in sources.items():
        compiler.submit(path, source)
    assert len(compiler.workers) == processes
    assert compiler.finish().pycs == _py_compile(python311, sources)


def test_a_path_that_is_not_utf8_keeps_its_bytes(python311):
    """A file name whose bytes are no UTF-8 (a lone surrogate, as os.fsdecode gives it)
    compiles as under any other name."""
    sources = {"/app/caf\udce9.py": b"X = 1\n", "/app/plain.py": b"Y = 2\n"}
    pycs = _compile(python311, "3.11", sources)
    assert pycs == _py_compile(python311, sources)


# Interpreters that fail as a worker: what they print on stderr and how they end. The last
# writes the header, then is killed with the source it was given, as by the OOM killer.
FAILING = {
    "complains": ("#!/bin/sh\necho 'cannot run: bad install' >&2\nexit 3\n", 0),
    "complains-in-bytes": ("#!/bin/sh\nprintf 'bad \\377 byte\\n' >&2\nexit 3\n", 2),
    "silent": ("#!/bin/sh\nexit 5\n", 2),
    "killed": (
        "#!{python}\n"
        "import json, os, signal, struct, sys\n"
        "header = json.dumps({{'implementation': 'cpython', 'version': '3.11',"
        " 'cache_tag': 'cpython-311'}}).encode()\n"
        "sys.stdout.buffer.write(struct.pack('>I', len(header)) + header)\n"
        "sys.stdout.flush()\n"
        "sys.stdin.buffer.read(1)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n",
        1,
    ),
}


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("complains", "failed compiling (exit 3): cannot run: bad install"),
        ("complains-in-bytes", "failed compiling (exit 3): bad \ufffd byte"),
        ("silent", "failed compiling (exit 5): no output"),
        ("killed", f"failed compiling (exit -{int(signal.SIGKILL)}): no output"),
    ],
)
def test_an_interpreter_that_fails_is_named_with_its_exit_and_stderr(tmp_path, kind, expected):
    text, count = FAILING[kind]
    interpreter = _executable(tmp_path / "python3.11", text.format(python=sys.executable))
    compiler = bytecode.Compiler(interpreter, "3.11", "checked_hash")
    for i in range(count):
        compiler.submit(f"/app/mod{i}.py", b"X = 1\n")
    with pytest.raises(AssemblerError) as raised:
        compiler.finish()
    assert raised.value.subject == f"bytecode interpreter {interpreter}"
    assert raised.value.problem == expected
    assert 'bytecode_interpreters = {"3.11": "/path/to/python3.11"}' in raised.value.fix


def test_the_worker_runs_no_site_customisation_and_writes_no_bytecode(python311, tmp_path):
    """An interpreter's sitecustomize does not run in the worker, and the worker's imports
    write no .pyc anywhere (here: into the cache prefix its wrapper names)."""
    custom = tmp_path / "custom"
    custom.mkdir()
    ran = tmp_path / "sitecustomize-ran"
    (custom / "sitecustomize.py").write_text(f"open({str(ran)!r}, 'w').close()\n")
    cache = tmp_path / "cache"
    wrapper = _executable(
        tmp_path / "python3.11",
        f'#!/bin/sh\nPYTHONPATH={custom} PYTHONPYCACHEPREFIX={cache} exec {python311} "$@"\n',
    )
    sources = {"/app/known.py": SOURCE}
    assert _compile(wrapper, "3.11", sources) == _py_compile(python311, sources)
    assert not ran.exists()
    assert not cache.exists() or not list(cache.rglob("*.pyc"))


def test_a_program_that_leaves_a_compiler_unfinished_still_ends(python311):
    """The compiler's threads do not keep a program from exiting, finished or not."""
    tools = Path(bytecode.__file__).resolve().parents[1]
    script = (
        f"import sys\nsys.path.insert(0, {str(tools)!r})\n"
        "from pex_assembler import bytecode\n"
        f"compiler = bytecode.Compiler({python311!r}, '3.11', 'checked_hash')\n"
        "compiler.submit('/app/mod.py', b'X = 1\\n')\n"
        "sys.exit(7)\n"
    )
    # Not a measure of time: the timeout only ends the test should the program hang.
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert done.returncode == 7, done.stderr
