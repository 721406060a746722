"""Finds the exec platform's Python and installs the assembler's libraries beside it.

Two repositories: `@crosspex_exec_python` (the Python, with pex installed beside it) and
`@crosspex_toolchains`, which holds only the `toolchain()` pointing into it. Registered
toolchains are loaded by every build that resolves toolchains, so the large repository is
fetched only when a build actually runs the assembler.
"""

load(":errors.bzl", "crosspex_fail")
load(":platforms.bzl", "PYTHON_VERSIONS")
load(":repository_helpers.bzl", "watched_path")
load(":toolchain_types.bzl", "ASSEMBLER_TOOLCHAIN")

_MIN_VERSION = (3, 8)

def _fail(problem, fix = "install CPython 3.8+ with pip, or point CROSSPEX_PYTHON at one"):
    crosspex_fail("the assembler's Python", problem, fix)

def _host_constraints(rctx):
    os_name = rctx.os.name.lower()
    os_constraint = None
    if os_name.startswith("linux"):
        os_constraint = "@platforms//os:linux"
    elif os_name.startswith("mac"):
        os_constraint = "@platforms//os:osx"
    else:
        _fail(
            "the host OS %r is not supported for running the assembler" % rctx.os.name,
            "build on Linux or macOS, or register a pex_assembler_toolchain for a remote executor",
        )
    machine = rctx.execute(["uname", "-m"]).stdout.strip()
    cpu = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(machine)
    if not cpu:
        _fail(
            "the host CPU %r is not supported for running the assembler" % machine,
            "build on x86_64 or aarch64, or register a pex_assembler_toolchain for a remote executor",
        )
    return [os_constraint, "@platforms//cpu:" + cpu]

def _pip_install(rctx, executable, requirements, options):
    """Installs the hash-pinned `requirements` (a label) into `site/` with pip."""
    install = rctx.execute(
        [
            executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-compile",
            "--no-deps",
            "--only-binary=:all:",
            "--require-hashes",
            "--target=site",
            "--requirement=%s" % watched_path(rctx, requirements),
        ] + options,
        environment = {"PYTHONPATH": "", "PIP_REQUIRE_VIRTUALENV": "0"},
    )
    if install.return_code != 0:
        _fail(
            "installing %s with %s -m pip failed:\n%s" % (requirements.name, executable, install.stderr),
            "let pip reach its index (pip's own configuration applies), or point CROSSPEX_PYTHON at a Python with pip",
        )

_PROBE = "import sys; print(sys.executable); print(sys.implementation.name); print('%d.%d' % sys.version_info[:2])"

def _bytecode_interpreters(rctx, executable, version):
    """The host's CPython of each version crosspex targets, for .pyc.

    The assembler's own, and each pythonX.Y on PATH that is that CPython (a launcher resolved
    to the real executable).
    """
    found = {version: executable} if version in PYTHON_VERSIONS else {}
    for candidate in PYTHON_VERSIONS:
        path = rctx.which("python" + candidate)
        if candidate in found or not path:
            continue
        probe = rctx.execute([path, "-c", _PROBE])
        lines = probe.stdout.strip().split("\n")
        if probe.return_code == 0 and len(lines) == 3 and lines[1:] == ["cpython", candidate]:
            found[candidate] = lines[0]
    return found

def _crosspex_exec_python_impl(rctx):
    # rctx.getenv makes the repository depend on the variable.
    candidate = rctx.getenv("CROSSPEX_PYTHON") or rctx.which("python3")
    if not candidate:
        _fail("no python3 on PATH")

    # Resolve launchers such as pyenv shims: actions run with no PATH, so the path must be real.
    probe = rctx.execute([candidate, "-c", "import sys; print(sys.executable); print(sys.version_info[0]); print(sys.version_info[1])"])
    if probe.return_code != 0:
        _fail("%s does not run: %s" % (candidate, probe.stderr))
    executable, major, minor = probe.stdout.strip().split("\n")
    if (int(major), int(minor)) < _MIN_VERSION:
        _fail("%s is Python %s.%s" % (executable, major, minor))

    _pip_install(
        rctx,
        executable,
        Label("//tools/pex_assembler:requirements.txt"),
        # One pex wheel for every exec Python: the one pinned by hash in requirements.txt.
        ["--python-version=3.11"],
    )

    rctx.file("interpreter_path.txt", executable + "\n")
    rctx.template("BUILD.bazel", Label("//py/private:exec_python.BUILD.tpl"), {
        "{ASSEMBLER_TOOLCHAIN}": str(Label("//py/private:assembler_toolchain.bzl")),
        "{BYTECODE_INTERPRETERS}": repr(_bytecode_interpreters(rctx, executable, "%s.%s" % (major, minor))),
        "{EXECUTABLE}": executable,
    })

crosspex_exec_python = repository_rule(
    implementation = _crosspex_exec_python_impl,
    doc = "Finds the host's Python (CROSSPEX_PYTHON or python3 on PATH) and installs pex for " +
          "the assembler; the host's pythonX.Y on PATH compile .pyc for venv layers.",
    # Where python3 is found, and the pythonX.Y that compile bytecode.
    environ = ["PATH"],
)

def _crosspex_toolchains_impl(rctx):
    rctx.template("BUILD.bazel", Label("//py/private:assembler_toolchain.BUILD.tpl"), {
        "{EXEC_COMPATIBLE_WITH}": repr(_host_constraints(rctx)),
        "{TOOLCHAIN_TYPE}": str(ASSEMBLER_TOOLCHAIN),
    })

crosspex_toolchains = repository_rule(
    implementation = _crosspex_toolchains_impl,
    doc = "The assembler's toolchain() for the host, pointing into @crosspex_exec_python.",
)

def _crosspex_uv_impl(rctx):
    interpreter = rctx.read(watched_path(rctx, Label("@crosspex_exec_python//:interpreter_path.txt"))).strip()
    _pip_install(rctx, interpreter, Label("//py/private:uv_requirements.txt"), [])
    if not rctx.path("site/bin/uv").exists:
        _fail("the uv wheel installed no site/bin/uv", "report it: crosspex pins a uv whose wheel holds bin/uv")
    rctx.file("BUILD.bazel", """\
exports_files(["site/bin/uv"], visibility = ["//visibility:public"])
""")

crosspex_uv = repository_rule(
    implementation = _crosspex_uv_impl,
    doc = "uv for the host, pinned by hash: the resolver `pip_lock` runs. Fetched only when a pip_lock target is built.",
)
