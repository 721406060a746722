"""`assemble`: from a manifest to a PEX file, reading top to bottom."""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from pex_assembler import (
    compat,
    errors,
    exclusion,
    inputs,
    installed,
    multi,
    preinstalled,
    wheels,
    zipapp,
)
from pex_assembler.errors import AssemblerError
from pex_assembler.manifest import LayerManifest, Manifest
from pex_assembler.target import Target
from pex_assembler.writer import Resolved, write_pex, write_skeleton


def entry_point_of(manifest: Manifest, sources: dict) -> Optional[str]:
    """The entry point: the manifest's, or the module of its main file among `sources`."""
    entry_point = manifest.entry_point
    if manifest.main:
        main_path = next(
            (
                a
                for a, p in sources.items()
                if manifest.main.endswith("/" + a) or manifest.main == a
            ),
            None,
        )
        if main_path is None:
            raise AssemblerError(
                manifest.main,
                "is the main file but is not among the PEX's sources",
                "list the main file in srcs",
            )
        entry_point = inputs.module_of(main_path, manifest.main)
    return entry_point


def _version_key(version: str) -> Tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _resolved(manifest: Manifest, sources: dict) -> Resolved:
    """The entry point, and the shebang and constraints for the targets' Python versions."""
    versions = sorted({t.python_version for t in manifest.targets}, key=_version_key)
    constraints: List[str] = []
    for the_target in manifest.targets:
        version = the_target.python_version
        full = the_target.markers.get("python_full_version", version + ".0").split(".")
        # rules_py's placeholders, for users who bring their constraints along.
        placeholders = {"{major}": full[0], "{minor}": full[1], "{patch}": full[2]}
        for constraint in manifest.options.interpreter_constraints:
            for placeholder, value in placeholders.items():
                constraint = constraint.replace(placeholder, value)
            if constraint not in constraints:
                constraints.append(constraint)
    # Several versions: pex re-executes the PEX under an interpreter the constraints allow.
    python = f"python{versions[0]}" if len(versions) == 1 else "python3"
    return Resolved(
        entry_point=entry_point_of(manifest, sources),
        shebang=manifest.options.python_shebang or f"#!/usr/bin/env {python}",
        interpreter_constraints=constraints or [f"CPython=={v}.*" for v in versions],
        zip64_importable=all(_version_key(v) >= (3, 13) for v in versions),
    )


def script_entry_point(script: str, dists: Sequence[wheels.Wheel]) -> Optional[str]:
    """What pex's `-c script` runs: the `module:attr` of the console or GUI script `script`,
    or None for a file of a distribution's .data/scripts. Fails for a name that no
    distribution, or two, offer."""
    offers: Dict[str, List[Tuple[str, Optional[str]]]] = {}
    for dist in dists:
        for name, value in dist.contents.scripts:
            offers.setdefault(name, []).append((dist.filename, value))
        for scheme, path in dist.contents.files:
            if scheme == "scripts" and "/" not in path:
                offers.setdefault(path, []).append((dist.filename, None))
    found = offers.get(script, [])
    if not found:
        offered = ", ".join(sorted(offers)) or "none"
        raise AssemblerError(
            f"script {script!r}",
            f"is no script of the distributions (they offer: {offered})",
            "name one of them, or set entry_point to the module:function to run",
        )
    if len(found) > 1:
        raise AssemblerError(
            f"script {script!r}",
            f"is offered by both {found[0][0]} and {found[1][0]}",
            "depend on one of them only, or set entry_point to the module:function to run",
        )
    return found[0][1]


def _with_script(manifest: Manifest, resolved: Resolved, dists: Sequence[wheels.Wheel]) -> Resolved:
    """The entry point, or the file, that the manifest's script names."""
    if not manifest.script:
        return resolved
    entry_point = script_entry_point(manifest.script, dists)
    if entry_point:
        return dataclasses.replace(resolved, entry_point=entry_point)
    return dataclasses.replace(resolved, script=manifest.script)


