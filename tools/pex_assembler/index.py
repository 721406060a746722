"""Reads package indexes: what wheel files a project has, where, and with which sha256.

An index is a PEP 503 simple repository (its HTML pages) or a PEP 691 one (its JSON pages),
as pip reads them, or a find-links directory of files. Pages are read, never fetched: Bazel's
downloader fetches them (`pip_wheels`), so its mirrors and credentials apply.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple
from urllib.parse import unquote, urljoin, urlsplit

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from pex_assembler.errors import AssemblerError


@dataclass(frozen=True)
class IndexFile:
    """One file an index lists for a project."""

    filename: str
    url: str
    sha256: Optional[str]
    # PEP 658: the sha256 of the wheel's METADATA, which the index serves at url + ".metadata".
    metadata_sha256: Optional[str] = None


def project_url(index_url: str, project: str) -> str:
    """The page of `project` on a simple index (PEP 503: the normalized name, with a slash).
    A file: index's page is its directory's index.html, as pip reads it."""
    return index_url.rstrip("/") + "/" + canonicalize_name(project) + "/"


def filename_of(url: str) -> str:
    """The file name at the end of a URL's path. An index may percent-encode its URLs
    (PyTorch's writes the `+` of `2.3.0+cpu` as %2B)."""
    return posixpath.basename(unquote(urlsplit(url).path))


def _file(url: str, sha256: Optional[str], metadata: Optional[str]) -> Optional[IndexFile]:
    parts = urlsplit(url)
    filename = filename_of(url)
    try:
        parse_wheel_filename(filename)
    except InvalidWheelFilename:  # sdists, and wheels named as no installer reads them
        return None
    return IndexFile(filename, parts._replace(fragment="").geturl(), sha256, metadata)


def _sha256_of_hash(text: Optional[str]) -> Optional[str]:
    """The hex digest of a `sha256=HEX` hash, as URL fragments and PEP 714's attribute
    write it; None for any other hash or none."""
    found = re.fullmatch(r"sha256=([0-9a-fA-F]{64})", text or "")
    return found.group(1).lower() if found else None


def _json_metadata_sha256(entry: Dict[str, object]) -> Optional[str]:
    """PEP 691/714: `core-metadata` (or the older `data-dist-info-metadata`) is a dict of
    hashes where the index serves the METADATA; only a sha256 lets Bazel cache it."""
    for key in ("core-metadata", "data-dist-info-metadata"):
        value = entry.get(key)
        if isinstance(value, dict):
            sha256 = value.get("sha256")
            return sha256.lower() if isinstance(sha256, str) else None
    return None


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: List[Tuple[str, Optional[str]]] = []

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        if tag == "a":
            found = dict(attrs)
            href = found.get("href")
            if href:
                # PEP 714's name, then PEP 658's.
                metadata = found.get("data-core-metadata", found.get("data-dist-info-metadata"))
                self.links.append((href, metadata))


def read_page(text: str, page_url: str) -> List[IndexFile]:
    """The wheels a project page lists, its URLs resolved against the page's own."""
    files = []
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            listed = json.loads(stripped)["files"]
            entries = [
                (f["url"], f.get("hashes", {}).get("sha256"), _json_metadata_sha256(f))
                for f in listed
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AssemblerError(
                page_url,
                f"is not a PEP 691 project page ({exc})",
                "check the index URL: it must be a simple repository, as pip's --index-url",
            ) from exc
        for url, sha256, metadata in entries:
            found = _file(urljoin(page_url, url), sha256.lower() if sha256 else None, metadata)
            if found:
                files.append(found)
        return files
    parser = _Anchors()
    parser.feed(text)
    for href, metadata in parser.links:
        url = urljoin(page_url, href)
        found = _file(url, _sha256_of_hash(urlsplit(url).fragment), _sha256_of_hash(metadata))
        if found:
            files.append(found)
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_find_links(directory: Path, releases: Set[Tuple[str, Version]]) -> List[IndexFile]:
    """The wheels of the (normalized name, version) `releases` in a find-links directory,
    hashed here: a directory lists no hashes, and only the releases asked for are read."""
    files = []
    for path in sorted(directory.glob("*.whl")):
        try:
            release = parse_wheel_filename(path.name)[:2]
        except InvalidWheelFilename:
            continue
        if release in releases:
            files.append(IndexFile(path.name, path.resolve().as_uri(), sha256_of(path)))
    return files


def by_sha256(files: Iterable[IndexFile]) -> Dict[str, IndexFile]:
    """The files by their sha256; files listed without one cannot be pinned and are left out.
    The first index to list a hash gives its URL, as pip tries its indexes in order."""
    found: Dict[str, IndexFile] = {}
    for file in files:
        if file.sha256 and file.sha256 not in found:
            found[file.sha256] = file
    return found
