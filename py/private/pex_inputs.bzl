"""pex_inputs_aspect: the work a PEX needs from each dependency, done once per dependency.

A wheel is checked, and an installed tree packed back into wheels, in an action of the
dependency's own, which Bazel caches (locally and remotely) and shares between every
`py_pex_binary` that uses the dependency. The binary's own action then only copies bytes.

What each kind of target adds to a PEX:

- `pex_wheel`: its wheels and their records, as it returns them.
- `py_library`, `filegroup`, `alias`: their own files, and what their `deps`, `data`, `srcs`
  and `actual` add. A `py_library` whose own files hold `<import>/<name>.dist-info/METADATA`
  for one of its `imports` is an installed tree (rules_python's wheel repositories): the
  files below that import root become wheels.
- A rule with a `wheel` attribute that provides Python sources (rules_pycross'
  `pycross_wheel_library`): each directory it outputs is an installed tree.
- Any other target: its files, runfiles and Python sources, as they are; the wheels among
  its own files (rules_pycross' `pycross_wheel`) are checked.

Every `.whl` file added along the way is checked in its own action.
"""

load("@crosspex_compat//:defs.bzl", "PY_INFOS")
load(":assembler_action.bzl", "run_assembler")
load(":providers.bzl", "PexInputsInfo", "PexWheelInfo")
load(":toolchain_types.bzl", "ASSEMBLER_TOOLCHAIN")

# Attributes through which a known kind of target takes in what it adds to a PEX.
_ATTRS = ("deps", "data", "srcs", "actual")
_WALKED_KINDS = ("py_library", "filegroup", "alias")

def input_arg(f):
    # Expanded at execution time, so no rule flattens a transitive depset.
    return "--input=%s=%s" % (f.short_path, f.path)

def _py_info(target):
    for py_info in PY_INFOS:
        if py_info in target:
            return target[py_info]
    return None

def check_wheels(ctx, wheels, prefix):
    """Declares one PexWheelCheck per wheel.

    Args:
      ctx: the rule or aspect context; it must declare ASSEMBLER_TOOLCHAIN.
      wheels: the .whl files.
      prefix: names the directory `<prefix>.crosspex/` the records go into.

    Returns:
      The records, one `<wheel>.crosspex.json` per wheel.
    """
    records = []
    for wheel in wheels:
        record = ctx.actions.declare_file("%s.crosspex/%s.crosspex.json" % (prefix, wheel.basename))
        args = ctx.actions.args()
        args.add("check-wheel")
        args.add("--wheel", wheel)
        args.add("--output", record)
        run_assembler(
            ctx,
            args = args,
            inputs = depset([wheel]),
            outputs = [record],
            mnemonic = "PexWheelCheck",
            progress_message = "Checking wheel %s" % wheel.basename,
            uses_pex = False,
        )
        records.append(record)
    return records

def installable_parts(files):
    """The wheels, and the directories of wheels PexRepack wrote, among a layer's inputs.

    Args:
      files: list of File: what dep_files gave.

    Returns:
      list of (File, the wheel's record File or None), one per wheel file name or directory.
    """
    records = {}
    for f in files:
        if f.basename.endswith(".whl.crosspex.json"):
            records[f.basename[:-len(".crosspex.json")]] = f
    parts = {}
    for f in files:
        if f.is_directory and f.dirname.endswith(".crosspex"):
            parts[f.short_path] = (f, None)
        elif f.extension == "whl" and not f.is_directory and f.basename not in parts:
            parts[f.basename] = (f, records.get(f.basename))
    return parts.values()

def _repack(ctx, name, root = None, files = [], tree = None):
    """Declares one PexRepack: the distributions of an installed tree as wheels and records.

    The tree is either `files` below the short_path prefix `root`, or the directory `tree`.
    """
    output = ctx.actions.declare_directory("%s.crosspex/%s" % (ctx.label.name, name))
    args = ctx.actions.args()
    args.add("repack")
    args.add("--output", output.path)
    if tree:
        args.add("--tree", tree.path)
    else:
        args.add("--root", root)
        args.add_all(files, map_each = input_arg)
    run_assembler(
        ctx,
        args = args,
        inputs = depset(files + ([tree] if tree else [])),
        outputs = [output],
        mnemonic = "PexRepack",
        progress_message = "Packing the wheels installed in %s" % ctx.label,
        uses_pex = False,
    )
    return output

