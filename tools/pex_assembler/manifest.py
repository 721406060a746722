"""The assembler's input: what goes into the PEX, for which target, with which options.

A manifest is a JSON object. Bazel writes the statically known part as JSON and passes the
(possibly large) lists of input files as `--input` / `--import-root` flags, so the rule never
flattens a transitive depset at analysis time. Outside Bazel, everything can be in the JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from pex_assembler.archive_paths import from_os
from pex_assembler.errors import AssemblerError
from pex_assembler.writer import EXECUTION_MODES, LAYOUTS

INHERIT_PATH_VALUES = ("false", "fallback", "prefer")


@dataclass(frozen=True)
class InputFile:
    """A file given to the assembler: where it is now, and its path under the runfiles root.

    `archive_path` is set when the caller already knows where the file goes in the PEX;
    otherwise it is derived from `runfiles_path` and the import roots.
    """

    path: Path
    runfiles_path: str
    archive_path: Optional[str] = None


@dataclass(frozen=True)
class Manifest:
    output: Path
    target: Mapping[str, Any]
    inputs: Tuple[InputFile, ...] = ()
    wheels: Tuple[Path, ...] = ()
    import_roots: Tuple[str, ...] = ()
    main: Optional[str] = None
    entry_point: Optional[str] = None
    python_shebang: Optional[str] = None
    interpreter_constraints: Tuple[str, ...] = ()
    inject_env: Mapping[str, str] = field(default_factory=dict)
    inject_args: Tuple[str, ...] = ()
    inherit_path: str = "false"
    compress: bool = True
    strip_pex_env: bool = True
    layout: str = "zipapp"
    execution_mode: str = "zipapp"
    sh_boot: bool = False
    pre_install_wheels: bool = False
    max_install_jobs: int = 1


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


def _strings(data: Mapping[str, Any], key: str, origin: str) -> Tuple[str, ...]:
    value = _field(data, key, list, [], origin)
    if not all(isinstance(v, str) for v in value):
        raise AssemblerError(origin, f"{key!r} must be a list of strings", f"fix {key!r}")
    return tuple(value)


def _string_dict(data: Mapping[str, Any], key: str, origin: str) -> Dict[str, str]:
    value = _field(data, key, dict, {}, origin)
    if not all(isinstance(v, str) for v in value.values()):
        raise AssemblerError(origin, f"{key!r} must map strings to strings", f"fix {key!r}")
    return dict(value)


def _sources(data: Mapping[str, Any], origin: str) -> List[InputFile]:
    sources = []
    for entry in _field(data, "sources", list, [], origin):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("archive_path"), str)
        ):
            raise AssemblerError(
                origin,
                f"source {entry!r:.60} is not {{'path': ..., 'archive_path': ...}}",
                "give each source its path and archive_path as strings",
            )
        sources.append(
            InputFile(
                path=Path(entry["path"]), runfiles_path="", archive_path=entry["archive_path"]
            )
        )
    return sources


def load(
    path: Path,
    extra_inputs: Sequence[str] = (),
    extra_import_roots: Sequence[str] = (),
) -> Manifest:
    """Reads the manifest at `path`, extended by inputs and import roots given as flags."""
    origin = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AssemblerError(
            origin, f"is not a readable JSON manifest ({exc})", "pass the manifest the rule wrote"
        ) from exc
    if not isinstance(data, dict):
        raise AssemblerError(origin, "is not a JSON object", "pass the manifest the rule wrote")
    output = _field(data, "output", str, "", origin)
    target = _field(data, "target", dict, None, origin)
    if not output or target is None:
        raise AssemblerError(origin, "needs an 'output' path and a 'target'", "add them")
    workspace_name = _field(data, "workspace_name", str, "", origin)
    inputs = _sources(data, origin) + [
        _input(spec, workspace_name, origin) for spec in extra_inputs
    ]
    inherit_path = _field(data, "inherit_path", str, "false", origin).lower()
    if inherit_path not in INHERIT_PATH_VALUES:
        raise AssemblerError(
            origin,
            f"inherit_path {inherit_path!r} is not one of {INHERIT_PATH_VALUES}",
            "pick one of them",
        )
    main = _field(data, "main", str, "", origin)
    entry_point = _field(data, "entry_point", str, "", origin)
    if main and entry_point:
        raise AssemblerError(origin, "sets both main and entry_point", "set only one of them")
    return Manifest(
        output=Path(output),
        target=target,
        inputs=tuple(inputs),
        wheels=tuple(Path(w) for w in _strings(data, "wheels", origin)),
        import_roots=_strings(data, "import_roots", origin) + tuple(extra_import_roots),
        main=runfiles_path(main, workspace_name) if main else None,
        entry_point=entry_point or None,
        python_shebang=_field(data, "python_shebang", str, "", origin) or None,
        interpreter_constraints=_strings(data, "interpreter_constraints", origin),
        inject_env=_string_dict(data, "inject_env", origin),
        inject_args=_strings(data, "inject_args", origin),
        inherit_path=inherit_path,
        compress=_field(data, "compress", bool, True, origin),
        strip_pex_env=_field(data, "strip_pex_env", bool, True, origin),
        layout=_choice(data, "layout", LAYOUTS, origin),
        execution_mode=_choice(data, "execution_mode", EXECUTION_MODES, origin),
        sh_boot=_field(data, "sh_boot", bool, False, origin),
        pre_install_wheels=_field(data, "pre_install_wheels", bool, False, origin),
        max_install_jobs=_max_install_jobs(data, origin),
    )


def _max_install_jobs(data: Mapping[str, Any], origin: str) -> int:
    value = _field(data, "max_install_jobs", int, 1, origin)
    if isinstance(value, bool) or value < -1:
        raise AssemblerError(
            origin,
            f"max_install_jobs {value!r} is not -1, 0 or a number of jobs",
            "set -1 (pex decides), 0 (one per core), 1 (one at a time) or more",
        )
    return value


def _choice(data: Mapping[str, Any], key: str, choices: Sequence[str], origin: str) -> str:
    value = _field(data, key, str, choices[0], origin)
    if value not in choices:
        raise AssemblerError(origin, f"{key} {value!r} is not one of {choices}", "pick one")
    return value
