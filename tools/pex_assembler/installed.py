"""Turns installed distributions (a site-packages tree) back into wheel files.

rules_python and pycross hand over wheels already installed. The PEX stores every
distribution the same way, as a wheel file, so each installed distribution is repacked from
the files its RECORD lists (or, in a tree of one distribution without RECORD, from all of the
tree), with the tags its WHEEL file declares. The same tree always gives the same bytes:
entries in name order, pex's fixed date, fixed modes, and one compression level. Entries are
compressed on several threads (zlib releases the GIL) and written in order.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from email.parser import HeaderParser
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from pex_assembler import modes, wheels, zips
from pex_assembler.archive_paths import from_os, unsafe_reason
from pex_assembler.errors import AssemblerError
from pex_assembler.inputs import InstalledTree
from pex_assembler.wheels import RECORD_SUFFIX, Wheel, write_record
from pex_assembler.zips import unix_entry

# zlib's level for repacked entries, chosen by measurement (docs/performance.md): level 1
# writes a torch tree 3x faster than the default 6 for 8% more bytes.
COMPRESS_LEVEL = 1


def tree_from_inputs(root: str, inputs: Iterable[Tuple[str, Path]]) -> InstalledTree:
    """The tree of the files whose short path starts with `root` (`<short_path>`, path)."""
    prefix = root.rstrip("/") + "/"
    tree = InstalledTree(root.rstrip("/"))
    for short_path, path in inputs:
        if not short_path.startswith(prefix):
            raise AssemblerError(
                short_path,
                f"is not below the installed tree's root {prefix!r}",
                "pass only the files of the tree",
            )
        relative = short_path[len(prefix) :]
        tree.files[relative] = path
        # Messages name the tree where it is, as Bazel's execution root has it.
        tree.root = path.as_posix()[: -len(relative) - 1] or tree.root
    return tree


def tree_from_directory(directory: Path) -> InstalledTree:
    """The tree in `directory`: the shallowest directory in it holding `*.dist-info/METADATA`."""
    roots = sorted(
        (p.parent.parent for p in directory.glob("**/*.dist-info/METADATA")),
        key=lambda p: (len(p.parts), str(p)),
    )
    if not roots:
        raise AssemblerError(
            str(directory),
            "is an installed wheel's directory but holds no *.dist-info/METADATA",
            "install the wheel into it with its metadata (pycross, pip), or depend on the "
            "wheel file itself",
        )
    root = roots[0]
    tree = InstalledTree(str(root))
    for path in sorted(root.rglob("*")):
        if path.is_file():
            tree.files[from_os(path.relative_to(root).as_posix())] = path
    return tree


def _wheel_filename(dist_info: str, wheel_meta: str, origin: str) -> str:
    tags = HeaderParser().parsestr(wheel_meta).get_all("Tag") or []
    if not tags:
        raise AssemblerError(origin, "declares no Tag", "install the distribution from a wheel")
    pythons, abis, platforms = (sorted({t.split("-")[i] for t in tags}) for i in range(3))
    stem = dist_info[: -len(".dist-info")]
    return f"{stem}-{'.'.join(pythons)}-{'.'.join(abis)}-{'.'.join(platforms)}.whl"


def _members(tree: InstalledTree, dist_info: str) -> List[Tuple[str, Path]]:
    record_path = f"{dist_info}/RECORD"
    record = tree.files.get(record_path)
    if record is None:
        return _members_without_record(tree, dist_info)
    members: Dict[str, Path] = {}
    with record.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            if not row:
                continue
            name = row[0]
            # Bytecode is not part of the distribution; what was installed outside the tree
            # (scripts, data: `../../bin/x`) is in no tree's files.
            if name.endswith(".pyc") or name == record_path:
                continue
            if name in tree.files:
                members[name] = tree.files[name]
    for name, path in tree.files.items():
        if name.startswith(dist_info + "/") and name != record_path:
            members[name] = path
    return sorted(members.items())


def _members_without_record(tree: InstalledTree, dist_info: str) -> List[Tuple[str, Path]]:
    """Every file of a tree that holds one distribution and no RECORD.

    rules_python before 2.1 installs each wheel into a site-packages of its own, drops the
    RECORD and adds an `__init__.py` at the top, which no distribution installs there.
    """
    if tree.dist_info_dirs() != [dist_info]:
        raise AssemblerError(
            f"{tree.root}/{dist_info}",
            "has no RECORD, so its files cannot be told apart from the other distributions "
            "installed beside it",
            "install it with a tool that keeps RECORD (rules_python 2.1+, pycross, pip), or "
            "each distribution into a directory of its own",
        )
    return sorted(
        (name, path)
        for name, path in tree.files.items()
        if name != "__init__.py" and not name.endswith(".pyc") and "__pycache__/" not in name
    )


def _entry(name: str) -> zipfile.ZipInfo:
    info = unix_entry(name)
    info.external_attr = modes.FILE_ATTRIBUTES
    return info


def _write_wheel(
    target: Path,
    members: Sequence[Tuple[str, Path]],
    record_name: str,
    level: int,
    pool: ThreadPoolExecutor,
    window: int,
) -> None:
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")

    def row(info: zipfile.ZipInfo, packed: zips.Packed) -> None:
        digest = "sha256=" + wheels.record_digest(packed.sha256)
        writer.writerow([info.filename, digest, str(packed.size)])

    with zipfile.ZipFile(target, "w") as archive:
        # Several files compress and hash at once; entries are written in name order.
        packers = (
            (_entry(name), functools.partial(zips.pack, path, True, level, target.parent, True))
            for name, path in members
        )
        for info, packed in zips.write_in_order(archive, packers, pool, window):
            row(info, packed)
        writer.writerow([record_name, "", ""])
        packed = zips.pack_bytes(record.getvalue().encode("utf-8"), True, level)
        zips.write_packed(archive, _entry(record_name), packed)


def repack(
    tree: InstalledTree,
    workdir: Path,
    level: int = COMPRESS_LEVEL,
    jobs: Optional[int] = None,
) -> List[Tuple[str, Path]]:
    """Writes one wheel per distribution installed in `tree` into `workdir`.

    Returns each distribution's `.dist-info` directory and its wheel.
    """
    jobs = jobs or os.cpu_count() or 1
    wheels = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for dist_info in tree.dist_info_dirs():
            wheel_meta_path = tree.files.get(f"{dist_info}/WHEEL")
            origin = f"{tree.root}/{dist_info}"
            if wheel_meta_path is None:
                raise AssemblerError(
                    origin, "has no WHEEL file", "install the distribution from a wheel"
                )
            filename = _wheel_filename(
                dist_info, wheel_meta_path.read_text(encoding="utf-8"), origin
            )
            target = workdir / filename
            members = _members(tree, dist_info)
            # What the wheel check refuses in an entry's name is refused here: a build trusts
            # the repacked wheel's record without reading the wheel again.
            for name, _ in members:
                reason = unsafe_reason(name)
                if reason:
                    raise AssemblerError(
                        origin,
                        f"holds {name!r}, which {reason}",
                        "install the distribution from a wheel, unchanged",
                    )
            _write_wheel(target, members, f"{dist_info}/RECORD", level, pool, 2 * jobs)
            wheels.append((dist_info, target))
    return wheels


def _described(path: Path, tree: InstalledTree, dist_info: str) -> Wheel:
    """The wheel repacked at `path` from `dist_info`, its layout and entry points checked as
    any wheel's are (its RECORD is the one just written)."""
    origin = f"{tree.root}/{dist_info}"
    metadata_path = tree.files.get(f"{dist_info}/METADATA")
    if metadata_path is None:
        raise AssemblerError(origin, "has no METADATA", "install the distribution from a wheel")
    try:
        name, version, _, tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise AssemblerError(
            origin, f"names no valid wheel ({exc})", "install the distribution from a wheel"
        ) from exc
    # Checked on the tree's file, before the wheel is read back, so that the error names the
    # tree rather than the wheel just written (which is then removed).
    metadata = HeaderParser().parsestr(metadata_path.read_text(encoding="utf-8", errors="replace"))
    if canonicalize_name(metadata.get("Name", "")) != name:
        raise AssemblerError(
            origin,
            f"is the directory of {name} but its METADATA names {metadata.get('Name')!r}",
            "install the distribution from a wheel, unchanged",
        )
    with zipfile.ZipFile(path) as archive:
        _, contents, _ = wheels.read_contents(archive, path)
    return wheels.described(path, name, version, tags, metadata, contents)


def write_wheels(tree: InstalledTree, output: Path) -> List[Tuple[str, Path]]:
    """Repacks `tree` into `output`, each wheel beside its record; on error, leaves it empty."""
    output.mkdir(parents=True, exist_ok=True)
    try:
        written = repack(tree, output)
        for dist_info, wheel in written:
            record = output / (wheel.name + RECORD_SUFFIX)
            write_record(_described(wheel, tree, dist_info), record)
    except BaseException:
        shutil.rmtree(output, ignore_errors=True)
        output.mkdir(exist_ok=True)  # its parents are still there
        raise
    return written
