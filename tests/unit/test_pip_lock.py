"""The lock command's core: uv resolves once for every environment, crosspex checks every
target has its wheels, and writes the lock only then."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from harness.support import PLATFORMS, in_ascii_locale, watch_replace, write_wheel
from pex_assembler import locks, pip_lock, target
from pex_assembler.errors import AssemblerError
from pex_assembler.locks import read_lock
from pex_assembler.pip_lock import _Package, write_lock

UV = shutil.which("uv", path=str(Path(sys.executable).parent))
FROZEN = ["--exclude-newer=2026-11-01T00:00:00Z"]
NAMES = ["linux_x86_64", "linux_aarch64", "macos_arm64", "windows_x86_64"]


def _write(tmp_path: Path, requirements: str, output: Path, names=NAMES) -> None:
    requirements_in = tmp_path / "requirements.in"
    requirements_in.write_text(requirements)
    write_lock(
        requirements_in,
        output,
        ["3.11", "3.12"],
        [PLATFORMS[n] for n in names],
        UV,
        "bazel run //:lock",
        FROZEN,
    )


def test_the_lock_covers_every_platform_with_wheel_hashes_only(tmp_path):
    output = tmp_path / "requirements.txt"
    _write(tmp_path, "msgpack==1.1.0\ntqdm\n", output)
    text = output.read_text()
    assert text.startswith("# Written by `bazel run //:lock` from requirements.in")
    assert "--index-url" not in text and "--extra-index-url" not in text
    lock = read_lock(output)
    for name in NAMES:
        the_target = target.from_spec(PLATFORMS[name], "3.12")
        pinned = {r.name: r for r in lock.requirements_for(the_target.markers)}
        assert ("colorama" in pinned) == name.startswith("windows"), name
        assert str(pinned["msgpack"].requirement) == "msgpack==1.1.0"
    msgpack = next(r for r in lock.requirements_for({}) if r.name == "msgpack")
    assert "sha256:5e1da8f11a3dd397f0a32c76165cf0c4eb95b31013a94f6ecc0b280c05c91b59" in {
        h for h in msgpack.hashes
    }


def test_a_package_without_a_platforms_wheel_fails_before_anything_is_written(tmp_path):
    """PyYAML 5.3.1 published wheels for Windows, up to CPython 3.8, and an sdist."""
    output = tmp_path / "requirements.txt"
    output.write_text("# the old lock\n")
    with pytest.raises(AssemblerError) as err:
        _write(tmp_path, "pyyaml==5.3.1\n", output, ["windows_x86_64", "linux_aarch64"])
    assert err.value.subject.endswith("requirements.in")
    assert err.value.problem == (
        "resolves to versions without a wheel for some targets: pyyaml==5.3.1 for "
        "windows_x86_64 (CPython 3.11), linux_aarch64 (CPython 3.11), "
        "windows_x86_64 (CPython 3.12), linux_aarch64 (CPython 3.12)"
    )
    assert output.read_text() == "# the old lock\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.in", "requirements.txt"]


def test_what_uv_cannot_resolve_is_named(tmp_path):
    output = tmp_path / "requirements.txt"
    with pytest.raises(AssemblerError) as err:
        _write(tmp_path, "msgpack==0.0.0.1\n", output)
    assert "uv could not resolve it" in err.value.problem and "msgpack" in err.value.problem
    assert not output.exists()


def test_a_wheel_whose_python_tag_fits_but_platform_does_not_leaves_a_gap():
    from pex_assembler.pip_lock import _Package, _uncovered

    linux_only = _Package(
        "lib", "1.0", None, (("lib-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "00"),)
    )
    targets = [target.from_spec(PLATFORMS[n], "3.11") for n in ("linux_x86_64", "macos_arm64")]
    assert _uncovered([linux_only], targets) == {"lib==1.0": [targets[1].describe()]}


# Offline: real uv resolving from wheels written here, so the tests below need no index.
OFFLINE = ["--no-index", "--no-python-downloads"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _platform_wheel(directory: Path, project: str, version: str, tags: str) -> Path:
    """A wheel of `project` whose file name carries `tags`, the part uv and the lock read."""
    wheel = write_wheel(
        directory, {f"{project}/__init__.py": b""}, project=project, version=version
    )
    return wheel.rename(directory / f"{project}-{version}-{tags}.whl")


@pytest.fixture(scope="module")
def find_links(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("find-links")
    write_wheel(directory, {"alpha/__init__.py": b""}, project="alpha")
    for project in ("beta", "gamma"):
        _platform_wheel(directory, project, "1.0", "cp311-cp311-manylinux_2_17_x86_64")
    return directory


def _write_offline(
    tmp_path: Path,
    requirements: str,
    output: Path,
    find_links: Path,
    python_versions=("3.11",),
    names=("linux_x86_64",),
    uv_args=(),
) -> None:
    requirements_in = tmp_path / "requirements.in"
    requirements_in.write_text(requirements)
    write_lock(
        requirements_in,
        output,
        list(python_versions),
        [PLATFORMS[n] for n in names],
        UV,
        "bazel run //:lock",
        [*OFFLINE, f"--find-links={find_links}", *uv_args],
    )


def test_the_lock_names_its_rerun_command_and_pip_installs_from_it(tmp_path, find_links):
    output = tmp_path / "requirements.txt"
    _write_offline(tmp_path, "alpha\n", output, find_links, ["3.11", "3.12"], NAMES[:3])
    assert output.read_text(encoding="utf-8") == (
        "# Written by `bazel run //:lock` from requirements.in: do not edit.\n"
        "# Resolved by uv (pip compile --universal); every wheel hash, no index. Checked for\n"
        "# platforms linux_x86_64, linux_aarch64, macos_arm64;\n"
        "# CPython 3.11, 3.12.\n"
        "alpha==1.0 \\\n"
        f"    --hash=sha256:{_sha256(find_links / 'alpha-1.0-py3-none-any.whl')}\n"
    )
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--isolated",
            "--dry-run",
            "--no-deps",
            "--no-index",
            "--find-links",
            str(find_links),
            "-r",
            str(output),
        ],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    assert "Would install alpha-1.0" in installed.stdout


def _pins(lock: Path) -> list:
    return [line.split(" ")[0] for line in lock.read_text().splitlines() if "==" in line]


def test_an_existing_lock_keeps_its_pins_unless_told_to_upgrade(tmp_path):
    """As uv, pip-compile and pdm do: a newer release alone moves nothing."""
    links = tmp_path / "links"
    links.mkdir()
    for project in ("alpha", "beta"):
        write_wheel(links, {f"{project}/__init__.py": b""}, project=project, version="1.0")
    output = tmp_path / "requirements.txt"
    _write_offline(tmp_path, "alpha\nbeta\n", output, links)
    assert _pins(output) == ["alpha==1.0", "beta==1.0"]
    for project in ("alpha", "beta"):
        write_wheel(links, {f"{project}/__init__.py": b""}, project=project, version="2.0")
    _write_offline(tmp_path, "alpha\nbeta\n", output, links)
    assert _pins(output) == ["alpha==1.0", "beta==1.0"]
    _write_offline(tmp_path, "alpha\nbeta\n", output, links, uv_args=["--upgrade-package=beta"])
    assert _pins(output) == ["alpha==1.0", "beta==2.0"]
    # A requirement the pin no longer meets moves it, and only it.
    _write_offline(tmp_path, "alpha\nbeta<2\n", output, links)
    assert _pins(output) == ["alpha==1.0", "beta==1.0"]
    _write_offline(tmp_path, "alpha\nbeta\n", output, links, uv_args=["--upgrade"])
    assert _pins(output) == ["alpha==2.0", "beta==2.0"]
    # Without a lock, the newest.
    fresh = tmp_path / "fresh.txt"
    _write_offline(tmp_path, "alpha\nbeta\n", fresh, links)
    assert _pins(fresh) == ["alpha==2.0", "beta==2.0"]


def test_the_lock_is_staged_beside_the_output_renamed_over_it_and_readable(
    tmp_path, find_links, monkeypatch
):
    output = tmp_path / "requirements.txt"
    output.write_text("# the old lock\n")
    renames = watch_replace(monkeypatch)
    _write_offline(tmp_path, "alpha\n", output, find_links)
    # In one directory the rename is atomic; a crash leaves a hidden file named after the lock.
    [(staged, renamed)] = renames
    assert renamed == output and staged.parent == output.parent
    assert staged.name.startswith(".requirements.txt.")
    assert stat.S_IMODE(output.stat().st_mode) == 0o644
    assert output.read_text().startswith("# Written by")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.in", "requirements.txt"]


def test_a_failed_rename_leaves_no_staged_file_behind(tmp_path, find_links):
    output = tmp_path / "requirements.txt"
    output.mkdir()
    with pytest.raises(IsADirectoryError):
        _write_offline(tmp_path, "alpha\n", output, find_links)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.in", "requirements.txt"]
    assert list(output.iterdir()) == []


def test_every_pin_without_a_targets_wheel_is_named(tmp_path, find_links):
    output = tmp_path / "requirements.txt"
    with pytest.raises(AssemblerError) as err:
        _write_offline(tmp_path, "gamma\nbeta\nalpha\n", output, find_links, names=NAMES[::2])
    assert err.value.problem == (
        "resolves to versions without a wheel for some targets: "
        "beta==1.0 for macos_arm64 (CPython 3.11); gamma==1.0 for macos_arm64 (CPython 3.11)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.in"]


def test_uv_resolves_for_the_lowest_python_by_number_not_by_text(tmp_path, find_links):
    """With 3.10 as the lowest, uv would drop what only 3.9 needs."""
    output = tmp_path / "requirements.txt"
    _write_offline(
        tmp_path, 'alpha ; python_version < "3.10"\n', output, find_links, ["3.10", "3.9"]
    )
    assert "alpha==1.0 ; python_full_version < '3.10' \\\n" in output.read_text()
    lock = read_lock(output)
    for version, pinned in (("3.9", ["alpha"]), ("3.10", [])):
        markers = target.from_spec(PLATFORMS["linux_x86_64"], version).markers
        assert [r.name for r in lock.requirements_for(markers)] == pinned


def test_a_wheel_behind_a_percent_encoded_index_url_counts(tmp_path, find_links):
    """PyTorch's index links `torch-2.3.0%2Bcpu-...whl`; uv copies that URL into pylock.toml."""
    project = tmp_path / "simple" / "delta"
    project.mkdir(parents=True)
    wheel = _platform_wheel(project, "delta", "1.0+cpu", "cp311-cp311-manylinux_2_17_x86_64")
    quoted = wheel.name.replace("+", "%2B")
    (project / "index.html").write_text(
        f'<html><body><a href="{quoted}#sha256={_sha256(wheel)}">{wheel.name}</a></body></html>'
    )
    requirements_in = tmp_path / "requirements.in"
    requirements_in.write_text("delta\n")
    output = tmp_path / "requirements.txt"
    write_lock(
        requirements_in,
        output,
        ["3.11"],
        [PLATFORMS["linux_x86_64"]],
        UV,
        "bazel run //:lock",
        ["--no-python-downloads", f"--index-url={(tmp_path / 'simple').as_uri()}"],
    )
    assert f"delta==1.0+cpu \\\n    --hash=sha256:{_sha256(wheel)}\n" in output.read_text()


