"""Runs the real Bazel on a real workspace, each test session with its own output bases."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Set


@dataclass
class Bazel:
    """One Bazel server: a workspace, an output base, and the client's environment and umask."""

    workspace: Path
    output_base: Path
    env: Optional[Dict[str, str]] = None
    umask: Optional[int] = None

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [
            "bazel",
            f"--output_base={self.output_base}",
            "--max_idle_secs=300",
            *args,
        ]
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

    def shutdown(self) -> None:
        self.run("shutdown", check=False)


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


def action_inputs(aquery: dict, action: dict) -> Set[str]:
    """The execroot-relative paths of an aquery action's inputs."""
    fragments = {f["id"]: f for f in aquery["pathFragments"]}
    artifacts = {a["id"]: a["pathFragmentId"] for a in aquery["artifacts"]}
    depsets = {d["id"]: d for d in aquery["depSetOfFiles"]}

    def path(fragment_id):
        parts = []
        while fragment_id:
            parts.append(fragments[fragment_id]["label"])
            fragment_id = fragments[fragment_id].get("parentId")
        return "/".join(reversed(parts))

    pending, seen, inputs = list(action["inputDepSetIds"]), set(), set()
    while pending:
        depset = depsets[pending.pop()]
        if depset["id"] in seen:
            continue
        seen.add(depset["id"])
        inputs.update(path(artifacts[a]) for a in depset.get("directArtifactIds", []))
        pending.extend(depset.get("transitiveDepSetIds", []))
    return inputs
