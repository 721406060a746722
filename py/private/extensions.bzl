"""crosspex's module extensions: the repositories crosspex itself needs (`crosspex_setup`,
used by crosspex's own MODULE.bazel) and the users' pip_wheels ones (`crosspex`), which run
the assembler from the first."""

load(":compat.bzl", "crosspex_compat")
load(":exec_python.bzl", "crosspex_exec_python", "crosspex_toolchains", "crosspex_uv")
load(":pip_wheels.bzl", "PIP_WHEELS_ATTRS", "pip_wheels_repositories")

_pip_wheels_tag = tag_class(
    doc = """A repository of hash-pinned wheels for several target platforms, downloaded by Bazel.

`lock` is a PEP 751 `pylock.toml`, a `uv.lock`, a `pdm.lock`, or a requirements file whose
every line is `NAME==VERSION` with `--hash` options covering each platform's wheel: a
`pip_lock` target (`bazel run //:lock`) writes a requirements file or a `pylock.toml` for
the same platforms and versions, and so does
`uv pip compile --universal --generate-hashes`. Resolvers that resolve for the host alone
(plain `pip-compile`) leave out other platforms' wheels and packages. For each
platform, the packages it needs are taken from the lock by their markers, and each one's
wheel is the best the platform's tags accept among the files of the pinned release whose
sha256 the lock lists: as the lock names it (`pylock.toml`, `uv.lock`), or else on the
indexes pip is configured with (`index-url`,
`extra-index-url`, `find-links`, `no-index`, from pip's configuration files or `PIP_*`
variables; Bazel's downloader fetches the index pages, so `--experimental_downloader_config`
rewrites them like any download). Only wheels are accepted, so a platform without one fails
here, naming the package and the platform.

Each wheel file gets a repository of its own, `<name>__<file name without .whl>`, which
Bazel downloads by its sha256 only when a build needs it, into its repository cache: a lock
edit downloads only the wheels it adds, and `--repository_cache` and `--distdir` serve
them offline. The repository `name` has one target per package, e.g. `@wheels//:pyyaml`,
that selects the wheel for the target platform and Python version and carries the wheels it
depends on there, and `@wheels//:cp311_linux_x86_64/<file>.whl` names a target's file.""",
    attrs = dict(
        {"name": attr.string(mandatory = True, doc = "Repository name, for `use_repo`.")},
        **PIP_WHEELS_ATTRS
    ),
)

def _crosspex_setup_impl(
        # buildifier: disable=unused-variable
        module_ctx):
    crosspex_exec_python(name = "crosspex_exec_python")
    crosspex_toolchains(name = "crosspex_toolchains")
    crosspex_compat(name = "crosspex_compat")
    crosspex_uv(name = "crosspex_uv")

crosspex_setup = module_extension(
    implementation = _crosspex_setup_impl,
    doc = "Defines @crosspex_exec_python, @crosspex_toolchains, @crosspex_compat and @crosspex_uv.",
)

def _crosspex_impl(module_ctx):
    for module in module_ctx.modules:
        for tag in module.tags.pip_wheels:
            pip_wheels_repositories(module_ctx, tag)

crosspex = module_extension(
    implementation = _crosspex_impl,
    doc = "Defines, per pip_wheels tag, a hub repository and one repository per wheel.",
    tag_classes = {"pip_wheels": _pip_wheels_tag},
)