def _check_entry_point(entry_point: str, sources: dict, dists: list) -> None:
    module = entry_point.split(":", 1)[0]
    candidates = [module.replace(".", "/") + ".py", module.replace(".", "/") + "/__init__.py"]
    if any(c in sources for c in candidates) or dists:
        return
    raise AssemblerError(
        f"entry_point {entry_point!r}",
        f"names module {module!r}, which no source file provides",
        "add the module to srcs or deps, or fix entry_point",
    )


@contextlib.contextmanager
def _confined_to(workdir: Path) -> Iterator[None]:
    """pex caches under PEX_ROOT, HOME and the temp dir: keep them all inside `workdir`."""
    saved_env = {k: os.environ.get(k) for k in ("PEX_ROOT", "HOME", "TMPDIR")}
    saved_tempdir = tempfile.tempdir
    (workdir / "tmp").mkdir()
    os.environ.update(
        PEX_ROOT=str(workdir / "pex_root"), HOME=str(workdir / "home"), TMPDIR=str(workdir / "tmp")
    )
    tempfile.tempdir = str(workdir / "tmp")
    try:
        yield
    finally:
        tempfile.tempdir = saved_tempdir
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def assemble(
    manifest: Manifest,
    skeleton: Optional[Path] = None,
    installed: Optional[Sequence[Path]] = None,
) -> Path:
    """Writes the PEX `manifest` describes; on error nothing is left at the output path.

    A zipapp is completed from `skeleton` when given (as Bazel does, from its own cached
    action), else from one pex writes here first. Its pre-installed wheels are taken from
    the `installed` zips when given (`install_wheels` wrote them, in actions of their own),
    else installed here first.
    """
    output = manifest.output
    try:
        _assemble(manifest, output, skeleton, installed)
    except BaseException:
        _discard(output)
        raise
    return output


def _discard(output: Path) -> None:
    """A failed build leaves no output behind, not even one from an earlier build; where
    nothing can be removed (a read-only file system), the build's own error stands."""
    with contextlib.suppress(OSError):
        if output.is_dir() and not output.is_symlink():
            shutil.rmtree(output)
        else:
            output.unlink(missing_ok=True)


def skeleton(manifest: Manifest, output: Path) -> Path:
    """Writes pex's zipapp for the manifest's options and target, without code or wheels."""
    if manifest.options.layout != "zipapp":
        raise AssemblerError(
            str(output),
            "is a skeleton for a zipapp, which this manifest does not ask for",
            "build packed and loose PEXes without a skeleton",
        )
    try:
        with _workdir(output) as workdir, _confined_to(workdir):
            # No code, so no main: the entry point goes into PEX-INFO with the code.
            codeless = dataclasses.replace(manifest, main=None, entry_point=None)
            resolved = _resolved(codeless, {})
            write_skeleton(output, manifest.output.name, manifest.options, resolved, workdir)
    except BaseException:
        _discard(output)
        raise
    return output


@contextlib.contextmanager
def _workdir(output: Path) -> Iterator[Path]:
    """A staging directory beside `output`, gone afterwards; a killed build's are cleared."""
    with errors.writing(output):
        output.parent.mkdir(parents=True, exist_ok=True)
        for debris in output.parent.glob(f".{glob.escape(output.name)}.*"):
            if debris.is_dir() and not debris.is_symlink():
                shutil.rmtree(debris, ignore_errors=True)
            else:
                debris.unlink(missing_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
        try:
            yield workdir
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def _read_wheels(paths: List[Path], records: Dict[str, dict]) -> List[wheels.Wheel]:
    """Each wheel from its record (several at once: binding one reads the whole file), or
    checked here when it has none."""

    def read(path: Path) -> wheels.Wheel:
        record = records.get(str(path))
        return wheels.from_record(path, record) if record else wheels.read_wheel(path)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(read, paths))


