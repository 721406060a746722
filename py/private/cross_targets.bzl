"""The targets the cross macros declare: one per platform and Python version."""

def _platform_name(label):
    return label.split(":")[-1] if ":" in label else label.split("/")[-1]

def declare_cross_targets(kind, name, built, platforms, python_versions, kwargs):
    """Declares a `kind` target per platform (and Python version), and a filegroup of them all.

    Args:
      kind: the rule, e.g. py_pex_cross_binary.
      name: the macro's name: the prefix of every target and the filegroup's name.
      built: the attribute naming what is built for each platform, e.g. {"pex": ":app_pex"}.
      platforms: platform labels.
      python_versions: CPython versions; empty: one target per platform, the current version.
      kwargs: common attributes (tags, visibility, ...) for every generated target.
    """
    targets = []
    for platform in platforms:
        for version in python_versions or [""]:
            target = "%s_%s" % (name, _platform_name(platform))
            if version:
                target += "_py" + version.replace(".", "")
            kind(name = target, platform = platform, python_version = version, **dict(built, **kwargs))
            targets.append(":" + target)
    native.filegroup(name = name, srcs = targets, **kwargs)