def test_the_lock_is_utf8_whatever_the_locale(tmp_path, find_links):
    requirements_in = tmp_path / "requirements.in"
    requirements_in.write_text("alpha\n")
    output = tmp_path / "requirements.txt"
    arguments = [
        str(requirements_in),
        str(output),
        ["3.11"],
        [PLATFORMS["linux_x86_64"]],
        UV,
        "bazel run //d\u00e9p\u00f4t:lock",
        [*OFFLINE, f"--find-links={find_links}"],
    ]
    write_lock(Path(arguments[0]), Path(arguments[1]), *arguments[2:])
    in_utf8 = output.read_bytes()
    output.unlink()
    in_ascii_locale(
        "import json, sys\n"
        "from pathlib import Path\n"
        "from pex_assembler.pip_lock import write_lock\n"
        f"a = json.loads({json.dumps(json.dumps(arguments))})\n"
        "write_lock(Path(a[0]), Path(a[1]), *a[2:])\n"
    )
    assert output.read_bytes() == in_utf8
    first = in_utf8.decode("utf-8").splitlines()[0]
    assert (
        first
        == "# Written by `bazel run //d\u00e9p\u00f4t:lock` from requirements.in: do not edit."
    )


def test_a_pylock_is_read_as_utf8_whatever_the_locale(tmp_path):
    pylock = tmp_path / "pylock.toml"
    pylock.write_text(
        'lock-version = "1.0"\n'
        "[[packages]]\n"
        'name = "alpha"\n'
        'version = "1.0"\n'
        'wheels = [{ path = "d\u00e9p\u00f4t/alpha-1.0-py3-none-any.whl", '
        'hashes = { sha256 = "aa" } }]\n',
        encoding="utf-8",
    )
    printed = in_ascii_locale(
        "from pathlib import Path\n"
        "from pex_assembler.pip_lock import _read_pylock\n"
        f"print(ascii(_read_pylock(Path({str(pylock)!r}))[0].wheels))\n"
    )
    assert printed == "(('alpha-1.0-py3-none-any.whl', 'aa'),)\n"
    assert printed == f"{pip_lock._read_pylock(pylock)[0].wheels!a}\n"


