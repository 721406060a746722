"""Finds the exec platform's Python and installs the assembler's libraries beside it."""

_MIN_VERSION = (3, 8)

def _fail(message):
    fail("crosspex: " + message + "\n  fix: install CPython 3.8+ with pip, or point CROSSPEX_PYTHON at one")

def _host_constraints(rctx):
    os_name = rctx.os.name.lower()
    os_constraint = None
    if os_name.startswith("linux"):
        os_constraint = "@platforms//os:linux"
    elif os_name.startswith("mac"):
        os_constraint = "@platforms//os:osx"
    else:
        _fail("the host OS %r is not supported for running the assembler" % rctx.os.name)
    machine = rctx.execute(["uname", "-m"]).stdout.strip()
    cpu = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(machine)
    if not cpu:
        _fail("the host CPU %r is not supported for running the assembler" % machine)
    return [os_constraint, "@platforms//cpu:" + cpu]

def _crosspex_exec_python_impl(rctx):
    candidate = rctx.os.environ.get("CROSSPEX_PYTHON") or rctx.which("python3")
    if not candidate:
        _fail("no python3 on PATH")

    # Resolve launchers such as pyenv shims: actions run with no PATH, so the path must be real.
    probe = rctx.execute([candidate, "-c", "import sys; print(sys.executable); print(sys.version_info[0]); print(sys.version_info[1])"])
    if probe.return_code != 0:
        _fail("%s does not run: %s" % (candidate, probe.stderr))
    executable, major, minor = probe.stdout.strip().split("\n")
    if (int(major), int(minor)) < _MIN_VERSION:
        _fail("%s is Python %s.%s" % (executable, major, minor))

    requirements = rctx.path(Label("//tools/pex_assembler:requirements.txt"))
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
            # One pex wheel for every exec Python: the one pinned by hash in requirements.txt.
            "--python-version=3.11",
            "--target=site",
            "--requirement=%s" % requirements,
        ],
        environment = {"PYTHONPATH": "", "PIP_REQUIRE_VIRTUALENV": "0"},
    )
    if install.return_code != 0:
        _fail("installing the assembler's libraries with %s -m pip failed:\n%s" % (executable, install.stderr))

    rctx.file("interpreter_path.txt", executable + "\n")
    rctx.file("BUILD.bazel", """\
load("@crosspex//py/private:assembler_toolchain.bzl", "pex_assembler_toolchain")

package(default_visibility = ["//visibility:public"])

exports_files(["interpreter_path.txt"])

filegroup(
    name = "libraries",
    # Only what writing a PEX from wheels needs: pex's vendored pip (for resolving) and its
    # docs stay out, sparing each action ~450 inputs. Labels cannot name files with spaces.
    srcs = glob(
        ["site/**"],
        exclude = [
            "site/**/* *",
            "site/**/__pycache__/**",
            "site/pex/docs/**",
            "site/pex/vendor/_vendored/pip/**",
        ],
    ),
)

pex_assembler_toolchain(
    name = "assembler",
    interpreter_path = "{executable}",
    libraries = ":libraries",
)

toolchain(
    name = "assembler_toolchain",
    exec_compatible_with = {constraints},
    toolchain = ":assembler",
    toolchain_type = "@crosspex//py/toolchains:assembler_toolchain_type",
)
""".format(executable = executable, constraints = repr(_host_constraints(rctx))))

crosspex_exec_python = repository_rule(
    implementation = _crosspex_exec_python_impl,
    doc = "Finds the host's Python (CROSSPEX_PYTHON or python3 on PATH) and installs pex for the assembler.",
    environ = ["CROSSPEX_PYTHON", "PATH"],
)
