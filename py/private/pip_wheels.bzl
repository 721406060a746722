"""Repository rule: hash-pinned wheels for several target platforms, selected per platform."""

load(":errors.bzl", "crosspex_fail")
load(":exec_python.bzl", "watched_path")
load(":platforms.bzl", "check_targets", "platform_spec")
load(":wheel_targets.bzl", "WHEEL_TARGET_ATTRS")

def _pip_wheels_impl(rctx):
    check_targets("pip_wheels(%s)" % rctx.name, rctx.attr.platforms, rctx.attr.python_versions)
    interpreter_file = watched_path(rctx, Label("@crosspex_exec_python//:interpreter_path.txt"))
    interpreter = rctx.read(interpreter_file).strip()
    site = "%s/site" % interpreter_file.dirname

    # A change to any module of the assembler it runs refetches the wheels; its __pycache__,
    # which tests beside the build may write, does not.
    package = rctx.path(Label("//tools/pex_assembler:__init__.py")).dirname
    for module in package.readdir(watch = "no"):
        if module.basename.endswith(".py"):
            rctx.watch(module)
    tools = package.dirname
    result = rctx.execute(
        [
            interpreter,
            "-B",
            "-s",
            "-m",
            "pex_assembler",
            "fetch-wheels",
            "--lock=%s" % watched_path(rctx, rctx.attr.lock),
        ] + ["--python-version=%s" % v for v in rctx.attr.python_versions] + [
            "--platforms-json=%s" % json.encode([platform_spec(p) for p in rctx.attr.platforms]),
            "--dest=.",
        ],
        environment = {"PYTHONPATH": "%s:%s" % (tools, site)},
        timeout = rctx.attr.timeout,
    )
    if result.return_code != 0:
        # The assembler's own errors end in a fix: it becomes this error's.
        problem, found, fix = result.stderr.strip().rpartition("\n  fix: ")
        if not found:
            problem = fix
            fix = "fix what the message names; if pip ran out of time, raise timeout (now %d s)" % rctx.attr.timeout
        crosspex_fail("pip_wheels(%s)" % rctx.name, "fetching failed:\n" + problem, fix)

# Shared with the module extension's pip_wheels tag, whose doc describes the repository.
PIP_WHEELS_ATTRS = dict(WHEEL_TARGET_ATTRS, **{
    "lock": attr.label(
        mandatory = True,
        allow_single_file = True,
        doc = "A hash-pinned requirements file, a `uv.lock` or a `pdm.lock` (by file name).",
    ),
    "timeout": attr.int(default = 600, doc = "Seconds pip may take in all."),
})

pip_wheels = repository_rule(
    implementation = _pip_wheels_impl,
    doc = "Downloads hash-pinned wheels for several target platforms with pip: see crosspex.pip_wheels.",
    attrs = PIP_WHEELS_ATTRS,
)