WHEEL = "a-1.0-py3-none-any.whl"


@pytest.mark.parametrize(
    ("wheel", "name"),
    [
        ({"name": WHEEL, "url": "https://x.test/b-2.0-py3-none-any.whl"}, WHEEL),
        ({"name": WHEEL, "path": "b-2.0-py3-none-any.whl"}, WHEEL),
        ({"url": f"https://files.test/packages/ab/cd/{WHEEL}"}, WHEEL),
        ({"url": f"https://x.test/{WHEEL}#sha256=aa"}, WHEEL),
        ({"url": "https://x.test/cpu/a-1.0%2Bcpu-py3-none-any.whl"}, "a-1.0+cpu-py3-none-any.whl"),
        ({"path": f"wheels/{WHEEL}"}, WHEEL),
        ({"path": WHEEL}, WHEEL),
        ({"hashes": {"sha256": "aa"}}, ""),
    ],
)
def test_a_wheels_file_name_is_given_or_the_end_of_its_url_or_path(wheel, name):
    assert locks._pylock_wheel_name(wheel) == name


def test_a_pylock_gives_each_package_its_sha256_wheel_hashes(tmp_path):
    pylock = tmp_path / "pylock.toml"
    pylock.write_text(
        'lock-version = "1.0"\n'
        'created-by = "uv"\n'
        "[[packages]]\n"
        'name = "colorama"\n'
        'version = "0.4.6"\n'
        "marker = \"sys_platform == 'win32'\"\n"
        "[[packages.wheels]]\n"
        'name = "colorama-0.4.6-py2.py3-none-any.whl"\n'
        'hashes = { sha256 = "aa" }\n'
        "[[packages.wheels]]\n"
        'url = "https://x.test/colorama-0.4.6-py3-none-win32.whl"\n'
        'hashes = { sha512 = "bb" }\n'
        "[[packages.wheels]]\n"
        'path = "colorama-0.4.6-py3-none-win_amd64.whl"\n'
        "[[packages]]\n"
        'name = "sdist-only"\n'
        'version = "1.0"\n'
        'sdist = { url = "https://x.test/sdist_only-1.0.tar.gz", hashes = { sha256 = "cc" } }\n'
    )
    assert pip_lock._read_pylock(pylock) == [
        _Package(
            "colorama",
            "0.4.6",
            "sys_platform == 'win32'",
            (("colorama-0.4.6-py2.py3-none-any.whl", "aa"),),
        ),
        _Package("sdist-only", "1.0", None, ()),
    ]


