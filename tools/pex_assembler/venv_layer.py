"""`write_layer`: a virtualenv for the target platform as a deterministic tar layer.

The same inputs as a PEX, checked the same way; but instead of a zipapp to install itself on
its first run, the tar holds the installed virtualenv at `prefix`, for a container image:
`pyvenv.cfg`, `bin/python*` links to the image's interpreter, every wheel installed by its
scheme and RECORD (pypa/installer, into tar entries rather than files), the first-party
files, `bin/<name>` running the entry point, and, given a CPython of the target's version on
the exec platform, the modules' .pyc. Nothing of the target platform runs.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from installer import install
from installer.destinations import WheelDestination
from installer.records import Hash, RecordEntry
from installer.scripts import Script
from installer.sources import WheelFile
from installer.utils import construct_record_file

from pex_assembler.bytecode import Compiled, Compiler
from pex_assembler.errors import AssemblerError
from pex_assembler.wheels import CHUNK, record_digest

# What the layer says installed its distributions (the INSTALLER file of each dist-info).
INSTALLER = b"crosspex\n"
# The longest first line read to find a script's `#!python`.
_SHEBANG_MAX = 64 * 1024


@dataclass(frozen=True)
class Entry:
    """One tar member: a file's bytes, or a symlink's target; a directory has neither."""

    mode: int
    data: Optional[bytes] = None
    link: Optional[str] = None


@dataclass(frozen=True)
class _Member:
    mode: int
    span: Optional[Tuple[int, int]] = None  # a file's offset and size in the spool
    link: Optional[str] = None


class Layer:
    """The tar's members by path (no leading slash), with their parent directories down from
    `top` (the prefix: its ancestors belong to the base image). Files wait in `spool`, not in
    memory (torch alone installs 1.6 GiB), until `write` puts them in order."""

    def __init__(self, spool: BinaryIO, top: str = "") -> None:
        self.spool = spool
        self.top = top
        self.entries: Dict[str, _Member] = {}
        # Who writes each file, for the message when two do; and files that other layers of
        # the same virtualenv hold, which this one must not write again.
        self.origin = ""
        self.origins: Dict[str, str] = {}
        self.reserved: Dict[str, str] = {}

    def _claim(self, path: str) -> str:
        clean = posixpath.normpath(path)
        outside = self.top and clean != self.top and not clean.startswith(self.top + "/")
        if clean.startswith(("/", "../")) or clean in ("..", ".") or outside:
            raise AssemblerError(path, "escapes the layer", "name a path inside the virtualenv")
        if clean in self.entries or clean in self.reserved:
            taken = self.origins.get(clean) or self.reserved.get(clean)
            by = f": by {taken} and by {self.origin}" if taken and self.origin else ""
            raise AssemblerError(
                "/" + clean,
                f"is written twice into the layer{by}",
                "keep one of the files that install there",
            )
        # Up to the first directory already there: its own parents are there too.
        parent = posixpath.dirname(clean)
        while parent and parent not in self.entries and not _above(parent, self.top):
            self.entries[parent] = _Member(mode=0o755)
            parent = posixpath.dirname(parent)
        existing = self.entries.get(parent)
        if existing is not None and (existing.span is not None or existing.link is not None):
            raise AssemblerError(
                "/" + parent,
                f"is a file in the layer, and also the directory of /{clean}",
                "keep one of the files that install there",
            )
        if self.origin:
            self.origins[clean] = self.origin
        return clean

    def files(self) -> Dict[str, str]:
        """Each file and link of the layer, by path, with what wrote it."""
        return {
            path: self.origins.get(path, "")
            for path, member in self.entries.items()
            if member.span is not None or member.link is not None
        }

    def add_tar(self, tar_path: Path) -> None:
        """Adds the members of a layer written before: the same virtualenv, in parts."""
        with tarfile.open(tar_path) as tar:
            for info in tar:
                if info.isdir():
                    existing = self.entries.get(info.name)
                    if existing is None or existing.span is not None or existing.link is not None:
                        self.add(info.name, Entry(mode=info.mode))
                elif info.issym():
                    self.add(info.name, Entry(mode=info.mode, link=info.linkname))
                elif info.isfile():
                    stream = tar.extractfile(info)
                    assert stream is not None
                    self.add_stream(info.name, info.mode, stream)
                else:
                    raise AssemblerError(
                        str(tar_path),
                        f"holds {info.name}, neither file, link nor directory",
                        "give the layers crosspex wrote",
                    )

    def add(self, path: str, entry: Entry) -> None:
        clean = self._claim(path)
        span = None
        if entry.data is not None:
            span = (self.spool.seek(0, io.SEEK_END), len(entry.data))
            self.spool.write(entry.data)
        self.entries[clean] = _Member(entry.mode, span, entry.link)

    def add_stream(
        self, path: str, mode: int, stream: BinaryIO, head: bytes = b""
    ) -> Tuple[bytes, int]:
        """Copies `head`, then a file, into the layer in chunks: its sha256 digest and size."""
        clean = self._claim(path)
        offset = self.spool.seek(0, io.SEEK_END)
        digest = hashlib.sha256(head)
        self.spool.write(head)
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
            self.spool.write(chunk)
        size = self.spool.tell() - offset
        self.entries[clean] = _Member(mode, (offset, size))
        return digest.digest(), size

    def read(self, path: str) -> bytes:
        """The bytes of the file at `path`, back from the spool."""
        span = self.entries[posixpath.normpath(path)].span
        assert span is not None, f"{path} is no file of the layer"
        offset, size = span
        self.spool.seek(offset)
        return self.spool.read(size)

    def write(self, output: Path) -> None:
        """Sorted members, fixed owner, time and modes: the same bytes for the same content."""
        with tarfile.open(output, "w", format=tarfile.GNU_FORMAT) as tar:
            for path in sorted(self.entries):
                member = self.entries[path]
                info = tarfile.TarInfo(path)
                info.mtime = 0
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = member.mode
                if member.link is not None:
                    info.type = tarfile.SYMTYPE
                    info.linkname = member.link
                    tar.addfile(info)
                elif member.span is not None:
                    offset, info.size = member.span
                    self.spool.seek(offset)
                    tar.addfile(info, self.spool)
                else:
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)


def _above(path: str, top: str) -> bool:
    """Whether `path` is an ancestor of `top`: a directory of the base image."""
    return bool(top) and top.startswith(path + "/")


def _record(path: str, digest: bytes, size: int) -> RecordEntry:
    return RecordEntry(path, Hash("sha256", record_digest(digest)), size)


class LayerDestination(WheelDestination):
    """pypa/installer's destination for one wheel: files go into the layer, not to disk.

    The RECORD waits for `write_record`, so that it can list the .pyc compiled afterwards."""

    def __init__(
        self,
        layer: Layer,
        schemes: Mapping[str, str],
        python: str,
        compiler: Optional[Compiler],
        origin: str,
    ) -> None:
        self.origin = origin
        self.layer = layer
        self.schemes = schemes
        self.python = python
        self.compiler = compiler
        # (scheme, path in the wheel's scheme, path in the layer) of each module.
        self.modules: List[Tuple[str, str, str]] = []
        self._record: Optional[Tuple[str, str, List[Tuple[str, RecordEntry]]]] = None

    def _put(self, scheme: str, path: str, data: bytes, is_executable: bool) -> RecordEntry:
        return self._put_stream(scheme, path, io.BytesIO(data), is_executable)

    def _put_stream(
        self, scheme: str, path: str, stream: BinaryIO, is_executable: bool, head: bytes = b""
    ) -> RecordEntry:
        root = self.schemes[scheme]
        layer_path = posixpath.normpath(posixpath.join(root, path))
        # The wheel's check refuses such names already; this holds whatever the installer does.
        if not layer_path.startswith(root + "/"):
            raise AssemblerError(
                self.origin,
                f"would install {path!r} at /{layer_path}, outside its {scheme} directory /{root}",
                "do not use this wheel",
            )
        mode = 0o755 if is_executable else 0o644
        digest, size = self.layer.add_stream(layer_path, mode, stream, head)
        if scheme in ("purelib", "platlib") and path.endswith(".py"):
            self.modules.append((scheme, path, layer_path))
            submit(self.compiler, self.layer, layer_path, size)
        return _record(path, digest, size)

    def write_file(
        self, scheme: str, path: str | os.PathLike[str], stream: BinaryIO, is_executable: bool
    ) -> RecordEntry:
        path = os.fspath(path)
        if scheme == "scripts":
            # A script's `#!python` line becomes the virtualenv's Python, as pypa/installer's
            # fix_shebang does, without holding the script in memory; and it is executable, as
            # pip makes it, whatever mode the wheel gave it.
            head = stream.readline(_SHEBANG_MAX)
            if head.startswith(b"#!python"):
                head = f"#!{self.python}\n".encode()
            return self._put_stream(scheme, path, stream, True, head)
        return self._put_stream(scheme, path, stream, is_executable)

    def write_script(self, name: str, module: str, attr: str, section: str) -> RecordEntry:
        script_name, data = Script(name, module, attr, section).generate(self.python, "posix")
        return self._put("scripts", script_name, data, True)

    def finalize_installation(
        self, scheme: str, record_file_path: str, records: Iterable[Tuple[str, RecordEntry]]
    ) -> None:
        self._record = (scheme, record_file_path, list(records))

    def write_record(self, compiled: Optional[Compiled]) -> None:
        """Writes the wheel's RECORD, listing the .pyc of its modules as pip does."""
        assert self._record is not None, "write_record before the wheel was installed"
        scheme, record_file_path, records = self._record
        for module_scheme, path, layer_path in self.modules if compiled else ():
            pyc = compiled.pycs.get("/" + layer_path)
            if pyc is not None:
                self.layer.add(pyc_path(layer_path, compiled.cache_tag), Entry(0o644, pyc))
                entry = _record(
                    pyc_path(path, compiled.cache_tag), hashlib.sha256(pyc).digest(), len(pyc)
                )
                records.append((module_scheme, entry))

        def prefix_for_scheme(other: str) -> Optional[str]:
            # purelib and platlib share site-packages: their files' rows need no "./".
            if self.schemes[other] == self.schemes[scheme]:
                return None
            return posixpath.relpath(self.schemes[other], self.schemes[scheme]) + "/"

        with construct_record_file(records, prefix_for_scheme) as stream:
            self._put(scheme, record_file_path, stream.read(), False)


