"""The crosspex module extension: the same repositories WORKSPACE users get from macros."""

load(":compat.bzl", "crosspex_compat")
load(":exec_python.bzl", "crosspex_exec_python", "crosspex_toolchains", "crosspex_uv")
load(":pip_wheels.bzl", "pip_wheels")

_pip_wheels_tag = tag_class(
    doc = "A pip_wheels repository: hash-pinned wheels for several target platforms.",
    attrs = {
        "name": attr.string(mandatory = True, doc = "Repository name."),
        "lock": attr.label(mandatory = True, doc = "A hash-pinned requirements file, uv.lock or pdm.lock."),
        "platforms": attr.string_list(mandatory = True, doc = "@crosspex//py/platforms names."),
        "python_versions": attr.string_list(default = ["3.11"], doc = "Target CPython versions."),
    },
)

def _crosspex_impl(module_ctx):
    crosspex_exec_python(name = "crosspex_exec_python")
    crosspex_toolchains(name = "crosspex_toolchains")
    crosspex_compat(name = "crosspex_compat", bzlmod = True)
    crosspex_uv(name = "crosspex_uv")
    for module in module_ctx.modules:
        for tag in module.tags.pip_wheels:
            pip_wheels(
                name = tag.name,
                lock = tag.lock,
                platforms = tag.platforms,
                python_versions = tag.python_versions,
            )

crosspex = module_extension(
    implementation = _crosspex_impl,
    doc = "Defines @crosspex_exec_python, @crosspex_toolchains, @crosspex_compat and @crosspex_uv, and a repository per pip_wheels tag.",
    tag_classes = {"pip_wheels": _pip_wheels_tag},
)
