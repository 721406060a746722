"""Writes docs/rules.md from the docstrings of crosspex's public Starlark API.

Run with --check to fail when docs/rules.md is stale or a public rule, attribute, macro
argument or tag attribute has no documentation. Starlark's syntax is a subset of Python's,
so the .bzl files are read with Python's own parser.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ["py/defs.bzl", "py/toolchains.bzl", "py/extensions.bzl"]
DOCS = ROOT / "docs" / "rules.md"
KINDS = ("rule", "repository_rule", "module_extension", "provider", "tag_class")


def _string(node: Optional[ast.AST], names: Dict[str, ast.AST]) -> str:
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _string(node.left, names) + _string(node.right, names)
    if isinstance(node, ast.Name) and node.id in names:
        return _string(names[node.id], names)
    return ""


def _kwargs(call: ast.Call) -> Dict[str, ast.AST]:
    return {k.arg: k.value for k in call.keywords if k.arg}


class Module:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tree = ast.parse(path.read_text(), filename=str(path))
        self.names: Dict[str, ast.AST] = {}
        self.functions: Dict[str, ast.FunctionDef] = {}
        self.loads: Dict[str, Tuple[str, str]] = {}
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                self.names[node.targets[0].id] = node.value
            elif isinstance(node, ast.FunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                call = node.value
                if isinstance(call.func, ast.Name) and call.func.id == "load":
                    source = _string(call.args[0], {})
                    for keyword in call.keywords:
                        self.loads[keyword.arg] = (source, _string(keyword.value, {}))
                    for arg in call.args[1:]:
                        self.loads[_string(arg, {})] = (source, _string(arg, {}))

    def docstring(self) -> str:
        return ast.get_docstring(self.tree) or ""


def _resolve(module: Module, name: str):
    """(module, definition) behind a public name, following loads and re-assignments."""
    value = module.names.get(name)
    loaded = value.id if isinstance(value, ast.Name) else name if value is None else None
    if loaded in module.loads:
        source, symbol = module.loads[loaded]
        path = ROOT / source.lstrip("/").replace(":", "/").replace("//", "")
        if source.startswith(":"):
            path = module.path.parent / source[1:]
        return _resolve(Module(path), symbol)
    if name in module.functions:
        return module, module.functions[name]
    return module, value


# What Bazel gives an attribute that sets no default.
IMPLICIT_DEFAULTS = {
    "bool": "False",
    "int": "0",
    "string": '""',
    "string_list": "[]",
    "int_list": "[]",
    "string_dict": "{}",
    "label": "None",
    "label_list": "[]",
}


def _value(node: Optional[ast.AST], module: Module) -> str:
    """A default as Starlark spells it, names resolved through assignments and loads."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return '"' + node.value + '"'
        return repr(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return "-" + _value(node.operand, module)
    if isinstance(node, ast.List):
        return "[" + ", ".join(_value(e, module) for e in node.elts) + "]"
    if isinstance(node, ast.Dict):
        pairs = zip(node.keys, node.values)
        return "{" + ", ".join(f"{_value(k, module)}: {_value(v, module)}" for k, v in pairs) + "}"
    if isinstance(node, ast.Name):
        owner, definition = _resolve(module, node.id)
        if definition is not None and definition is not node:
            return _value(definition, owner)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Label":
        return _value(node.args[0], module)
    return "(computed)"


class Attr:
    def __init__(self, name: str, kind: str, doc: str, default: str, values: List[str]) -> None:
        self.name, self.kind, self.doc, self.default, self.values = name, kind, doc, default, values

    def row(self) -> str:
        doc = " ".join(self.doc.split())
        if self.values:
            doc = "One of " + ", ".join(f"`{v}`" for v in self.values) + ". " + doc
        default = "**mandatory**" if self.default is None else f"`{self.default}`"
        return f"| `{self.name}` | {self.kind} | {default} | {doc} |"


def _attrs(module: Module, node: Optional[ast.AST]) -> List[Attr]:
    if isinstance(node, ast.Name):
        module, node = _resolve(module, node.id)
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "dict":
        # dict(SHARED, name = attr..., **{...}): the shared attributes, then the others.
        rows = [row for arg in node.args for row in _attrs(module, arg)]
        for keyword in node.keywords:
            if keyword.arg is None:
                rows += _attrs(module, keyword.value)
            else:
                single = ast.Dict(keys=[ast.Constant(keyword.arg)], values=[keyword.value])
                rows += _attrs(module, single)
        return rows
    if not isinstance(node, ast.Dict):
        return []
    rows = []
    for key, value in zip(node.keys, node.values):
        name = _string(key, {})
        if name.startswith("_") or not isinstance(value, ast.Call):
            continue
        kind = value.func.attr if isinstance(value.func, ast.Attribute) else "?"
        kwargs = _kwargs(value)
        mandatory = isinstance(kwargs.get("mandatory"), ast.Constant) and kwargs["mandatory"].value
        default: Optional[str] = None
        if not mandatory:
            default = (
                _value(kwargs["default"], module)
                if "default" in kwargs
                else IMPLICIT_DEFAULTS.get(kind, "(none)")
            )
        values_node = kwargs.get("values")
        values = []
        if isinstance(values_node, ast.List):
            values = [_value(e, module).strip('"') or '""' for e in values_node.elts]
        doc = _string(kwargs.get("doc"), module.names)
        rows.append(Attr(name, kind, doc, default, values))
    return rows


def _entry(public: str, module: Module, definition) -> Tuple[str, List[str]]:
    """The markdown of one public symbol, and what it fails to document."""
    missing: List[str] = []
    lines = [f"### `{public}`", ""]
    if isinstance(definition, ast.FunctionDef):
        doc = ast.get_docstring(definition) or ""
        positional = definition.args.args
        defaults = [None] * (len(positional) - len(definition.args.defaults))
        defaults += definition.args.defaults
        params = [a.arg for a in positional]
        signature = [
            a.arg if d is None else f"{a.arg} = {_value(d, module)}"
            for a, d in zip(positional, defaults)
        ]
        if definition.args.kwarg:
            params.append("**" + definition.args.kwarg.arg)
            signature.append("**" + definition.args.kwarg.arg)
        lines += [f"`{public}({', '.join(signature)})` (macro)", "", doc or "", ""]
        if not doc:
            missing.append(f"{public}: no docstring")
        args_section = doc.split("Args:", 1)[1] if "Args:" in doc else ""
        for param in params:
            if param.lstrip("*") + ":" not in args_section:
                missing.append(f"{public}: argument {param} is not documented")
        return "\n".join(lines), missing
    if not isinstance(definition, ast.Call) or not isinstance(definition.func, ast.Name):
        return "", []
    kind = definition.func.id
    if kind not in KINDS:
        return "", []
    kwargs = _kwargs(definition)
    doc = _string(kwargs.get("doc"), module.names) or (
        _string(definition.args[0], module.names) if definition.args else ""
    )
    lines += [f"*{kind}*", "", doc, ""]
    if not doc:
        missing.append(f"{public}: no doc")
    rows = _attrs(module, kwargs.get("attrs"))
    if kind == "provider":
        fields = kwargs.get("fields")
        rows = []
        if isinstance(fields, ast.Dict):
            rows = [Attr(_string(k, {}), "field", _string(v, module.names), "", [])
                    for k, v in zip(fields.keys, fields.values)]  # fmt: skip
    if kind == "module_extension":
        tags = kwargs.get("tag_classes")
        if isinstance(tags, ast.Dict):
            for key, value in zip(tags.keys, tags.values):
                tag = _string(key, {})
                tag_module, tag_definition = module, module.names.get(getattr(value, "id", ""))
                text, tag_missing = _entry(f"{public}.{tag}", tag_module, tag_definition)
                lines += [text.replace("### ", "#### "), ""]
                missing += tag_missing
    if rows and kind == "provider":
        lines += ["| field | doc |", "|---|---|"]
        lines += [f"| `{a.name}` | {' '.join(a.doc.split())} |" for a in rows]
        lines.append("")
    elif rows:
        lines += ["| attribute | type | default | doc |", "|---|---|---|---|"]
        for attr in rows:
            lines.append(attr.row())
            if not attr.doc:
                missing.append(f"{public}: attribute {attr.name} has no doc")
        lines.append("")
    if rows:
        for attr in rows:
            if kind == "provider" and not attr.doc:
                missing.append(f"{public}: field {attr.name} has no doc")
    return "\n".join(lines), missing


# What each toolchain type in py/toolchains/BUILD.bazel is for; a new one needs a line here.
TOOLCHAIN_TYPES = {
    "assembler_toolchain_type": "the assembler on the exec platform: a `pex_assembler_toolchain`"
    " (crosspex registers one for the host)",
    "target_toolchain_type": "what a target platform means for wheels: a `pex_target_toolchain`"
    " (crosspex registers one per built-in platform, and a fallback for any other)",
}


def _targets(build_file: Path, kind: str) -> List[str]:
    tree = ast.parse(build_file.read_text(), filename=str(build_file))
    return [
        _string(_kwargs(c).get("name"), {})
        for c in ast.walk(tree)
        if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == kind
    ]


def _settings() -> Tuple[List[str], List[str]]:
    """Platforms, the Python version flag, config settings, toolchain types and the
    environment, from the code that declares them."""
    platforms = Module(ROOT / "py" / "private" / "platforms.bzl")
    table = platforms.names["PLATFORMS"]
    versions = ast.literal_eval(platforms.names["PYTHON_VERSIONS"])
    default_version = ast.literal_eval(platforms.names["DEFAULT_PYTHON_VERSION"])
    lines = [
        "## Platforms, flags, settings and toolchains",
        "",
        "### `@crosspex//py/platforms`",
        "",
        "| platform | constraint values | wheel tags from |",
        "|---|---|---|",
    ]
    assert isinstance(table, ast.Dict)
    for key, value in zip(table.keys, table.values):
        assert isinstance(value, ast.Call)
        fields = _kwargs(value)
        constraints = fields["constraints"]
        assert isinstance(constraints, ast.List)
        names = [_value(e, platforms).strip('"') for e in constraints.elts]
        spec = ast.literal_eval(fields["spec"])
        lines.append(
            f"| `:{_string(key, {})}` | {', '.join(f'`{c}`' for c in names)} | "
            + ", ".join(f"{k} `{v}`" for k, v in spec.items())
            + " |"
        )
    lines += [
        "",
        "`:is_<platform>` is a `config_setting` matching each. `:libc` is the constraint setting"
        " that tells Linux C libraries apart: `:glibc` (its default) or `:musl`. glibc targets"
        " accept manylinux wheels up to their `libc_version`, musl ones musllinux wheels up to"
        " theirs, macOS ones wheels for their `os_version` and older.",
        "",
        "### `@crosspex//py/config`",
        "",
        "`:python_version` is a string flag: the target CPython version, one of "
        + ", ".join(f"`{v}`" for v in versions)
        + f"; default `{default_version}`"
        " (`--@crosspex//py/config:python_version=3.12`). It selects `pip_wheels` packages'"
        " wheels and the version a `py_pex_binary` without `python_version` targets.",
        "`:is_python_<X.Y>` matches a version, `:is_<platform>_python_<X.Y>` a platform and a"
        " version.",
        "",
        "### `@crosspex//py/toolchains`",
        "",
        "| toolchain type | what it resolves |",
        "|---|---|",
    ]
    missing = []
    for name in _targets(ROOT / "py" / "toolchains" / "BUILD.bazel", "toolchain_type"):
        if name not in TOOLCHAIN_TYPES:
            missing.append(f"toolchain type {name} is not described in scripts/rule_docs.py")
        lines.append(f"| `:{name}` | {TOOLCHAIN_TYPES.get(name, '')} |")
    lines += [
        "",
        "`:assembler_libraries` is pex and packaging as installed for the host's assembler, for"
        " a `pex_assembler_toolchain` of your own.",
        "",
        "### The exec Python",
        "",
        "`CROSSPEX_PYTHON` names the CPython 3.8+ that runs the assembler"
        " (`--repo_env=CROSSPEX_PYTHON=/path/to/python3`); without it, `python3` on `PATH`.",
        "",
        "### Targets of a `pip_wheels` repository",
        "",
        "One per package, named by its normalized name with `-` and `.` spelled `_`:"
        " `python-dateutil` is `@wheels//:python_dateutil`. Each selects the wheel for the"
        " target platform and Python version, with the wheels it depends on there; a build for"
        " a platform or version the repository has no wheel for fails, naming both."
        " `bazel query @wheels//:all` lists them; the wheel files themselves are"
        " `@wheels//:cp<XY>_<platform>/<file>.whl`.",
        "",
    ]
    return lines, missing


def render() -> Tuple[str, List[str]]:
    out = [
        "# Rule reference",
        "",
        "Generated by `scripts/rule_docs.py` from the docstrings of the public `.bzl` files;",
        "CI fails when it is stale or when something public is undocumented.",
        "",
    ]
    missing: List[str] = []
    for public_file in PUBLIC:
        module = Module(ROOT / public_file)
        out += [f"## `@crosspex//{public_file.replace('/', ':', 1)}`", ""]
        out += [module.docstring(), ""]
        for name in module.names:
            if name.startswith("_"):
                continue
            text, gaps = _entry(name, *_resolve(module, name))
            if text:
                out += [text, ""]
            missing += gaps
        for name, function in module.functions.items():
            if not name.startswith("_"):
                text, gaps = _entry(name, module, function)
                out += [text, ""]
                missing += gaps
    settings, gaps = _settings()
    out += settings
    missing += gaps
    return "\n".join(out).rstrip() + "\n", missing


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text, missing = render()
    if missing:
        print("undocumented:\n  " + "\n  ".join(missing), file=sys.stderr)
    if args.check:
        stale = not DOCS.exists() or DOCS.read_text() != text
        if stale:
            print(
                f"{DOCS.relative_to(ROOT)} is stale: run python scripts/rule_docs.py",
                file=sys.stderr,
            )
        return 1 if stale or missing else 0
    DOCS.write_text(text)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