def test_a_pylock_without_packages_pins_nothing(tmp_path):
    pylock = tmp_path / "pylock.toml"
    pylock.write_text('lock-version = "1.0"\ncreated-by = "uv"\n')
    assert pip_lock._read_pylock(pylock) == []


LINUX = target.from_spec(PLATFORMS["linux_x86_64"], "3.11")
WINDOWS = target.from_spec(PLATFORMS["windows_x86_64"], "3.12")


@pytest.mark.parametrize(
    ("marker", "linux", "windows"),
    [
        (None, True, True),
        ("", True, True),
        ("sys_platform == 'win32'", False, True),
        ("python_full_version < '3.12'", True, False),
        ("extra == 'test'", False, False),  # no extra is asked for
        ("extra == 'test' or sys_platform == 'linux'", True, False),
    ],
)
def test_a_package_applies_to_the_targets_its_marker_selects(marker, linux, windows):
    package = _Package("lib", "1.0", marker, ())
    assert (package.applies_to(LINUX), package.applies_to(WINDOWS)) == (linux, windows)


@pytest.mark.parametrize(
    ("names", "has"),
    [
        ([], False),
        (["lib-1.0-cp311-cp311-macosx_11_0_arm64.whl"], False),
        (["lib-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"], False),
        (["lib-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"], True),
        (["lib-1.0-py3-none-any.whl"], True),
        # A name that is no wheel's is passed over, not the end of the search.
        (["", "lib-1.0.tar.gz", "lib-1.0-py3-none-any.whl"], True),
    ],
)
def test_a_package_has_a_wheel_for_a_target_that_accepts_its_tags(names, has):
    package = _Package("lib", "1.0", None, tuple((n, "00") for n in names))
    assert package.has_wheel_for(LINUX) is has


