"""Lock readers at their edges: what each kind of lock keeps for a target (markers, forks,
extras, groups, wheel hashes), and how each refuses a lock it cannot honour, naming the file,
and for a requirements file the line, at fault."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from harness.support import PLATFORMS, in_ascii_locale
from pex_assembler import target
from pex_assembler.errors import AssemblerError
from pex_assembler.locks import read_lock

LINUX = target.from_spec(PLATFORMS["linux_x86_64"], "3.11").markers
WINDOWS = target.from_spec(PLATFORMS["windows_x86_64"], "3.11").markers


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _pins(path: Path, markers) -> list:
    return [str(r.requirement) for r in read_lock(path).requirements_for(markers)]


def _pip_lines(path: Path, markers) -> list:
    return [r.pip_line() for r in read_lock(path).requirements_for(markers)]


# uv.lock ---------------------------------------------------------------------------------


def _uv_wheel(name: str, version: str) -> str:
    url = f"https://index.invalid/{name}-{version}-py3-none-any.whl"
    return f'wheels = [{{ url = "{url}", hash = "sha256:{name}{version}" }}]'


def _uv_package(name: str, version: str, extra: str = "") -> str:
    return (
        f'[[package]]\nname = "{name}"\nversion = "{version}"\n'
        f'source = {{ registry = "https://index.invalid/simple" }}\n{extra}\n'
        f"{_uv_wheel(name, version)}\n"
    )


def test_uv_lock_walks_an_editable_project_through_a_diamond(tmp_path):
    """`uv lock` marks a project with a build system editable; lib, reached twice, is kept
    once, and neither a dependency whose marker fails nor a repeat ends the walk early."""
    path = _write(
        tmp_path,
        "uv.lock",
        'version = 1\nrequires-python = ">=3.11"\n\n'
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }\n'
        "dependencies = [\n"
        '    { name = "c" },\n'
        '    { name = "a" },\n'
        '    { name = "b" },\n'
        '    { name = "colorama", marker = "sys_platform == \'win32\'" },\n'
        "]\n\n"
        + _uv_package("a", "1.0", 'dependencies = [{ name = "lib" }]')
        + _uv_package("b", "1.0", 'dependencies = [{ name = "lib" }]')
        + _uv_package("c", "1.0")
        + _uv_package("colorama", "0.4.6")
        + _uv_package("lib", "1.0"),
    )
    assert _pins(path, LINUX) == ["a==1.0", "b==1.0", "c==1.0", "lib==1.0"]
    assert _pins(path, WINDOWS) == ["a==1.0", "b==1.0", "c==1.0", "colorama==0.4.6", "lib==1.0"]
    assert [r.hashes for r in read_lock(path).requirements_for(LINUX)][-1] == ("sha256:lib1.0",)


UV_EXTRAS = """\
version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "requests", extra = ["security", "socks"] },
    { name = "requests" },
]

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://index.invalid/simple" }
dependencies = [{ name = "idna" }]
wheels = [{ url = "https://index.invalid/requests-2.32.3-py3-none-any.whl", hash = "sha256:70" }]

[package.optional-dependencies]
socks = [{ name = "pysocks" }]
use-chardet-on-py3 = [{ name = "chardet" }]

[[package]]
name = "idna"
version = "3.10"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://index.invalid/idna-3.10-py3-none-any.whl", hash = "sha256:94" }]

[[package]]
name = "pysocks"
version = "1.7.1"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://index.invalid/PySocks-1.7.1-py3-none-any.whl", hash = "sha256:29" }]

[[package]]
name = "chardet"
version = "5.2.0"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://index.invalid/chardet-5.2.0-py3-none-any.whl", hash = "sha256:e1" }]
"""


def test_uv_lock_follows_the_requested_extras_only(tmp_path):
    """requests is reached first without extras, then with them: its socks extra is still
    followed; security, an extra without dependencies, adds nothing; use-chardet-on-py3,
    not requested, is left out."""
    path = _write(tmp_path, "uv.lock", UV_EXTRAS)
    assert _pins(path, LINUX) == ["idna==3.10", "pysocks==1.7.1", "requests==2.32.3"]


UV_VERSIONED_EDGES = """\
version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "lib", version = "1.0", marker = "sys_platform == 'win32'" },
    { name = "lib", version = "2.0", marker = "sys_platform != 'win32'" },
]

[[package]]
name = "lib"
version = "1.0"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://index.invalid/lib-1.0-py3-none-any.whl", hash = "sha256:10" }]