def _import_root(label, imp):
    parts = []
    for part in (label.package + "/" + imp).split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    repo = "../%s/" % label.workspace_name if label.workspace_name else ""
    return repo + "/".join(parts) + "/"

def _tree_root(label, imports, files):
    """The import root under which `files` hold an installed distribution, or None."""
    roots = [r for r in [_import_root(label, imp) for imp in imports] if r]
    if not roots:
        return None
    for f in files:
        path = f.short_path
        if not path.endswith(".dist-info/METADATA"):
            continue
        for root in roots:
            if path.startswith(root) and path[len(root):].count("/") == 1:
                return root
    return None

def _sorted_own(files, tree_prefix, directories_are_trees):
    """Splits a target's own files: plain ones, wheels, installed-tree files and directories."""
    plain, wheels, tree_files, tree_dirs = [], {}, [], []
    for f in files:
        if f.is_directory and directories_are_trees:
            tree_dirs.append(f)
        elif f.extension == "whl" and not f.is_directory:
            wheels[f.path] = f
        elif tree_prefix and f.short_path.startswith(tree_prefix):
            tree_files.append(f)
        else:
            plain.append(f)
    return plain, wheels.values(), tree_files, tree_dirs

def _pex_inputs_aspect_impl(target, ctx):
    if PexWheelInfo in target:
        return [PexInputsInfo(files = target[PexWheelInfo].transitive_wheels)]
    kind = ctx.rule.kind
    py_info = _py_info(target)
    if kind not in _WALKED_KINDS and not (py_info and hasattr(ctx.rule.attr, "wheel")):
        # A kind of target whose files crosspex cannot tell apart: all of them, as they are,
        # and a record for each wheel it outputs itself (rules_pycross' pycross_wheel).
        outputs = target[DefaultInfo].files
        wheels = [f for f in outputs.to_list() if f.extension == "whl" and not f.is_directory]
        files = [outputs, target[DefaultInfo].default_runfiles.files]
        if py_info:
            files.append(py_info.transitive_sources)
        records = check_wheels(ctx, wheels, ctx.label.name)
        return [PexInputsInfo(files = depset(records, transitive = files))]

    own = []
    transitive = []
    for name in _ATTRS:
        value = getattr(ctx.rule.attr, name, None)
        if value == None:
            continue
        for dep in (value if type(value) == "list" else [value]):
            if type(dep) != "Target":
                continue
            if PexInputsInfo in dep:
                transitive.append(dep[PexInputsInfo].files)
            else:
                # A source file: the aspect does not visit files.
                own.extend(dep[DefaultInfo].files.to_list())
    if kind not in _WALKED_KINDS:
        own.extend(target[DefaultInfo].files.to_list())

    tree_prefix = None
    if kind == "py_library":
        tree_prefix = _tree_root(ctx.label, getattr(ctx.rule.attr, "imports", []), own)
    plain, wheels, tree_files, tree_dirs = _sorted_own(
        own,
        tree_prefix,
        directories_are_trees = kind not in _WALKED_KINDS,
    )
    generated = check_wheels(ctx, wheels, ctx.label.name)
    if tree_files:
        generated.append(_repack(ctx, "site-packages", root = tree_prefix, files = tree_files))
    for directory in tree_dirs:
        generated.append(_repack(ctx, directory.basename, tree = directory))
    return [PexInputsInfo(
        files = depset(plain + list(wheels) + generated, transitive = transitive),
    )]

pex_inputs_aspect = aspect(
    implementation = _pex_inputs_aspect_impl,
    attr_aspects = list(_ATTRS),
    toolchains = [ASSEMBLER_TOOLCHAIN],
    doc = "What each dependency adds to a PEX, with its wheels checked and its installed " +
          "trees packed as wheels, once per dependency.",
)
