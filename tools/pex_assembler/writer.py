"""pex's own builder: the skeleton of every zipapp; whole packed and loose PEXes."""

from __future__ import annotations

import dataclasses
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

from pex_assembler import modes, preinstalled
from pex_assembler.options import PexOptions
from pex_assembler.wheels import Wheel, digests
from pex_assembler.zipapp import check_zipimport


@dataclass(frozen=True)
class Resolved:
    """What the target and the sources settle: how the PEX starts, and where it can run."""

    entry_point: Optional[str]
    shebang: str
    interpreter_constraints: Sequence[str]
    # CPython 3.13 and later import zipapps past zipimport's old limits.
    zip64_importable: bool = False
    # A file of a distribution's .data/scripts to run, as pex's -c writes it; a console
    # script is its entry point instead.
    script: Optional[str] = None


def spell_out_defaults(info) -> None:
    """Writes into pex's PexInfo `info` the fields pex's CLI writes for its defaults, as it
    spells them, where PEXBuilder alone leaves them out: the same meaning, and PEX-INFO
    then reads as the CLI's."""
    info.bind_resource_paths = {}
    info.emit_warnings = True
    info.ignore_errors = False
    info.inject_python_args = []
    info.pex_path = []
    info.venv_bin_path = "false"
    info.venv_copies = False
    info.venv_hermetic_scripts = True
    info.venv_site_packages_copies = False
    info.venv_system_site_packages = False
    info.venv = False
    info.includes_tools = False


def _builder(options: PexOptions, resolved: Resolved, workdir: Path):
    """pex's PEXBuilder in `workdir`, with the options set and nothing added yet."""
    # pex reads PEX_ROOT when first imported; the caller has pointed it into `workdir`.
    from pex.dist_metadata import Requirement
    from pex.inherit_path import InheritPath
    from pex.interpreter import PythonIdentity, PythonInterpreter
    from pex.interpreter_constraints import InterpreterConstraints
    from pex.pex_builder import CopyMode, PEXBuilder

    # The running interpreter, identified in-process: pex's default spawns a subprocess (and
    # copies pex into PEX_ROOT) only to learn what the target never uses.
    here = PythonInterpreter(PythonIdentity.get())
    builder = PEXBuilder(path=str(workdir / "chroot"), interpreter=here, copy_mode=CopyMode.COPY)
    info = builder.info
    spell_out_defaults(info)
    # Embedded .whl files are installed on first run; pre-installed ones are zipped trees.
    info.deps_are_wheel_files = not options.pre_install_wheels
    info.inherit_path = InheritPath.for_value(options.inherit_path)
    info.inject_env = dict(options.inject_env)
    info.inject_args = list(options.inject_args)
    info.strip_pex_env = options.strip_pex_env
    info.max_install_jobs = options.max_install_jobs
    info.interpreter_constraints = InterpreterConstraints.parse(*resolved.interpreter_constraints)
    for requirement in options.exclude:
        info.add_exclude(Requirement.parse(requirement))
    if options.execution_mode == "venv":
        info.venv = True
        info.includes_tools = True
    if resolved.script:
        info.script = resolved.script
    builder.info = info
    if resolved.entry_point:
        builder.set_entry_point(resolved.entry_point)
    builder.set_shebang(resolved.shebang)
    return builder


def _build(builder, staged: Path, pex_name: str, options: PexOptions, resolved: Resolved) -> None:
    from pex.layout import Layout
    from pex.pex_builder import Check
    from pex.targets import Targets

    layout = Layout.for_value(options.layout)
    builder.freeze(bytecode_compile=False)
    # pex copies its own library files and the inputs with the modes it finds on disk.
    modes.normalise_tree(Path(builder.path()))
    if options.sh_boot:
        builder.set_sh_boot_script(
            pex_name=pex_name,
            targets=Targets(),
            python_shebang=resolved.shebang,
            layout=layout,
        )
    builder.build(
        str(staged),
        bytecode_compile=False,
        deterministic=True,
        layout=layout,
        compress=options.compress,
        check=Check.NONE,
    )


def write_skeleton(
    output: Path, pex_name: str, options: PexOptions, resolved: Resolved, workdir: Path
) -> None:
    """The zipapp pex builds with these options and no code: what `zipapp` completes.

    `pex_name` is the name of the PEX to be written from it (a sh_boot header holds it).
    """
    staged = workdir / "skeleton.pex"
    # The entry point is the app's, written into PEX-INFO with the code.
    skeleton = dataclasses.replace(resolved, entry_point=None, script=None)
    _build(_builder(options, skeleton, workdir), staged, pex_name, options, skeleton)
    os.replace(staged, output)


def write_pex(
    output: Path,
    sources: Mapping[str, Path],
    wheels: Sequence[Wheel],
    options: PexOptions,
    resolved: Resolved,
    workdir: Path,
) -> None:
    """Builds the PEX with pex alone in `workdir`; moves it to `output` in one rename.

    For packed and loose PEXes, their wheels embedded or installed at build time.
    """
    builder = _builder(options, resolved, workdir)
    for archive_path in sorted(sources):
        builder.add_source(str(sources[archive_path]), archive_path)
    for wheel in wheels:
        if options.pre_install_wheels:
            # pex wants absolute paths; Bazel gives execroot-relative ones.
            installed = (workdir / "installed" / wheel.filename).absolute()
            preinstalled.install_chroot(wheel.path, installed)
            builder.add_dist_location(str(installed))
        else:
            # pex's CLI fingerprints a wheel file by its sha256 (PEXBuilder alone, by sha1).
            fingerprint = wheel.fingerprint or digests(wheel.path)[0]
            builder.add_dist_location(str(wheel.path), fingerprint=fingerprint)
    staged = workdir / output.name
    _build(builder, staged, output.name, options, resolved)
    if staged.is_file():
        with zipfile.ZipFile(staged) as archive:
            count = len(archive.infolist())
        check_zipimport(output, count, staged.stat().st_size, resolved.zip64_importable)
    elif output.is_dir():
        # Bazel creates a directory output before the action runs: replace it whole.
        shutil.rmtree(output)
    os.replace(staged, output)
