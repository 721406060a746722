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
PUBLIC = ["py/defs.bzl", "py/toolchains.bzl", "py/repositories.bzl", "py/extensions.bzl"]
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
    if isinstance(value, ast.Name) and value.id in module.loads:
        source, symbol = module.loads[value.id]
        path = ROOT / source.lstrip("/").replace(":", "/").replace("//", "")
        if source.startswith(":"):
            path = module.path.parent / source[1:]
        return _resolve(Module(path), symbol)
    if name in module.functions:
        return module, module.functions[name]
    return module, value


def _attrs(module: Module, node: Optional[ast.AST]) -> List[Tuple[str, str, str]]:
    if isinstance(node, ast.Name):
        node = module.names.get(node.id)
    if not isinstance(node, ast.Dict):
        return []
    rows = []
    for key, value in zip(node.keys, node.values):
        name = _string(key, {})
        if name.startswith("_") or not isinstance(value, ast.Call):
            continue
        kind = value.func.attr if isinstance(value.func, ast.Attribute) else "?"
        rows.append((name, kind, _string(_kwargs(value).get("doc"), module.names)))
    return rows


def _entry(public: str, module: Module, definition) -> Tuple[str, List[str]]:
    """The markdown of one public symbol, and what it fails to document."""
    missing: List[str] = []
    lines = [f"### `{public}`", ""]
    if isinstance(definition, ast.FunctionDef):
        doc = ast.get_docstring(definition) or ""
        params = [a.arg for a in definition.args.args + definition.args.kwonlyargs]
        if definition.args.kwarg:
            params.append("**" + definition.args.kwarg.arg)
        lines += [f"`{public}({', '.join(params)})` (macro)", "", doc or "", ""]
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
            rows = [(_string(k, {}), "field", _string(v, module.names))
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
    if rows:
        lines += ["| attribute | type | doc |", "|---|---|---|"]
        for name, attr_kind, attr_doc in rows:
            lines.append(f"| `{name}` | {attr_kind} | {' '.join(attr_doc.split())} |")
            if not attr_doc:
                missing.append(f"{public}: attribute {name} has no doc")
        lines.append("")
    return "\n".join(lines), missing


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