def test_the_lock_text_pins_what_some_target_needs_with_its_hashes():
    packages = [
        _Package("zeta", "2.0", None, (("zeta-2.0-py3-none-any.whl", "bb"),)),
        # Sorted first, needed by no target: left out, and the packages after it kept.
        _Package(
            "aaa", "1.0", "sys_platform == 'emscripten'", (("aaa-1.0-py3-none-any.whl", "ff"),)
        ),
        _Package(
            "colorama",
            "0.4.6",
            "sys_platform == 'win32'",
            (
                ("colorama-0.4.6-py3-none-win_amd64.whl", "cc"),
                ("colorama-0.4.6-py2.py3-none-any.whl", "aa"),
                ("colorama-0.4.6-py3-none-any.whl", "cc"),
            ),
        ),
    ]
    text = pip_lock._lock_text(packages, ["first", "second"], [LINUX, WINDOWS])
    assert text == (
        "# first\n"
        "# second\n"
        "colorama==0.4.6 ; sys_platform == 'win32' \\\n"
        "    --hash=sha256:aa \\\n"
        "    --hash=sha256:cc\n"
        "zeta==2.0 \\\n"
        "    --hash=sha256:bb\n"
    )


def test_a_pylock_lock_names_each_wheels_url_and_keeps_its_pins(tmp_path):
    """lock = "pylock.toml": PEP 751 with every wheel's URL, so that pip_wheels reads no index
    page; read back by the reader pip_wheels uses, and its pins kept as a requirements lock's."""
    links = tmp_path / "links"
    links.mkdir()
    first = write_wheel(links, {"alpha/__init__.py": b""}, project="alpha", version="1.0")
    output = tmp_path / "pylock.toml"
    _write_offline(tmp_path, "alpha\n", output, links)
    text = output.read_text()
    assert text.startswith("# Written by `bazel run //:lock` from requirements.in")
    assert f'url = "{first.resolve().as_uri()}"' in text
    (pinned,) = read_lock(output).requirements_for(LINUX.markers)
    assert [(f.filename, f.url, f.sha256) for f in pinned.files] == [
        (first.name, first.resolve().as_uri(), _sha256(first))
    ]
    write_wheel(links, {"alpha/__init__.py": b""}, project="alpha", version="2.0")
    _write_offline(tmp_path, "alpha\n", output, links)
    assert 'version = "1.0"' in output.read_text()
    _write_offline(tmp_path, "alpha\n", output, links, uv_args=["--upgrade"])
    assert 'version = "2.0"' in output.read_text()
