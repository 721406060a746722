"""The crosspex module extension: the repositories crosspex needs, and the pip_wheels ones."""

load(":compat.bzl", "crosspex_compat")
load(":exec_python.bzl", "crosspex_exec_python", "crosspex_toolchains", "crosspex_uv")
load(":pip_wheels.bzl", "PIP_WHEELS_ATTRS", "pip_wheels")

_pip_wheels_tag = tag_class(
    doc = """A repository of hash-pinned wheels for several target platforms, downloaded with pip.

`lock` is a `uv.lock`, a `pdm.lock`, or a requirements file whose every line is
`NAME==VERSION` with `--hash` options covering each platform's wheel: a `pip_lock` target
(`bazel run //:lock`) writes one for the same platforms and versions, and so does
`uv pip compile --universal --generate-hashes`. Resolvers that resolve for the host alone
(plain `pip-compile`) leave out other platforms' wheels and packages. For each
platform, the packages it needs are taken from the lock by their markers; pip downloads
them (its own index configuration applies) and checks their hashes. Only wheels are
accepted, so a platform without a wheel fails here, naming the package and the platform.

The repository has one target per package, e.g. `@wheels//:pyyaml`, that selects the wheel
for the target platform and Python version and carries the wheels it depends on there.""",
    attrs = dict(
        {"name": attr.string(mandatory = True, doc = "Repository name, for `use_repo`.")},
        **PIP_WHEELS_ATTRS
    ),
)

def _crosspex_impl(module_ctx):
    crosspex_exec_python(name = "crosspex_exec_python")
    crosspex_toolchains(name = "crosspex_toolchains")
    crosspex_compat(name = "crosspex_compat")
    crosspex_uv(name = "crosspex_uv")
    for module in module_ctx.modules:
        for tag in module.tags.pip_wheels:
            pip_wheels(
                name = tag.name,
                lock = tag.lock,
                platforms = tag.platforms,
                python_versions = tag.python_versions,
                timeout = tag.timeout,
            )

crosspex = module_extension(
    implementation = _crosspex_impl,
    doc = "Defines @crosspex_exec_python, @crosspex_toolchains, @crosspex_compat and @crosspex_uv, and a repository per pip_wheels tag.",
    tag_classes = {"pip_wheels": _pip_wheels_tag},
)
