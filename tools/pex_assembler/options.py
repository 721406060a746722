"""The PEX options a manifest carries: py_pex_binary's option attributes, one field each.

The Starlark table `py/private/pex_options.bzl` declares them; each default here is the
attribute's, so a manifest without a field means what a target without the attribute does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Tuple

from packaging.requirements import InvalidRequirement, Requirement

from pex_assembler.errors import AssemblerError

LAYOUTS = ("zipapp", "packed", "loose")
EXECUTION_MODES = ("zipapp", "venv")
INHERIT_PATH_VALUES = ("false", "fallback", "prefer")


@dataclass(frozen=True)
class PexOptions:
    python_shebang: str = ""
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
    # pex's first-run install of the embedded wheels: 1 one at a time, N in N processes, 0 one
    # per core, -1 as pex's heuristic decides.
    max_install_jobs: int = -1
    # Requirements whose distributions stay out of the PEX (exclusion.py).
    exclude: Tuple[str, ...] = ()


# The options that take one of a few values.
_CHOICES: Dict[str, Tuple[str, ...]] = {
    "inherit_path": INHERIT_PATH_VALUES,
    "layout": LAYOUTS,
    "execution_mode": EXECUTION_MODES,
}


def _bad(origin: str, key: str, value: Any, expected: str) -> AssemblerError:
    return AssemblerError(origin, f"{key!r} must be {expected}, not {value!r:.60}", f"fix {key!r}")


def _value(origin: str, key: str, value: Any, default: Any) -> Any:
    """`value` as the field whose default is `default` takes it."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise _bad(origin, key, value, "true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(origin, key, value, "an integer")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise _bad(origin, key, value, "a string")
        return value
    if isinstance(default, tuple):
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise _bad(origin, key, value, "a list of strings")
        return tuple(value)
    if not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
        raise _bad(origin, key, value, "an object of strings")
    return dict(value)


def parse(data: Mapping[str, Any], origin: str) -> PexOptions:
    """The options in a manifest's JSON object; a field it leaves out or sets to null takes
    its default."""
    values = {}
    for option in dataclasses.fields(PexOptions):
        if data.get(option.name) is None:
            continue
        default = getattr(PexOptions(), option.name)
        values[option.name] = _value(origin, option.name, data[option.name], default)
    options = PexOptions(**values)
    for key, choices in _CHOICES.items():
        if getattr(options, key) not in choices:
            raise AssemblerError(
                origin, f"{key} {getattr(options, key)!r} is not one of {choices}", "pick one"
            )
    if options.max_install_jobs < -1:
        raise AssemblerError(
            origin,
            f"max_install_jobs {options.max_install_jobs!r} is not -1, 0 or a number of jobs",
            "set -1 (pex decides), 0 (one per core), 1 (one at a time) or more",
        )
    for text in options.exclude:
        try:
            Requirement(text)
        except InvalidRequirement as exc:
            raise AssemblerError(
                origin,
                f"exclude {text!r} is not a requirement ({exc})",
                "name a project, optionally with versions, e.g. 'torch' or 'torch>=2'",
            ) from exc
    return options