# Modules up to this size get a .pyc; a larger one (generated tables, say) is compiled by
# CPython when first imported, so that the layer's memory stays flat whatever a wheel holds.
MAX_COMPILED_SOURCE = 16 * 1024 * 1024


def submit(compiler: Optional[Compiler], layer: Layer, layer_path: str, size: int) -> None:
    """Hands the module at `layer_path` to `compiler`, if any and if it is not too large."""
    if compiler and size <= MAX_COMPILED_SOURCE:
        compiler.submit("/" + layer_path, layer.read(layer_path))


class _WheelSource(WheelFile):
    """pypa/installer's reader, with the data directory the dist-info directory names, as pip
    and pex find it: the file name may spell the project otherwise (`django-5.0-...whl`
    holding `Django-5.0.dist-info`)."""

    @property
    def data_dir(self) -> str:
        return self.dist_info_dir[: -len(".dist-info")] + ".data"


def pyc_path(source: str, cache_tag: str) -> str:
    """Where CPython looks for a module's bytecode: `__pycache__/<stem>.<tag>.pyc`."""
    directory, name = posixpath.split(source)
    return posixpath.join(directory, "__pycache__", f"{name[: -len('.py')]}.{cache_tag}.pyc")


@dataclass(frozen=True)
class VenvSpec:
    """Where the virtualenv lives in the image, and with which interpreter."""

    prefix: str
    interpreter: str
    python_version: str
    name: str
    # CPython of the target's version on the exec platform, to ship .pyc; None ships none.
    bytecode_interpreter: Optional[str] = None
    invalidation_mode: str = "checked_hash"
    # The script in bin/ that bin/<name> runs (a link to it); bin/<name> itself if the same.
    script: Optional[str] = None

    @property
    def root(self) -> str:
        """The prefix as the tar's member names spell it: without its leading slash."""
        return self.prefix[1:]

    @property
    def site_packages(self) -> str:
        return f"{self.root}/lib/python{self.python_version}/site-packages"


