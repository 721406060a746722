"""pip_lock: a `bazel run` target that writes the hash-pinned lock `pip_wheels` reads."""

load(":assembler_action.bzl", "shell_quote")
load(":errors.bzl", "crosspex_fail")
load(":platforms.bzl", "check_targets", "platform_spec")
load(":toolchain_types.bzl", "ASSEMBLER_TOOLCHAIN")
load(":wheel_targets.bzl", "WHEEL_TARGET_ATTRS")

def _runfiles_path(exec_path):
    # From the main repository's runfiles directory, where `bazel run` starts, an external
    # repository's files sit in a sibling directory.
    if exec_path.startswith("external/"):
        return "../" + exec_path[len("external/"):]
    return exec_path

def _requirements_in(file):
    # The file the user edits, so that messages name it: the main repository's sit in the
    # workspace `bazel run` was started from; others only in the runfiles.
    if file.owner.workspace_name or not file.is_source:
        return "\"$here\"/" + shell_quote(file.short_path)
    return "\"$BUILD_WORKSPACE_DIRECTORY\"/" + shell_quote(file.short_path)

def _pip_lock_impl(ctx):
    check_targets(ctx.label, ctx.attr.platforms, ctx.attr.python_versions)
    if "/" in ctx.attr.lock or not ctx.attr.lock:
        crosspex_fail(ctx.label, "lock %r is not a file name" % ctx.attr.lock, "name a file in this package, e.g. requirements.txt")
    assembler = ctx.toolchains[ASSEMBLER_TOOLCHAIN].pex_assembler
    target = "//%s:%s" % (ctx.label.package, ctx.label.name)
    output = "/".join([p for p in [ctx.label.package, ctx.attr.lock] if p])
    command = [
        shell_quote(assembler.interpreter_path),
        "-B",
        "-s",
        "-S",
        "-m",
        "pex_assembler",
        "lock",
        "--requirements-in=%s" % _requirements_in(ctx.file.requirements_in),
        "--output=\"$BUILD_WORKSPACE_DIRECTORY\"/%s" % shell_quote(output),
        "--platforms-json=%s" % shell_quote(json.encode([platform_spec(p) for p in ctx.attr.platforms])),
        "--uv=\"$here\"/%s" % shell_quote(ctx.file._uv.short_path),
        "--rerun=%s" % shell_quote("bazel run " + target),
    ] + ["--python-version=%s" % v for v in ctx.attr.python_versions]
    python_path = ":".join(["$here/" + _runfiles_path(p) for p in assembler.python_path])
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._script_template,
        output = script,
        substitutions = {
            "{REQUIREMENTS_IN}": ctx.file.requirements_in.short_path,
            "{OUTPUT}": output,
            "{TARGET}": target,
            "{PYTHON_PATH}": python_path,
            "{COMMAND}": " \\\n  ".join(command),
        },
        is_executable = True,
    )
    runfiles = ctx.runfiles(
        files = [ctx.file.requirements_in, ctx.file._uv],
        transitive_files = assembler.files,
    )
    return [DefaultInfo(executable = script, runfiles = runfiles)]

pip_lock = rule(
    implementation = _pip_lock_impl,
    executable = True,
    toolchains = [ASSEMBLER_TOOLCHAIN],
    doc = """A `bazel run` target that writes the lock a `pip_wheels` repository reads.

`bazel run //:lock` resolves `requirements_in` with uv (`uv pip compile --universal`, uv
pinned by hash in `@crosspex_uv`, uv's own index configuration applies) for every
platform and Python version, checks that each package every target needs has a wheel that
target accepts, and only then writes `lock` into this package: `NAME==VERSION ; MARKER`
lines with the sha256 of every wheel of that version, and no index options. The pins of the
lock it replaces stay where `requirements_in` still allows them, as uv keeps an output file's;
arguments after `--` go to `uv pip compile`: `bazel run //:lock -- --upgrade` moves every
pin to the newest release, `-- --upgrade-package pyyaml` one. A `lock` named `pylock.toml`
(or `pylock.NAME.toml`) is written in PEP 751's format, which names each wheel's URL too:
`pip_wheels` then reads no index page.

```starlark
load("@crosspex//py:defs.bzl", "pip_lock")

pip_lock(
    name = "lock",
    requirements_in = "requirements.in",
    lock = "requirements.txt",
    platforms = ["linux_x86_64", "macos_arm64", "windows_x86_64"],
    python_versions = ["3.11", "3.12"],
)
```

Give it the same `platforms` and `python_versions` as the `pip_wheels` repository.""",
    attrs = dict(WHEEL_TARGET_ATTRS, **{
        "requirements_in": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "What to resolve: a requirements file of loose pins (`pyyaml>=6`), or a `pyproject.toml`.",
        ),
        "lock": attr.string(
            default = "requirements.txt",
            doc = "The file name of the lock written into this package; `pip_wheels`' `lock` label names it. " +
                  "`pylock.toml` or `pylock.NAME.toml` writes PEP 751's format, with each wheel's URL.",
        ),
        "_uv": attr.label(
            default = Label("@crosspex_uv//:site/bin/uv"),
            allow_single_file = True,
            cfg = "exec",
        ),
        "_script_template": attr.label(
            default = Label("//py/private:pip_lock.sh.tpl"),
            allow_single_file = True,
        ),
    }),
)