[[package]]
name = "lib"
version = "2.0"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://index.invalid/lib-2.0-py3-none-any.whl", hash = "sha256:20" }]
"""


def test_a_uv_edge_naming_a_version_takes_that_version(tmp_path):
    path = _write(tmp_path, "uv.lock", UV_VERSIONED_EDGES)
    assert _pins(path, LINUX) == ["lib==2.0"]
    assert _pins(path, WINDOWS) == ["lib==1.0"]


def test_fork_markers_only_choose_between_versions(tmp_path):
    """With one version of lib locked, the edge that reaches it decides, not its fork
    markers."""
    path = _write(
        tmp_path,
        "uv.lock",
        'version = 1\nrequires-python = ">=3.11"\n\n'
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        'dependencies = [{ name = "lib" }]\n\n'
        + _uv_package("lib", "1.0", "resolution-markers = [\"sys_platform == 'darwin'\"]"),
    )
    assert _pins(path, LINUX) == ["lib==1.0"]


def test_a_uv_package_without_a_source_is_no_project_root(tmp_path):
    """A hand-trimmed lock: packages without `source` are dependencies, never roots."""
    path = _write(
        tmp_path,
        "uv.lock",
        """\
        version = 1

        [[package]]
        name = "app"
        version = "0.1.0"
        source = { virtual = "." }
        dependencies = [{ name = "six" }]

        [[package]]
        name = "six"
        version = "1.17.0"
        wheels = [{ url = "https://index.invalid/six-1.17.0-py3-none-any.whl", hash = "sha256:47" }]

        [[package]]
        name = "unreached"
        version = "1.0"
        dependencies = [{ name = "six" }]
        """,
    )
    assert _pins(path, LINUX) == ["six==1.17.0"]


@pytest.mark.parametrize(
    "name, text",
    [
        ("uv.lock", 'version = 1\nrequires-python = ">=3.11"\n'),
        ("pdm.lock", '[metadata]\ngroups = ["default"]\nlock_version = "4.5.0"\n'),
    ],
    ids=["uv.lock", "pdm.lock"],
)
def test_a_lock_without_packages_pins_nothing(tmp_path, name, text):
    assert _pins(_write(tmp_path, name, text), LINUX) == []


# pdm.lock --------------------------------------------------------------------------------

PDM_GROUPS = """\
[metadata]
groups = ["default", "dev"]
strategy = ["inherit_metadata"]
lock_version = "4.5.0"

[[package]]
name = "pytest"
version = "8.3.3"
groups = ["dev"]
files = [{file = "pytest-8.3.3-py3-none-any.whl", hash = "sha256:70"}]

[[package]]
name = "click"
version = "8.1.7"
groups = ["default", "dev"]
files = [
    {file = "click-8.1.7-py3-none-any.whl", hash = "sha256:ae"},
    {file = "click-8.1.7.tar.gz", hash = "sha256:ca"},
]

[[package]]
name = "colorama"
version = "0.4.6"
marker = "platform_system == \\"Windows\\""
files = [
    {url = "https://files.invalid/colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:44"},
    {url = "https://files.invalid/colorama-0.4.6.tar.gz", hash = "sha256:08"},
]

