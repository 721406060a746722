"""Turns installed distributions (a site-packages tree) back into wheel files.

rules_python and pycross hand over wheels already installed. The PEX stores every
distribution the same way, as a wheel file, so each installed distribution is repacked from
the files its RECORD lists (or, in a tree of one distribution without RECORD, from all of the
tree), with the tags its WHEEL file declares.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from email.parser import HeaderParser
from pathlib import Path
from typing import Dict, List, Tuple

from pex_assembler.errors import AssemblerError
from pex_assembler.inputs import InstalledTree
from pex_assembler.zips import FIXED_DATE_TIME


def _wheel_filename(dist_info: str, wheel_meta: str, origin: str) -> str:
    tags = HeaderParser().parsestr(wheel_meta).get_all("Tag") or []
    if not tags:
        raise AssemblerError(origin, "declares no Tag", "install the distribution from a wheel")
    pythons, abis, platforms = (sorted({t.split("-")[i] for t in tags}) for i in range(3))
    stem = dist_info[: -len(".dist-info")]
    return f"{stem}-{'.'.join(pythons)}-{'.'.join(abis)}-{'.'.join(platforms)}.whl"


def _record_digest(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


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
            # Scripts and data installed outside site-packages and bytecode are not part of
            # the importable distribution.
            if name.startswith(("../", "/")) or name.endswith(".pyc") or name == record_path:
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


def repack(tree: InstalledTree, workdir: Path) -> List[Path]:
    """Writes one wheel per distribution installed in `tree` into `workdir`."""
    wheels = []
    for dist_info in tree.dist_info_dirs():
        wheel_meta_path = tree.files.get(f"{dist_info}/WHEEL")
        origin = f"{tree.root}/{dist_info}"
        if wheel_meta_path is None:
            raise AssemblerError(
                origin, "has no WHEEL file", "install the distribution from a wheel"
            )
        filename = _wheel_filename(dist_info, wheel_meta_path.read_text(encoding="utf-8"), origin)
        target = workdir / filename
        record = io.StringIO()
        writer = csv.writer(record, lineterminator="\n")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, path in _members(tree, dist_info):
                data = path.read_bytes()
                info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
                writer.writerow([name, _record_digest(data), str(len(data))])
            record_name = f"{dist_info}/RECORD"
            writer.writerow([record_name, "", ""])
            info = zipfile.ZipInfo(record_name, date_time=FIXED_DATE_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, record.getvalue())
        wheels.append(target)
    return wheels