def _read(manifest: Manifest, workdir: Path) -> Tuple[inputs.SortedInputs, List[wheels.Wheel]]:
    """The sorted inputs and their wheels, read (installed trees packed into wheels in
    `workdir` first)."""
    sorted_inputs = inputs.sort_inputs(manifest.inputs, manifest.import_roots)
    wheel_paths = list(sorted_inputs.wheels)
    for tree in sorted_inputs.trees.values():
        wheel_paths += [wheel for _, wheel in installed.repack(tree, workdir)]
    records = {}
    for record_path in sorted_inputs.wheel_records:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        records[record.get("wheel")] = record
    return sorted_inputs, _read_wheels(wheel_paths, records)


def _check(
    the_target: Target, sorted_inputs: inputs.SortedInputs, read: List[wheels.Wheel], merged: bool
) -> List[wheels.Wheel]:
    """The wheels, each checked against the target and all together; `merged` when
    everything installs into one virtualenv."""
    dists = compat.check_wheels(read, the_target)
    compat.check_file_system(the_target, sorted_inputs.sources, dists, merged)
    return dists


def _checked(manifest: Manifest, workdir: Path, merged: bool) -> Tuple[inputs.SortedInputs, list]:
    """The sorted inputs, and every wheel checked against the target."""
    sorted_inputs, read = _read(manifest, workdir)
    return sorted_inputs, _check(manifest.target, sorted_inputs, read, merged)


def _checked_branches(
    manifest: Manifest, workdir: Path, merged: bool
) -> Tuple[Dict[str, Path], List[wheels.Wheel], Optional[List[str]]]:
    """The first-party files, the wheels, and (for several targets) the requirements with
    their markers: each target's inputs checked as for a PEX of its own, then merged."""
    if not manifest.branches:
        sorted_inputs, dists = _checked(manifest, workdir, merged)
        return (
            sorted_inputs.sources,
            exclusion.kept(dists, manifest.options.exclude, manifest.target),
            None,
        )
    options = manifest.options
    if options.layout != "zipapp" or options.pre_install_wheels:
        raise AssemblerError(
            str(manifest.output),
            f"is a PEX for {len(manifest.branches)} targets with "
            + ("pre_install_wheels" if options.pre_install_wheels else f"layout {options.layout!r}")
            + ": pex cannot install wheels for a platform other than the one it runs on, and "
            "crosspex writes a PEX for several targets as a zipapp of embedded wheels",
            'drop pre_install_wheels and keep layout = "zipapp", or build one PEX per platform',
        )
    chosen = []
    # Each set of inputs read once: a target's own, or a pool that several choose from.
    read: Dict[str, Tuple[inputs.SortedInputs, List[wheels.Wheel]]] = {}
    for branch in manifest.branches:
        source = branch.pool or branch.key
        if source not in read:
            part = dataclasses.replace(
                manifest,
                inputs=manifest.inputs + branch.inputs,
                import_roots=manifest.import_roots + branch.import_roots,
                branches=(),
            )
            # Installed trees are packed into wheels per input set, in a directory each.
            read[source] = _read(part, Path(tempfile.mkdtemp(dir=workdir)))
        sorted_inputs, offered = read[source]
        if branch.pool:
            offered = multi.best_fitting(offered, branch.target, branch.key)
        dists = _check(branch.target, sorted_inputs, offered, merged)
        dists = exclusion.kept(dists, options.exclude, branch.target)
        chosen.append(multi.Chosen(branch.key, branch.target, sorted_inputs.sources, dists))
    for pool in {b.pool for b in manifest.branches if b.pool}:
        multi.check_pool(read[pool][1], [b.target for b in manifest.branches if b.pool == pool])
    return multi.same_sources(chosen), multi.union_of_wheels(chosen), multi.requirements(chosen)


def install_wheels(wheel_paths: Sequence[Path], output: Path, compress: bool) -> Path:
    """Writes the wheels (or directories of wheels), installed as pex installs them, as the
    installed zip `output` for `assemble`; on error nothing is left at the output path.

    Each wheel has passed its check (the caller's action takes its record as an input).
    """
    found: List[Path] = []
    for given in wheel_paths:
        found += sorted(given.glob("*.whl")) if given.is_dir() else [given]
    try:
        with _workdir(output) as workdir, _confined_to(workdir):
            staged = workdir / output.name
            preinstalled.install(found, staged, compress, workdir)
            os.replace(staged, output)
    except BaseException:
        _discard(output)
        raise
    return output