[[package]]
name = "msgpack"
version = "1.1.0"
groups = ["default"]
files = [
    {file = "msgpack-1.1.0-cp311-cp311-win_amd64.whl", hash = "sha256:02"},
    {file = "msgpack-1.1.0.tar.gz", hash = "sha256:0f"},
    {file = "msgpack-1.1.0-cp311-cp311-manylinux_2_17_x86_64.whl", hash = "sha256:01"},
]
"""


def test_pdm_lock_keeps_the_default_group_and_only_wheel_hashes(tmp_path):
    """pytest is in the dev group only; colorama, listed without groups as older pdm writes
    it, is in the default one and, locked with --static-urls, names its files by URL."""
    path = _write(tmp_path, "pdm.lock", PDM_GROUPS)
    assert _pip_lines(path, LINUX) == [
        "click==8.1.7 --hash=sha256:ae",
        "msgpack==1.1.0 --hash=sha256:01 --hash=sha256:02",
    ]
    assert _pip_lines(path, WINDOWS) == [
        "click==8.1.7 --hash=sha256:ae",
        "colorama==0.4.6 --hash=sha256:44",
        "msgpack==1.1.0 --hash=sha256:01 --hash=sha256:02",
    ]


# Markers naming an extra --------------------------------------------------------------------


def _complete_platform_markers(tmp_path: Path, extra: str):
    """A target described by a complete-platform file whose environment names an extra."""
    path = tmp_path / "platform.json"
    env = {**LINUX, "extra": extra}
    path.write_text(json.dumps({"marker_environment": env, "compatible_tags": ["py3-none-any"]}))
    return target.from_complete_platform(path, "custom").markers


@pytest.mark.parametrize("marker", ["extra == 'socks'", "extra != ''"])
@pytest.mark.parametrize("environment", ["spec", "complete platform naming the extra"])
def test_a_marker_on_an_extra_never_holds_for_a_target(tmp_path, marker, environment):
    """A target requests no extras, even if its complete-platform environment names one."""
    markers = LINUX if environment == "spec" else _complete_platform_markers(tmp_path, "socks")
    pdm = _write(
        tmp_path,
        "pdm.lock",
        '[metadata]\ngroups = ["default"]\n\n'
        '[[package]]\nname = "pysocks"\nversion = "1.7.1"\n'
        f"marker = {json.dumps(marker)}\n"
        'files = [{file = "PySocks-1.7.1-py3-none-any.whl", hash = "sha256:29"}]\n',
    )
    uv = _write(
        tmp_path,
        "uv.lock",
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        f'dependencies = [{{ name = "pysocks", marker = "{marker}" }}]\n\n'
        + _uv_package("pysocks", "1.7.1"),
    )
    requirements = _write(
        tmp_path, "requirements.txt", f"pysocks==1.7.1 ; {marker} --hash=sha256:29\n"
    )
    assert [_pins(lock, markers) for lock in (pdm, uv, requirements)] == [[], [], []]


# Refusals name the lock --------------------------------------------------------------------

UV_HEAD = 'version = 1\nrequires-python = ">=3.11"\n\n'
UV_APP = '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { virtual = "." }\n'


@pytest.mark.parametrize(
    "name, text, problem",
    [
        pytest.param(
            "uv.lock",
            UV_HEAD
            + UV_APP
            + 'dependencies = [{ name = "lib", marker = "sys_platform ~ \'x\'" }]\n',
            "has the invalid marker \"sys_platform ~ 'x'\"",
            id="uv-invalid-edge-marker",
        ),
        pytest.param(
            "uv.lock",
            UV_HEAD + UV_APP + 'dependencies = [{ name = "lib", marker = "os_name ~= \'nt\'" }]\n',
            "has the invalid marker \"os_name ~= 'nt'\"",
            id="uv-undecidable-edge-marker",
        ),
        pytest.param(
            "uv.lock",
            UV_HEAD
            + UV_APP
            + 'dependencies = [{ name = "lib" }]\n\n'
            + _uv_package("lib", "1.0", "resolution-markers = [\"sys_platform = 'win32'\"]")
            + _uv_package("lib", "2.0", "resolution-markers = [\"sys_platform != 'win32'\"]"),
            "has the invalid marker \"sys_platform = 'win32'\"",
            id="uv-invalid-fork-marker",
        ),
        pytest.param(
            "uv.lock",
            UV_HEAD + UV_APP + 'dependencies = [{ name = "ghost" }]\n',
            "does not resolve ghost to one version for this target (0 found)",
            id="uv-edge-to-no-package",
        ),
        pytest.param(
            "uv.lock",
            UV_HEAD
            + UV_APP
            + 'dependencies = [{ name = "tool" }]\n\n'
            + '[[package]]\nname = "tool"\nversion = "2.0"\n'
            + 'source = { registry = "https://index.invalid/simple" }\n'
            + 'sdist = { url = "https://index.invalid/tool-2.0.tar.gz", hash = "sha256:11" }\n',
            "has no wheel for tool 2.0, only an sdist",
            id="uv-sdist-only",
        ),
        pytest.param(
            "uv.lock",
            UV_HEAD
            + UV_APP
            + 'dependencies = [{ name = "lib" }]\n\n'
            + '[[package]]\nname = "lib"\nsource = { directory = "lib" }\n',
            "has no wheel for lib, only an sdist",
            id="uv-source-tree-with-a-dynamic-version",
        ),
        pytest.param(
            "pdm.lock",
            '[[package]]\nname = "tool"\nversion = "2.0"\ngroups = ["default"]\n'
            'files = [{file = "tool-2.0.tar.gz", hash = "sha256:11"}]\n',
            "has no wheel for tool 2.0, only an sdist",
            id="pdm-sdist-only",
        ),
        pytest.param(
            "pdm.lock",
            '[[package]]\nname = "tool"\nversion = "2.0"\ngroups = ["default"]\n',
            "has no wheel for tool 2.0, only an sdist",
            id="pdm-no-files",
        ),
        pytest.param(
            "pdm.lock",
            '[[package]]\nname = "lib"\nversion = "1.0"\nmarker = "platform is linux"\n'
            'files = [{file = "lib-1.0-py3-none-any.whl", hash = "sha256:10"}]\n',
            "has the invalid marker 'platform is linux'",
            id="pdm-invalid-marker",
        ),
    ],
)
def test_a_lock_that_cannot_be_honoured_is_refused_by_name(tmp_path, name, text, problem):
    path = _write(tmp_path, name, text)
    with pytest.raises(AssemblerError) as err:
        read_lock(path).requirements_for(LINUX)
    assert (err.value.subject, err.value.problem) == (str(path), problem)


# requirements files ------------------------------------------------------------------------

REQUIREMENTS = """\
# This file was autogenerated by uv via the following command:
#    uv pip compile --generate-hashes requirements.in

