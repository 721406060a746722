"""What stardoc cannot write, from Starlark data: docs/rules.md's platforms and flags, and
docs/platforms.json."""

# buildifier: disable=bzl-visibility
load("//py/private:platforms.bzl", "DEFAULT_PYTHON_VERSION", "PLATFORMS", "PYTHON_VERSIONS")

def _code(text):
    return "`%s`" % text

def _platform_rows():
    rows = [
        "| platform | constraint values | wheel tags from |",
        "|---|---|---|",
    ]
    for name, platform in PLATFORMS.items():
        rows.append("| `:%s` | %s | %s |" % (
            name,
            ", ".join([_code(c) for c in platform.constraints]),
            ", ".join(["%s `%s`" % (key, value) for key, value in platform.spec.items()]),
        ))
    return "\n".join(rows)

def _settings_reference_impl(ctx):
    ctx.actions.expand_template(
        template = ctx.file.template,
        output = ctx.outputs.out,
        substitutions = {
            "{PLATFORMS}": _platform_rows(),
            "{PYTHON_VERSIONS}": ", ".join([_code(v) for v in PYTHON_VERSIONS]),
            "{DEFAULT_PYTHON_VERSION}": DEFAULT_PYTHON_VERSION,
        },
    )

settings_reference = rule(
    implementation = _settings_reference_impl,
    doc = "Fills `template` with the built-in platforms and Python versions.",
    attrs = {
        "template": attr.label(mandatory = True, allow_single_file = True),
        "out": attr.output(mandatory = True),
    },
)

def _platforms_json_impl(ctx):
    specs = {name: platform.spec for name, platform in PLATFORMS.items()}
    ctx.actions.write(ctx.outputs.out, json.encode_indent(specs, indent = "  ") + "\n")

platforms_json = rule(
    implementation = _platforms_json_impl,
    doc = "Writes the built-in platforms' complete specs, by name, as JSON: what the tests read.",
    attrs = {"out": attr.output(mandatory = True)},
)
