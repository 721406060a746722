"""Runs the real Bazel on a real workspace, each test session with its own output bases.

The Bazel is Debian's 7.7.1 with bzlmod (the one `.bazelversion` names): `scripts/bazel7.sh`
sets it up once and prints the command that runs it. What Bazel 8 and 9 change is covered by
FORWARD_FLAGS.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set

ROOT = Path(__file__).resolve().parents[2]
# The flags Bazel 8 and 9 turn on, or that their removals amount to, as 7.7.1 knows them.
FORWARD_FLAGS = (
    "--incompatible_auto_exec_groups",
    "--incompatible_disallow_empty_glob",
    "--incompatible_no_implicit_watch_label",
    "--incompatible_autoload_externally=",
)

# Commands that take build options (the forward-compatibility flags among them).
_BUILD_COMMANDS = {"build", "run", "test", "cquery", "aquery"}


@functools.lru_cache(maxsize=None)
def bazel_command() -> str:
    """The command that runs Bazel, set up by scripts/bazel7.sh."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "bazel7.sh")], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"scripts/bazel7.sh failed:\n{done.stderr[-6000:]}")
    return done.stdout.strip()


@dataclass
class Bazel:
    """One Bazel server: a workspace, an output base, and the client's environment and umask."""

    workspace: Path
    output_base: Path
    env: Optional[Dict[str, str]] = None
    umask: Optional[int] = None
    flags: Sequence[str] = ()

    def command(self, *args: str) -> List[str]:
        """The client's command line for `args` (a Bazel command and its arguments)."""
        if args and args[0] in _BUILD_COMMANDS:
            args = (args[0], *self.flags, *args[1:])
        return [
            bazel_command(),
            f"--output_base={self.output_base}",
            "--max_idle_secs=300",
            *args,
        ]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = self.command(*args)
        done = subprocess.run(
            command,
            cwd=self.workspace,
            capture_output=True,
            text=True,
            check=False,
            env=self.env,
            preexec_fn=None if self.umask is None else lambda: os.umask(self.umask),
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(command)} failed:\n{done.stderr[-6000:]}")
        return done

    def build(self, *targets: str, platform: Optional[str] = None, check: bool = True):
        flags = ["--color=no", "--curses=no", "--show_timestamps=no"]
        if platform:
            flags.append(f"--platforms=@crosspex//py/platforms:{platform}")
        return self.run("build", *flags, *targets, check=check)

    def aquery(self, expression: str, *flags: str) -> dict:
        """The action graph of `expression`, as Bazel's jsonproto output."""
        return json.loads(self.run("aquery", *flags, "--output=jsonproto", expression).stdout)

    def output(self, relative: str) -> Path:
        bin_dir = self.run("info", "bazel-bin").stdout.strip()
        return Path(bin_dir) / relative

    def external(self, name: str) -> Path:
        """The directory of repository `name` of one of crosspex's module extensions."""
        external = self.output_base / "external"
        found = [p for p in external.glob(f"*{name}") if p.name in _bzlmod_names(name)]
        if len(found) != 1:
            raise AssertionError(f"no single repository {name} in {external}: {found}")
        return found[0]

    def wheel_files(self, hub: str = "wheels") -> List[Path]:
        """The wheel files of pip_wheels hub `hub` fetched so far (in each repository's
        `file/`, as Bazel's http_file writes it)."""
        return sorted(w for r in self.wheel_repositories(hub) for w in r.glob("file/*.whl"))

    def wheel_repositories(self, hub: str = "wheels") -> List[Path]:
        """The fetched repositories of pip_wheels hub `hub`'s wheels, one wheel file each."""
        external = self.output_base / "external"
        names = set(_bzlmod_names(hub))
        return sorted(
            p
            for p in external.glob(f"*{hub}__*")
            if p.is_dir() and p.name.split("__", 1)[0] in names
        )

    def exec_python(self) -> str:
        """The interpreter the assembler runs on, as crosspex found it."""
        return (self.external("crosspex_exec_python") / "interpreter_path.txt").read_text().strip()

    def shutdown(self) -> None:
        self.run("shutdown", check=False)


def _bzlmod_names(name: str) -> List[str]:
    # A repository of crosspex's module extensions, as Bazel 7 (~) and 8 (+) spell it.
    return [
        spelling
        for extension in ("crosspex", "crosspex_setup")
        for spelling in (f"crosspex~~{extension}~{name}", f"crosspex++{extension}+{name}")
    ]


# What crosspex's actions are called in Bazel's action graph and execution log.
PEX_MNEMONICS = ("PexAssemble", "PexSkeleton", "PexWheelCheck", "PexRepack")
LAYER_MNEMONICS = (
    "PexWheelCheck",
    "PexVenvInstall",
    "PexVenvGroup",
    "PexVenvLayer",
    "PexVenvMerge",
)


def pex_spawns(log: Path, mnemonics: Sequence[str] = PEX_MNEMONICS) -> List[dict]:
    """crosspex's actions in an `--execution_log_json_file` log (concatenated JSON objects):
    a PEX's, or those of `mnemonics`."""
    decoder = json.JSONDecoder()
    text, position, spawns = log.read_text(), 0, []
    while position < len(text):
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            break
        spawn, position = decoder.raw_decode(text, position)
        if spawn.get("mnemonic") in mnemonics:
            spawns.append(spawn)
    return spawns


def pex_info(pex: Path) -> dict:
    with zipfile.ZipFile(pex) as archive:
        return json.loads(archive.read("PEX-INFO"))


def deps_in(pex: Path) -> List[str]:
    with zipfile.ZipFile(pex) as archive:
        return sorted(
            {
                n.split("/")[1]
                for n in archive.namelist()
                if n.startswith(".deps/") and n != ".deps/"
            }
        )


def _artifact_paths(aquery: dict):
    """A function from an aquery artifact id to its execroot-relative path."""
    fragments = {f["id"]: f for f in aquery["pathFragments"]}
    artifacts = {a["id"]: a["pathFragmentId"] for a in aquery["artifacts"]}

    def path(artifact_id):
        parts, fragment_id = [], artifacts[artifact_id]
        while fragment_id:
            parts.append(fragments[fragment_id]["label"])
            fragment_id = fragments[fragment_id].get("parentId")
        return "/".join(reversed(parts))

    return path


def action_inputs(aquery: dict, action: dict) -> Set[str]:
    """The execroot-relative paths of an aquery action's inputs."""
    path = _artifact_paths(aquery)
    depsets = {d["id"]: d for d in aquery["depSetOfFiles"]}
    pending, seen, inputs = list(action.get("inputDepSetIds", [])), set(), set()
    while pending:
        depset = depsets[pending.pop()]
        if depset["id"] in seen:
            continue
        seen.add(depset["id"])
        inputs.update(path(a) for a in depset.get("directArtifactIds", []))
        pending.extend(depset.get("transitiveDepSetIds", []))
    return inputs


def action_outputs(aquery: dict, action: dict) -> Set[str]:
    """The execroot-relative paths of an aquery action's outputs."""
    path = _artifact_paths(aquery)
    return {path(a) for a in action.get("outputIds", [])}
