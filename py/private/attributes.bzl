"""Attributes that several crosspex rules share, with their docs."""

load(":pex_inputs.bzl", "pex_inputs_aspect")
load(":transitions.bzl", "for_platform")

_ALLOWLIST_FUNCTION_TRANSITION = {
    "_allowlist_function_transition": attr.label(
        default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
    ),
}

def content_deps(cfg = None):
    """`deps` and `data`: what a PEX or a virtualenv layer takes from other targets.

    Args:
      cfg: the transition they are built through; None: the rule's own configuration.

    Returns:
      dict of attribute name to attribute.
    """
    return {
        "deps": attr.label_list(
            # Any target: py_library and pex_wheel targets, plain .whl files, filegroups of wheels.
            allow_files = True,
            aspects = [pex_inputs_aspect],
            cfg = cfg,
            doc = "py_library targets, pex_wheel targets, .whl files, and installed wheel trees (rules_python, pycross).",
        ),
        "data": attr.label_list(
            allow_files = True,
            aspects = [pex_inputs_aspect],
            cfg = cfg,
            doc = "Other files placed in the PEX at their runfiles paths.",
        ),
    }

# What goes into a PEX or a virtualenv layer, for which target: py_pex_binary and
# py_venv_layer share these attributes, and the meaning of each.
PEX_CONTENT_ATTRS = dict(_ALLOWLIST_FUNCTION_TRANSITION, **dict(content_deps(), **{
    "srcs": attr.label_list(allow_files = [".py"], doc = "First-party Python files of the binary itself."),
    "main": attr.label(
        allow_single_file = [".py"],
        doc = "The file run as `__main__`; it goes into the PEX at its runfiles path, whether or not `srcs` or a dependency list it. Excludes `entry_point`.",
    ),
    "entry_point": attr.string(doc = "`module` or `module:function` to run, as pex's --entry-point. Excludes `main` and `script`."),
    "script": attr.string(
        doc = "A script of a distribution to run, as pex's `-c`: a console or GUI script of " +
              "its `entry_points.txt` (run as its entry point), or a file of its " +
              "`.data/scripts`. A name no distribution offers, or two do, fails the build. " +
              "For a layer, `bin/<name>` runs it: the script itself when it is named like " +
              "the layer, else a link to it. Excludes `main` and `entry_point`.",
    ),
    "python_version": attr.string(
        doc = "Target CPython version, MAJOR.MINOR: sets `@crosspex//py/config:python_version` " +
              "for the deps (which wheels are selected) and picks wheel tags, markers, shebang " +
              "and interpreter constraints. Empty: the flag's value (default 3.11).",
    ),
    "complete_platform": attr.label(
        allow_single_file = [".json"],
        doc = "A pex complete-platform JSON file (`pex3 interpreter inspect --markers --tags`); replaces the target toolchain's description and `python_version`.",
    ),
    "_python_version": attr.label(default = Label("//py/config:python_version")),
}))

def cross_attrs(built, kind, providers = []):
    """The attributes of a rule that builds one target for another platform.

    Args:
      built: the attribute naming the target built, e.g. "pex".
      kind: the kind of that target, for the docs, e.g. "py_pex_binary".
      providers: what that target must provide.

    Returns:
      dict of attribute name to attribute.
    """
    return dict(_ALLOWLIST_FUNCTION_TRANSITION, **{
        built: attr.label(
            mandatory = True,
            cfg = for_platform,
            providers = providers,
            doc = "The %s to build." % kind,
        ),
        "platform": attr.label(mandatory = True, doc = "The target platform, e.g. `@crosspex//py/platforms:macos_arm64`."),
        "python_version": attr.string(
            doc = "Target CPython version, MAJOR.MINOR; empty keeps the current one. A %s " % kind +
                  "pinned to another version fails the build.",
        ),
    })
