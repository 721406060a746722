"""The example's module extension: rules_python-shaped wheel repositories."""

load(":rules_python_like.bzl", "installed_wheel")

def _installed_wheels_impl(module_ctx):
    for module in module_ctx.modules:
        for tag in module.tags.wheel:
            installed_wheel(name = tag.name, wheel = tag.wheel, deps = tag.deps)

installed_wheels = module_extension(
    implementation = _installed_wheels_impl,
    tag_classes = {"wheel": tag_class(attrs = {
        "name": attr.string(mandatory = True),
        "wheel": attr.label(mandatory = True),
        "deps": attr.string_list(),
    })},
)
