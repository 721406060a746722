"""The `pex-assembler` command: a thin layer over `build.assemble` and `target`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

from pex_assembler import build, errors, installed, manifest, target, wheels, worker
from pex_assembler.errors import AssemblerError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pex-assembler", fromfile_prefix_chars="@")
    commands = parser.add_subparsers(dest="command", required=True)

    build_cmd = commands.add_parser("build", help="write a PEX from a manifest")
    build_cmd.add_argument("--manifest", type=Path, required=True)
    build_cmd.add_argument("--input", action="append", default=[], metavar="SHORT_PATH=PATH")
    build_cmd.add_argument("--import-root", action="append", default=[], metavar="ROOT")
    # A PEX for several targets: what each target's own deps brought.
    build_cmd.add_argument(
        "--target-input", action="append", default=[], metavar="KEY=SHORT_PATH=PATH"
    )
    build_cmd.add_argument("--target-import-root", action="append", default=[], metavar="KEY=ROOT")
    build_cmd.add_argument(
        "--skeleton", type=Path, help="the zipapp `skeleton` wrote for this manifest's options"
    )
    build_cmd.add_argument(
        "--installed",
        action="append",
        type=Path,
        help="pre-installed wheels: a zip `install-wheels` wrote (repeatable)",
    )

    install_wheels = commands.add_parser(
        "install-wheels",
        help="write wheels installed as pex installs them, as a zip of `.deps/` entries",
    )
    install_wheels.add_argument(
        "--wheel", action="append", required=True, type=Path, help="a wheel or directory of wheels"
    )
    install_wheels.add_argument("--output", type=Path, required=True)
    install_wheels.add_argument(
        "--no-compress", action="store_true", help="store the entries, as compress = False does"
    )

    skeleton = commands.add_parser(
        "skeleton",
        help="write pex's zipapp for a manifest's options, without code or wheels, for `build`",
    )
    skeleton.add_argument("--manifest", type=Path, required=True)
    skeleton.add_argument("--output", type=Path, required=True)

    layer = commands.add_parser(
        "venv-layer", help="write a virtualenv for the target as a tar layer, from a manifest"
    )
    layer.add_argument("--manifest", type=Path, required=True)
    layer.add_argument("--input", action="append", default=[], metavar="SHORT_PATH=PATH")
    layer.add_argument("--import-root", action="append", default=[], metavar="ROOT")
    layer.add_argument(
        "--app-only",
        action="store_true",
        help="write the virtualenv's own part only: the wheels are in layers of their own",
    )
    layer.add_argument(
        "--installed",
        action="append",
        default=[],
        type=Path,
        help="the files list venv-install wrote for one of those layers",
    )

    install = commands.add_parser(
        "venv-install",
        help="write wheels installed at a virtualenv's prefix as a tar layer, and its files",
    )
    install.add_argument("--prefix", required=True)
    install.add_argument("--python-version", required=True)
    install.add_argument("--bytecode-interpreter", help="a CPython of that version, for .pyc")
    install.add_argument("--invalidation-mode", default="checked_hash")
    install.add_argument(
        "--wheel", action="append", required=True, type=Path, help="a wheel or directory of wheels"
    )
    install.add_argument("--output", type=Path, required=True)
    install.add_argument("--files", type=Path, required=True, help="JSON: each file's origin")

    merge = commands.add_parser("venv-merge", help="write the layers of one virtualenv as one")
    merge.add_argument("--prefix", required=True)
    merge.add_argument("--part", action="append", default=[], type=Path)
    merge.add_argument("--output", type=Path, required=True)

    check = commands.add_parser(
        "check-wheel", help="check a wheel fully and write its record for later builds"
    )
    check.add_argument("--wheel", type=Path, required=True)
    check.add_argument("--output", type=Path, required=True)

    repack = commands.add_parser(
        "repack",
        help="pack the distributions of an installed tree as wheels, each beside its record",
    )
    repack.add_argument("--output", type=Path, required=True, help="directory to write into")
    tree = repack.add_mutually_exclusive_group(required=True)
    tree.add_argument("--tree", type=Path, help="a directory holding the installed tree")
    tree.add_argument("--root", help="the short path of the tree's root, for --input files")
    repack.add_argument("--input", action="append", default=[], metavar="SHORT_PATH=PATH")

    describe = commands.add_parser(
        "describe-target", help="print the complete platform (tags and markers) of a target"
    )
    describe.add_argument("--os", required=True, choices=["linux", "macos", "windows"])
    describe.add_argument("--arch", required=True)
    describe.add_argument("--python-version", required=True)
    describe.add_argument("--libc", choices=["glibc", "musl"], help="Linux targets")
    describe.add_argument("--libc-version", help="Linux targets: the newest glibc or musl")
    describe.add_argument("--os-version", help="macOS targets: the oldest macOS")

    projects = commands.add_parser(
        "wheel-pages",
        help="print, as JSON, the index pages to fetch for a lock's projects, and find-links",
    )
    plan = commands.add_parser(
        "wheel-plan", help="write, as JSON, each target's wheel repositories and its pins"
    )
    for wheels_command in (projects, plan):
        wheels_command.add_argument(
            "--lock", type=Path, required=True, help="requirements file, uv.lock or pdm.lock"
        )
        wheels_command.add_argument(
            "--python-version", action="append", required=True, dest="python_versions"
        )
        wheels_command.add_argument(
            "--platforms-json", required=True, help="JSON list of platform specs"
        )
    plan.add_argument(
        "--pages-json", type=Path, required=True, help="project -> [[page URL, page file]]"
    )
    plan.add_argument("--find-links", action="append", default=[], help="a directory of wheels")
    plan.add_argument("--output", type=Path, required=True)
    hub = commands.add_parser(
        "wheel-hub", help="write the hub's BUILD file from a plan and its wheels' METADATA"
    )
    hub.add_argument("--plan", type=Path, required=True, help="what wheel-plan wrote")
    hub.add_argument(
        "--fetched-json", type=Path, required=True, help="repository -> its METADATA or wheel"
    )
    for wheels_command in (plan, hub):
        wheels_command.add_argument("--hub", required=True, help="the hub repository's name")
    hub.add_argument("--output", type=Path, required=True)
    wheel_build = commands.add_parser(
        "wheel-build",
        help="write the BUILD file of a downloaded wheel whose index serves no METADATA",
    )
    wheel_build.add_argument("--wheel", type=Path, required=True)
    wheel_build.add_argument("--hub", required=True)
    wheel_build.add_argument("--configs-json", required=True, help="config -> markers")
    wheel_build.add_argument("--output", type=Path, required=True)

    lock = commands.add_parser(
        "lock", help="resolve requirements with uv into a lock covering every target platform"
    )
    lock.add_argument("--requirements-in", type=Path, required=True)
    lock.add_argument("--output", type=Path, required=True)
    lock.add_argument("--python-version", action="append", required=True, dest="python_versions")
    lock.add_argument("--platforms-json", required=True, help="JSON list of platform specs")
    lock.add_argument("--uv", required=True, help="the uv executable")
    lock.add_argument("--rerun", required=True, help="the command that rewrites the lock")
    lock.add_argument("uv_args", nargs="*", help="passed on to `uv pip compile`")
    return parser


def _wheels_command(args: argparse.Namespace) -> None:
    from pex_assembler import wheelhouse

    if args.command == "wheel-build":
        text = wheelhouse.wheel_build(args.wheel, args.hub, json.loads(args.configs_json))
        args.output.write_text(text, encoding="utf-8")
        return
    if args.command == "wheel-hub":
        fetched = json.loads(args.fetched_json.read_text())
        text = wheelhouse.hub_build(
            json.loads(args.plan.read_text()),
            args.hub,
            {repository: Path(path) for repository, path in fetched.items()},
        )
        args.output.write_text(text, encoding="utf-8")
        return
    specs = json.loads(args.platforms_json)
    if args.command == "wheel-pages":
        json.dump(wheelhouse.pages(args.lock, args.python_versions, specs), sys.stdout)
        return
    pages = {
        project: [(url, Path(path)) for url, path in fetched]
        for project, fetched in json.loads(args.pages_json.read_text()).items()
    }
    listings = wheelhouse.listings_of(
        pages, args.find_links, args.lock, args.python_versions, specs
    )
    planned = wheelhouse.plan(args.lock, args.python_versions, specs, listings, args.hub)
    args.output.write_text(json.dumps(planned, indent=1, sort_keys=True), encoding="utf-8")


def _venv_part(args: argparse.Namespace) -> None:
    """A part of a virtualenv layer: installed wheels, or the parts merged."""
    # pypa/installer is among the libraries of pex-importing actions only.
    from pex_assembler import venv_layer

    prefix = manifest.image_path(args.prefix, "--prefix")
    if args.command == "venv-merge":
        venv_layer.merge(prefix[1:], args.part, args.output)
        return
    spec = venv_layer.VenvSpec(
        prefix=prefix,
        interpreter="",
        python_version=args.python_version,
        name="",
        bytecode_interpreter=args.bytecode_interpreter,
        invalidation_mode=args.invalidation_mode,
    )
    wheels = []
    for given in args.wheel:
        wheels += sorted(given.glob("*.whl")) if given.is_dir() else [given]
    with errors.writing(args.files):
        files = venv_layer.write_installed(spec, wheels, args.output)
        args.files.write_text(json.dumps(files, indent=0, sort_keys=True), encoding="utf-8")


def main(argv: Optional[Sequence[str]] = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if "--persistent_worker" in argv:
        # Bazel's worker strategy: one process, one request per action, until Bazel stops it.
        worker.serve(main, sys.stdin.buffer, sys.stdout.buffer)
        return 0
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            loaded = manifest.load(
                args.manifest,
                args.input,
                args.import_root,
                args.target_input,
                args.target_import_root,
            )
            build.assemble(loaded, args.skeleton, args.installed)
        elif args.command == "install-wheels":
            build.install_wheels(args.wheel, args.output, compress=not args.no_compress)
        elif args.command == "venv-layer":
            held = None
            if args.app_only:
                held = {}
                for listed in args.installed:
                    held.update(json.loads(listed.read_text(encoding="utf-8")))
            loaded = manifest.load_layer(args.manifest, args.input, args.import_root)
            build.venv_layer(loaded, held)
        elif args.command in ("venv-install", "venv-merge"):
            _venv_part(args)
        elif args.command == "skeleton":
            build.skeleton(manifest.load(args.manifest), args.output)
        elif args.command == "check-wheel":
            checked = wheels.read_wheel(args.wheel)
            with errors.writing(args.output):
                wheels.write_record(checked, args.output)
        elif args.command == "repack":
            if args.tree is not None:
                tree = installed.tree_from_directory(args.tree)
            else:
                tree = installed.tree_from_inputs(
                    args.root, [manifest.parse_input(spec, "repack") for spec in args.input]
                )
            with errors.writing(args.output):
                installed.write_wheels(tree, args.output)
        elif args.command.startswith("wheel-"):
            # Only at repository time: building never needs the lock readers.
            _wheels_command(args)
        elif args.command == "lock":
            from pex_assembler import pip_lock

            pip_lock.write_lock(
                args.requirements_in,
                args.output,
                args.python_versions,
                json.loads(args.platforms_json),
                args.uv,
                args.rerun,
                args.uv_args,
            )
            print(f"crosspex: wrote {args.output}")
        else:
            given = {
                "os": args.os,
                "arch": args.arch,
                "libc": args.libc,
                "libc_version": args.libc_version,
                "os_version": args.os_version,
            }
            spec = {key: value for key, value in given.items() if value is not None}
            the_target = target.from_spec(spec, args.python_version)
            json.dump(the_target.to_complete_platform(), sys.stdout, indent=2)
            sys.stdout.write("\n")
    except AssemblerError as exc:
        print(f"pex-assembler: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
