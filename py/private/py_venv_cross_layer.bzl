"""py_venv_cross_layer: one py_venv_layer built for another platform, under a name of its own."""

load(":attributes.bzl", "cross_attrs")
load(":cross_targets.bzl", "declare_cross_targets")
load(":providers.bzl", "PexBinaryInfo")
load(":rule_helpers.bzl", "check_built_for")

def _forwarded(ctx, files, stem):
    """Links to `files`, each named as its own name with the layer's `stem` replaced."""
    links = []
    for f in files:
        link = ctx.actions.declare_file(ctx.label.name + f.basename[len(stem):])
        ctx.actions.symlink(output = link, target_file = f)
        links.append(link)
    return links

def _py_venv_cross_layer_impl(ctx):
    layer = ctx.attr.layer[0]
    check_built_for(ctx, layer)
    stem = layer.label.name
    return [
        DefaultInfo(files = depset(_forwarded(ctx, layer[DefaultInfo].files.to_list(), stem))),
        OutputGroupInfo(single_tar = depset(_forwarded(ctx, layer[OutputGroupInfo].single_tar.to_list(), stem))),
    ]

py_venv_cross_layer = rule(
    implementation = _py_venv_cross_layer_impl,
    doc = """Builds a `py_venv_layer` for `platform` and puts its tars at `<name>.<group>.tar`,
`<name>.deps.tar` and `<name>.app.tar` in this package (output group `single_tar`:
`<name>.tar`), so one build writes every platform's layers side by side.""",
    attrs = cross_attrs("layer", "py_venv_layer", providers = [PexBinaryInfo]),
)

def py_venv_layers(name, layer, platforms, python_versions = [], **kwargs):
    """One py_venv_cross_layer per platform (and Python version), and a filegroup of them all.

    Targets are named `<name>_<platform>` (`<name>_<platform>_py<XY>` with python_versions),
    each writing `<target name>.deps.tar`, `<target name>.app.tar`, ..., as
    py_pex_cross_binaries names its PEXes.

    Args:
      name: prefix of the generated targets, and the name of the filegroup holding them all.
      layer: the py_venv_layer to build for each platform.
      platforms: platform labels, e.g. ["@crosspex//py/platforms:linux_aarch64"].
      python_versions: CPython versions to build each platform for; empty: the current one.
      **kwargs: common attributes (tags, visibility, ...) for every generated target.
    """
    declare_cross_targets(py_venv_cross_layer, name, {"layer": layer}, platforms, python_versions, kwargs)
