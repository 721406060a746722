"""The assembler's input: what goes into a PEX or a virtualenv layer, for which target, with
which options.

A manifest is a JSON object: what the rule knows at analysis time. The (possibly large) lists
of input files and import roots come beside it as `--input` / `--import-root` flags, so the
rule never flattens a transitive depset. That is the one form the assembler reads, in Bazel
and outside it.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from pex_assembler import options, target
from pex_assembler.archive_paths import from_os
from pex_assembler.bytecode import INVALIDATION_MODES
from pex_assembler.errors import AssemblerError
from pex_assembler.options import PexOptions
from pex_assembler.target import Target


@dataclass(frozen=True)
class InputFile:
    """A file given to the assembler: where it is now, and its path under the runfiles root."""

    path: Path
    runfiles_path: str


@dataclass(frozen=True)
class Branch:
    """One target of a PEX for several: its name in the build, and the inputs built for it
    (besides the manifest's own, which every target shares)."""

    key: str
    target: Target
    inputs: Tuple[InputFile, ...] = ()
    import_roots: Tuple[str, ...] = ()
    # The key of inputs that several targets share (a complete platform's), from which it
    # takes each project's best-fitting wheel; None: its own inputs, every wheel its own.
    pool: Optional[str] = None


@dataclass(frozen=True)
class Manifest:
    output: Path
    # The target; of a PEX for several targets, the first branch's.
    target: Target
    inputs: Tuple[InputFile, ...] = ()
    import_roots: Tuple[str, ...] = ()
    main: Optional[str] = None
    entry_point: Optional[str] = None
    # A distribution's script to run, as pex's -c.
    script: Optional[str] = None
    options: PexOptions = field(default_factory=PexOptions)
    # A PEX for several targets: one branch each.
    branches: Tuple[Branch, ...] = ()

    @property
    def targets(self) -> Tuple[Target, ...]:
        return tuple(b.target for b in self.branches) or (self.target,)


@dataclass(frozen=True)
class LayerManifest:
    """A virtualenv layer's manifest: what goes into it, as into a PEX, and where it goes in
    the image."""

    content: Manifest
    prefix: str
    interpreter: str
    # The layer's entry point is bin/<name>.
    name: str
    # A CPython of the target's version on the exec platform, to ship .pyc; None ships none.
    bytecode_interpreter: Optional[str] = None
    invalidation_mode: str = INVALIDATION_MODES[0]


def runfiles_path(short_path: str, workspace_name: str) -> str:
    """Bazel's File.short_path as a path under the runfiles root (`<repo>/<path>`)."""
    if short_path.startswith("../"):
        return short_path[3:]
    return f"{workspace_name}/{short_path}"


def parse_input(spec: str, origin: str) -> Tuple[str, Path]:
    """An `--input` flag's value, `SHORT_PATH=PATH`."""
    short_path, sep, path = spec.partition("=")
    if not sep or not short_path or not path:
        raise AssemblerError(
            origin, f"input {spec!r} is not SHORT_PATH=PATH", "pass --input SHORT_PATH=PATH"
        )
    return from_os(short_path), Path(path)


def _input(spec: str, workspace_name: str, origin: str) -> InputFile:
    short_path, path = parse_input(spec, origin)
    return InputFile(path=path, runfiles_path=runfiles_path(short_path, workspace_name))


def _field(data: Mapping[str, Any], key: str, kind: type, default: Any, origin: str) -> Any:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise AssemblerError(
            origin, f"{key!r} must be a {kind.__name__}, not {value!r:.60}", f"fix {key!r}"
        )
    return value


def _target(spec: Mapping[str, Any]) -> Target:
    """The target a manifest names: a complete-platform file, or a platform spec + Python."""
    name = spec.get("name", "")
    complete_platform = spec.get("complete_platform")
    if isinstance(complete_platform, str) and complete_platform and isinstance(name, str):
        return target.from_complete_platform(Path(complete_platform), name)
    platform, version = spec.get("platform"), spec.get("python_version")
    if not (
        isinstance(platform, dict)
        and all(isinstance(v, str) for v in platform.values())
        and isinstance(version, str)
    ):
        raise AssemblerError(
            "manifest target",
            "names neither a complete_platform file nor a platform spec and python_version",
            "set complete_platform, or register a target toolchain for the platform",
        )
    return target.from_spec(platform, version)


def _read(path: Path) -> Dict[str, Any]:
    origin = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AssemblerError(
            origin, f"is not a readable JSON manifest ({exc})", "pass the manifest the rule wrote"
        ) from exc
    if not isinstance(data, dict):
        raise AssemblerError(origin, "is not a JSON object", "pass the manifest the rule wrote")
    return data


def _keyed(given: Sequence[str], origin: str) -> Dict[str, List[str]]:
    """`--target-input` / `--target-import-root` values, `KEY=VALUE`, by key."""
    found: Dict[str, List[str]] = {}
    for each in given:
        key, sep, value = each.partition("=")
        if not sep or not key:
            raise AssemblerError(origin, f"{each!r} is not KEY=VALUE", "name the target's key")
        found.setdefault(key, []).append(value)
    return found


def _branches(
    data: Mapping[str, Any],
    origin: str,
    workspace_name: str,
    target_inputs: Sequence[str],
    target_import_roots: Sequence[str],
) -> Tuple[Branch, ...]:
    specs = _field(data, "targets", list, [], origin)
    inputs, roots = _keyed(target_inputs, origin), _keyed(target_import_roots, origin)
    branches = []
    for spec in specs:
        key = spec.get("key") if isinstance(spec, dict) else None
        if not isinstance(key, str) or not key:
            raise AssemblerError(origin, "has a target without its 'key'", "add it")
        pool = _field(spec, "inputs_of", str, "", origin) or None
        source = pool or key
        files = tuple(_input(given, workspace_name, origin) for given in inputs.get(source, []))
        given_roots = tuple(roots.get(source, []))
        branches.append(Branch(key, _target(spec), files, given_roots, pool))
    named = {b.pool or b.key for b in branches}
    unknown = sorted({*inputs, *roots} - named)
    if unknown:
        raise AssemblerError(
            origin,
            f"has no target {unknown[0]!r}, which inputs name",
            "name only the manifest's targets' keys",
        )
    keys = [b.key for b in branches]
    if len(set(keys)) != len(keys):
        twice = sorted(k for k in set(keys) if keys.count(k) > 1)[0]
        raise AssemblerError(origin, f"names target {twice!r} twice", "give each target a key")
    return tuple(branches)


def _content(
    data: Mapping[str, Any],
    origin: str,
    inputs: Sequence[str],
    import_roots: Sequence[str],
    target_inputs: Sequence[str] = (),
    target_import_roots: Sequence[str] = (),
) -> Manifest:
    output = _field(data, "output", str, "", origin)
    workspace_name = _field(data, "workspace_name", str, "", origin)
    branches = _branches(data, origin, workspace_name, target_inputs, target_import_roots)
    spec = _field(data, "target", dict, None, origin)
    if not output or (spec is None) == (not branches):
        raise AssemblerError(
            origin, "needs an 'output' path and a 'target' or 'targets'", "add them"
        )
    files = tuple(_input(given, workspace_name, origin) for given in inputs)
    main = _field(data, "main", str, "", origin)
    entry_point = _field(data, "entry_point", str, "", origin)
    script = _field(data, "script", str, "", origin)
    given = [k for k, v in (("main", main), ("entry_point", entry_point), ("script", script)) if v]
    if len(given) > 1:
        raise AssemblerError(origin, f"sets both {given[0]} and {given[1]}", "set only one of them")
    return Manifest(
        output=Path(output),
        target=_target(spec) if spec is not None else branches[0].target,
        inputs=files,
        import_roots=tuple(import_roots),
        main=runfiles_path(main, workspace_name) if main else None,
        entry_point=entry_point or None,
        script=script or None,
        options=options.parse(data, origin),
        branches=branches,
    )


def load(
    path: Path,
    inputs: Sequence[str] = (),
    import_roots: Sequence[str] = (),
    target_inputs: Sequence[str] = (),
    target_import_roots: Sequence[str] = (),
) -> Manifest:
    """Reads the manifest at `path`, for the input files (`SHORT_PATH=PATH`) and import roots
    given beside it, and those of each of its targets (`KEY=SHORT_PATH=PATH`, `KEY=ROOT`)."""
    return _content(
        _read(path), str(path), inputs, import_roots, target_inputs, target_import_roots
    )


def image_path(value: str, origin: str, key: str = "path") -> str:
    """A path in the image, which the layer's links and scripts name: absolute, normalised."""
    if posixpath.normpath(value) != value or not value.startswith("/"):
        raise AssemblerError(
            origin,
            f"{key} {value!r} is not an absolute, normalised path",
            "give the path it has in the image, e.g. /opt/venv or /usr/bin/python3.11",
        )
    return value


def _image_path(data: Mapping[str, Any], key: str, origin: str) -> str:
    return image_path(_field(data, key, str, "", origin), origin, key)


def load_layer(
    path: Path, inputs: Sequence[str] = (), import_roots: Sequence[str] = ()
) -> LayerManifest:
    """Reads a virtualenv layer's manifest at `path`, for the input files and import roots
    given beside it."""
    origin = str(path)
    data = _read(path)
    prefix = _image_path(data, "prefix", origin)
    interpreter = _image_path(data, "interpreter", origin)
    name = _field(data, "name", str, "", origin)
    if not name:
        raise AssemblerError(origin, "needs the 'name' of the layer's bin/<name>", "add it")
    mode = _field(data, "invalidation_mode", str, INVALIDATION_MODES[0], origin)
    if mode not in INVALIDATION_MODES:
        raise AssemblerError(
            origin, f"invalidation_mode {mode!r} is not one of {INVALIDATION_MODES}", "pick one"
        )
    return LayerManifest(
        content=_content(data, origin, inputs, import_roots),
        prefix=prefix,
        interpreter=interpreter,
        name=name,
        bytecode_interpreter=_field(data, "bytecode_interpreter", str, "", origin) or None,
        invalidation_mode=mode,
    )