def _launcher(python: str, entry_point: str) -> bytes:
    module, _, function = entry_point.partition(":")
    if function:
        body = (
            f"import sys\nfrom {module} import {function.split('.')[0]}\nsys.exit({function}())\n"
        )
    else:
        body = f"import runpy\nrunpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
    return f"#!{python}\n{body}".encode()


def _written(output: Path, layer_of: Callable[[BinaryIO], Layer]) -> Path:
    """Writes the layer `layer_of` fills at `output`, or nothing: a failed layer leaves no
    file behind."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=output.parent) as spool:
        layer = layer_of(spool)
        handle, staged = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
        os.close(handle)
        try:
            layer.write(Path(staged))
            os.chmod(staged, 0o644)  # mkstemp's 0600 would keep the layer from its other readers
            os.replace(staged, output)
        finally:
            Path(staged).unlink(missing_ok=True)
    return output


def write_layer(
    spec: VenvSpec,
    wheels: Iterable[Path],
    sources: Mapping[str, Path],
    entry_point: Optional[str],
    output: Path,
) -> Path:
    """Writes the whole virtualenv at `output`, or nothing."""

    def fill(spool: BinaryIO) -> Layer:
        layer = Layer(spool, spec.root)
        _fill(layer, spec, wheels, sources, entry_point, app=True)
        return layer

    return _written(output, fill)


def write_installed(spec: VenvSpec, wheels: Iterable[Path], output: Path) -> Dict[str, str]:
    """Writes the wheels installed at the prefix (with their .pyc) as a layer of their own:
    a part of the virtualenv that depends on them and the prefix alone. Returns its files,
    each with the wheel it came from."""
    files: Dict[str, str] = {}

    def fill(spool: BinaryIO) -> Layer:
        layer = Layer(spool, spec.root)
        _fill(layer, spec, wheels, {}, None, app=False)
        files.update(layer.files())
        return layer

    _written(output, fill)
    return files


def write_app(
    spec: VenvSpec,
    sources: Mapping[str, Path],
    entry_point: Optional[str],
    installed: Mapping[str, str],
    extra_wheels: Iterable[Path],
    output: Path,
) -> Path:
    """Writes the virtualenv's own part: `pyvenv.cfg`, `bin/python*`, the first-party files
    and the launcher (and `extra_wheels`, which no layer of their own holds). `installed`
    are the files the other parts hold, with their origins: none may be written again."""

    def fill(spool: BinaryIO) -> Layer:
        layer = Layer(spool, spec.root)
        layer.reserved.update(installed)
        _fill(layer, spec, extra_wheels, sources, entry_point, app=True)
        return layer

    return _written(output, fill)


def merge(top: str, parts: Sequence[Path], output: Path) -> Path:
    """Writes the layers `parts` (of one virtualenv at `top`) as one, or nothing."""

    def fill(spool: BinaryIO) -> Layer:
        layer = Layer(spool, top)
        for part in parts:
            layer.origin = part.name
            layer.add_tar(part)
        return layer

    return _written(output, fill)


def _fill(
    layer: Layer,
    spec: VenvSpec,
    wheels: Iterable[Path],
    sources: Mapping[str, Path],
    entry_point: Optional[str],
    app: bool,
) -> None:
    prefix = spec.root
    python = f"{spec.prefix}/bin/python"
    major = spec.python_version.split(".")[0]
    layer.add(prefix, Entry(mode=0o755))
    if app:
        layer.origin = "the virtualenv itself"
        layer.add(
            f"{prefix}/pyvenv.cfg",
            Entry(
                mode=0o644,
                data=(
                    f"home = {posixpath.dirname(spec.interpreter)}\n"
                    "include-system-site-packages = false\n"
                    f"version = {spec.python_version}\n"
                ).encode(),
            ),
        )
        for name in ("python", f"python{major}", f"python{spec.python_version}"):
            layer.add(f"{prefix}/bin/{name}", Entry(mode=0o777, link=spec.interpreter))
    schemes = {
        "purelib": spec.site_packages,
        "platlib": spec.site_packages,
        "scripts": f"{prefix}/bin",
        "data": prefix,
        "headers": f"{prefix}/include/site/python{spec.python_version}",
    }
    compiler = None
    if spec.bytecode_interpreter:
        compiler = Compiler(spec.bytecode_interpreter, spec.python_version, spec.invalidation_mode)
    try:
        destinations = []
        for wheel in wheels:
            layer.origin = wheel.name
            with _WheelSource.open(wheel) as source:
                headers = dict(schemes, headers=f"{schemes['headers']}/{source.distribution}")
                destination = LayerDestination(layer, headers, python, compiler, str(wheel))
                install(source, destination, {"INSTALLER": INSTALLER})
                destinations.append(destination)
        first_party = []
        layer.origin = "the first-party files"
        for archive_path, path in sorted(sources.items()):
            layer_path = f"{spec.site_packages}/{archive_path}"
            with path.open("rb") as stream:
                _, size = layer.add_stream(layer_path, 0o644, stream)
            if archive_path.endswith(".py"):
                first_party.append(layer_path)
                submit(compiler, layer, layer_path, size)
    except BaseException:
        if compiler:
            compiler.finish_quietly()
        raise
    compiled = compiler.finish() if compiler else None
    for layer_path in first_party if compiled else ():
        pyc = compiled.pycs.get("/" + layer_path)
        if pyc is not None:
            layer.add(pyc_path(layer_path, compiled.cache_tag), Entry(mode=0o644, data=pyc))
    for destination in destinations:
        layer.origin = Path(destination.origin).name
        destination.write_record(compiled)
    if app and (entry_point or spec.script):
        launcher_path = f"{prefix}/bin/{spec.name}"
        if spec.script == spec.name:
            return  # The script is the launcher.
        script = layer.origins.get(launcher_path) or layer.reserved.get(launcher_path)
        if script:
            raise AssemblerError(
                "/" + launcher_path,
                f"is a script of {script}, and the layer's launcher has the layer's name",
                f"rename the layer (its launcher is bin/<name>), e.g. {spec.name}_layer, or "
                f'set script = "{spec.name}" to make that script the launcher',
            )
        layer.origin = f"the layer's launcher, bin/{spec.name}"
        if spec.script:
            layer.add(launcher_path, Entry(mode=0o777, link=spec.script))
        else:
            layer.add(launcher_path, Entry(mode=0o755, data=_launcher(python, entry_point)))