click==8.1.7 \\
    --hash=sha256:ae \\
    --hash=sha256:ca
    # via -r requirements.in
colorama==0.4.6 ; platform_system == "Windows" \\
    --hash=sha256:44
\t# via click
msgpack===1.1.0 --hash=sha256:01\t# arbitrary equality pins too
six==1.17.0\\
    --hash=sha256:47 \\  \t
    --hash=sha256:16  # two hashes # for two files
"""


def test_a_requirements_file_is_read_as_pip_reads_it(tmp_path):
    """Comments (also after a tab), blank lines, continuations (also right after the text, or
    followed by spaces), markers after `;`, several hashes, === pins."""
    path = _write(tmp_path, "requirements.txt", REQUIREMENTS)
    assert _pip_lines(path, LINUX) == [
        "click==8.1.7 --hash=sha256:ae --hash=sha256:ca",
        "msgpack===1.1.0 --hash=sha256:01",
        "six==1.17.0 --hash=sha256:47 --hash=sha256:16",
    ]
    assert "colorama==0.4.6 --hash=sha256:44" in _pip_lines(path, WINDOWS)


@pytest.mark.parametrize(
    "text, line, problem",
    [
        pytest.param(
            "click==8.1.7 \\\n    --hash=sha256:ae \\\n    --hash=sha256:ca\n    # via app\n\n"
            "-r other.txt\n",
            6,
            "has the option '-r'",
            id="include",
        ),
        pytest.param(
            "--index-url https://index.invalid/simple\nsix==1.17.0 --hash=sha256:47\n",
            1,
            "has the option '--index-url'",
            id="index-url",
        ),
        pytest.param(
            "# pinned\nsix==1.17.0 \\\n  --hash=sha256:47\nmsgpack>=1.0 \\\n  --hash=sha256:01\n",
            4,
            "msgpack is not pinned to one version with --hash",
            id="unpinned-after-a-continued-line",
        ),
        pytest.param(
            "six==1.17.0 --hash=sha256:47\nclick = 8.1.7 --hash=sha256:ae\n",
            2,
            r"is not a requirement \(.*\)",
            id="not-a-requirement",
        ),
    ],
)
def test_a_bad_requirements_line_is_refused_by_its_number(tmp_path, text, line, problem):
    path = _write(tmp_path, "requirements.txt", text)
    with pytest.raises(AssemblerError) as err:
        read_lock(path)
    assert err.value.subject == f"{path}:{line}"
    assert re.fullmatch(problem, err.value.problem, re.S), err.value.problem


def test_an_undecidable_requirement_marker_is_refused_by_name(tmp_path):
    path = _write(tmp_path, "requirements.txt", "lib==1.0 ; os_name ~= 'nt' --hash=sha256:10\n")
    with pytest.raises(AssemblerError) as err:
        read_lock(path).requirements_for(LINUX)
    assert err.value.subject == 'lib==1.0; os_name ~= "nt"'


# Encoding --------------------------------------------------------------------------------

_READ_IN_A_SUBPROCESS = (
    "import sys; from pathlib import Path; from pex_assembler.locks import read_lock; "
    "from pex_assembler.target import from_spec; "
    "spec = {'os': 'linux', 'arch': 'x86_64', 'libc': 'glibc', 'libc_version': '2.28'}; "
    "markers = from_spec(spec, '3.11').markers; "
    "lock = read_lock(Path(sys.argv[1])); "
    "print('\\n'.join(r.pip_line() for r in lock.requirements_for(markers)))"
)


@pytest.mark.parametrize(
    "name, text",
    [
        (
            "requirements.txt",
            "six==1.17.0 --hash=sha256:47  # via Zoë's café\n",
        ),
        (
            "pdm.lock",
            '[[package]]\nname = "six"\nversion = "1.17.0"\n'
            'summary = "Python 2 and 3 compatibility utilities — “six”"\n'
            'files = [{file = "six-1.17.0-py2.py3-none-any.whl", hash = "sha256:47"}]\n',
        ),
    ],
    ids=["requirements.txt", "pdm.lock"],
)
def test_a_lock_is_read_as_utf8_whatever_the_locale(tmp_path, name, text):
    """In a process whose locale is plain ASCII (no UTF-8 mode), as a Bazel action can be."""
    path = _write(tmp_path, name, text)
    assert _pip_lines(path, LINUX) == ["six==1.17.0 --hash=sha256:47"]
    printed = in_ascii_locale(_READ_IN_A_SUBPROCESS, str(path))
    assert printed.splitlines() == ["six==1.17.0 --hash=sha256:47"]