def _assemble(
    manifest: Manifest,
    output: Path,
    given_skeleton: Optional[Path],
    given_installed: Optional[Sequence[Path]],
) -> None:
    with _workdir(output) as workdir:
        options = manifest.options
        merged = options.execution_mode == "venv"
        sources, dists, requirements = _checked_branches(manifest, workdir, merged)
        resolved = _with_script(manifest, _resolved(manifest, sources), dists)
        if resolved.entry_point and not manifest.main:
            _check_entry_point(resolved.entry_point, sources, dists)
        if options.layout != "zipapp":
            with _confined_to(workdir):
                write_pex(output, sources, dists, options, resolved, workdir)
            return
        to_install = options.pre_install_wheels and given_installed is None
        if given_skeleton is None or to_install:
            with _confined_to(workdir):
                if given_skeleton is None:
                    given_skeleton = workdir / "skeleton.pex"
                    write_skeleton(given_skeleton, output.name, options, resolved, workdir)
                if to_install:
                    given_installed = [workdir / "installed.zip"]
                    wheel_paths = [d.path for d in dists]
                    preinstalled.install(wheel_paths, given_installed[0], options.compress, workdir)
        installed = preinstalled.read(given_installed) if options.pre_install_wheels else None
        zipapp.write_zipapp(
            output,
            given_skeleton,
            resolved.entry_point,
            sources,
            dists,
            zip64_importable=resolved.zip64_importable,
            compress=options.compress,
            staged=workdir / output.name,
            requirements=requirements,
            script=resolved.script,
            installed=installed,
        )


def venv_layer(layer: LayerManifest, installed: Optional[Mapping[str, str]] = None) -> Path:
    """Writes the tar layer of a virtualenv at the layer's prefix for its target and inputs,
    with .pyc when it names a bytecode interpreter (the target's CPython version, on this
    machine); on error nothing is left at the output path. Given the files that layers of
    their own hold (`installed`, each with its origin), only the virtualenv's own part: every
    input is checked as for the whole, but only trees no other layer installed are."""
    # pypa/installer is among the libraries of pex-importing actions only.
    from pex_assembler import venv_layer as venv_layer_module

    manifest = layer.content
    output = manifest.output
    try:
        with _workdir(output) as workdir:
            the_target = manifest.target
            sorted_inputs, dists = _checked(manifest, workdir, merged=True)
            if the_target.markers.get("sys_platform") == "win32":
                raise AssemblerError(
                    layer.name,
                    f"is a virtualenv layer for {the_target.name}, and crosspex writes POSIX "
                    "virtualenvs only (bin/, #! scripts), not Windows ones (Scripts/, launchers)",
                    "build a py_pex_binary for Windows targets",
                )
            entry_point = entry_point_of(manifest, sorted_inputs.sources)
            if entry_point and not manifest.main:
                _check_entry_point(entry_point, sorted_inputs.sources, dists)
            if manifest.script:
                script_entry_point(manifest.script, dists)
            spec = venv_layer_module.VenvSpec(
                prefix=layer.prefix,
                interpreter=layer.interpreter,
                python_version=the_target.python_version,
                name=layer.name,
                bytecode_interpreter=layer.bytecode_interpreter,
                invalidation_mode=layer.invalidation_mode,
                script=manifest.script,
            )
            if installed is None:
                venv_layer_module.write_layer(
                    spec, [d.path for d in dists], sorted_inputs.sources, entry_point, output
                )
            else:
                # Installed trees of files, packed here: no layer of their own holds them.
                packed = [d.path for d in dists if workdir in d.path.parents]
                venv_layer_module.write_app(
                    spec, sorted_inputs.sources, entry_point, installed, packed, output
                )
    except BaseException:
        _discard(output)
        raise
    return output
