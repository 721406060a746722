"""Many PEX targets for many platforms, to build in one invocation."""

load("@crosspex//py:defs.bzl", "py_pex_binary", "py_pex_cross_binaries")

def pex_load(name, count, platforms):
    """`count` distinct PEX targets, each for every platform, all in the filegroup `name`.

    Args:
      name: the filegroup holding every generated PEX, and the prefix of their names.
      count: how many distinct py_pex_binary targets to declare.
      platforms: the platforms each of them is built for.
    """
    groups = []
    for index in range(count):
        pex = "%s_%s" % (name, ("0" + str(index))[-2:])
        py_pex_binary(
            name = pex,
            srcs = ["//app:main.py"],
            main = "//app:main.py",
            inject_env = {"LOAD_INDEX": str(index)},
            tags = ["manual"],
            deps = [
                "//app:lib",
                "@wheels//:click",
                "@wheels//:six",
            ],
        )
        py_pex_cross_binaries(name = pex + "_for", pex = ":" + pex, platforms = platforms, tags = ["manual"])
        groups.append(":%s_for" % pex)
    native.filegroup(name = name, srcs = groups, tags = ["manual"])
