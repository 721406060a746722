"""pip_wheels: hash-pinned wheels for several target platforms, each downloaded by Bazel.

The module extension reads the lock, the index pages of the projects it pins and each chosen
wheel's METADATA, and declares one repository per wheel file (a plain download by its sha256,
which Bazel makes only when a build needs it, and which no lock edit but its own changes) and a
hub repository: each wheel's pex_wheel with what it requires, and a `select()` per project over
them per platform and Python version.
"""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_file")
load(":errors.bzl", "crosspex_fail")
load(":platforms.bzl", "check_targets", "platform_spec")
load(":repository_helpers.bzl", "watched_path")
load(":wheel_targets.bzl", "WHEEL_TARGET_ATTRS")

# PEP 691's JSON first, PEP 503's HTML from indexes without it, as pip asks.
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"

# What pip reads where its indexes are, besides its configuration files: the extension passes
# them on, and runs again when one changes.
_PIP_SETTINGS = ["PIP_CONFIG_FILE", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"]

def _assembler(ctx):
    """How to run the assembler at repository time, from the exec Python.

    Each module of the assembler's package is watched; its __pycache__ is not.
    """
    interpreter_file = watched_path(ctx, Label("@crosspex_exec_python//:interpreter_path.txt"))
    package = ctx.path(Label("//tools/pex_assembler:__init__.py")).dirname
    for module in package.readdir(watch = "no"):
        if module.basename.endswith(".py"):
            ctx.watch(module)
    environment = {"PYTHONPATH": "%s:%s/site" % (package.dirname, interpreter_file.dirname)}
    for name in _PIP_SETTINGS:
        value = ctx.getenv(name)
        if value != None:
            environment[name] = value
    return struct(
        command = [ctx.read(interpreter_file).strip(), "-B", "-s", "-m", "pex_assembler"],
        environment = environment,
    )

def _run(ctx, assembler, subject, arguments):
    result = ctx.execute(assembler.command + arguments, environment = assembler.environment)
    if result.return_code != 0:
        # The assembler's own errors end in a fix: it becomes this error's.
        problem, found, fix = result.stderr.strip().rpartition("\n  fix: ")
        if not found:
            problem, fix = fix, "fix what the message names"
        crosspex_fail(subject, "fetching failed:\n" + problem, fix)
    return result.stdout

def _local_page(module_ctx, page_url):
    """The file of a page on a file: index, or None where the index has no such page.

    A page there is its directory's index.html, as pip reads it.
    """
    path = module_ctx.path(page_url[len("file://"):] + "index.html")
    return str(path) if path.exists else None

def pip_wheels_repositories(module_ctx, tag):
    """Declares the hub repository `tag.name` and one repository per wheel it selects.

    Args:
      module_ctx: the module extension's context.
      tag: a `pip_wheels` tag.
    """
    subject = "pip_wheels(%s)" % tag.name
    check_targets(subject, tag.platforms, tag.python_versions)
    assembler = _assembler(module_ctx)
    lock = watched_path(module_ctx, tag.lock)
    targets = ["--lock=%s" % lock] + ["--python-version=%s" % v for v in tag.python_versions] + [
        "--platforms-json=%s" % json.encode([platform_spec(p) for p in tag.platforms]),
    ]
    found = json.decode(_run(module_ctx, assembler, subject, ["wheel-pages"] + targets))

    # Every project's page on every index at once; a page an index does not have is no error.
    pages = {}
    pending = []
    for project, urls in found["pages"].items():
        for number, url in enumerate(urls):
            if url.startswith("file://"):
                local = _local_page(module_ctx, url)
                if local:
                    pages.setdefault(project, []).append([url, local])
                continue
            output = "pages/%s/%d.html" % (project, number)
            download = module_ctx.download(
                url = url,
                output = output,
                headers = {"Accept": _ACCEPT},
                allow_fail = True,
                block = False,
            )
            pending.append((project, url, output, download))
    for project, url, output, download in pending:
        if download.wait().success:
            pages.setdefault(project, []).append([url, str(module_ctx.path(output))])
        elif url.startswith("http://"):
            crosspex_fail(
                subject,
                "could not fetch the index page %s: Bazel downloads a plain http:// URL only " % url +
                "with a checksum, and an index page has none",
                "serve the index over https (or have --experimental_downloader_config rewrite it " +
                "to https), or give its pages as a file: index or its wheels as find-links",
            )
    module_ctx.file("pages.json", json.encode(pages))
    _run(module_ctx, assembler, subject, ["wheel-plan"] + targets + [
        "--pages-json=%s" % module_ctx.path("pages.json"),
        "--hub=%s" % tag.name,
        "--output=plan.json",
    ] + ["--find-links=%s" % d for d in found["find_links"]])
    plan = json.decode(module_ctx.read("plan.json"))
    fetched = _fetch_metadata(module_ctx, plan["repositories"])
    module_ctx.file("fetched.json", json.encode(fetched))
    _run(module_ctx, assembler, subject, [
        "wheel-hub",
        "--plan=plan.json",
        "--fetched-json=fetched.json",
        "--hub=%s" % tag.name,
        "--output=hub.BUILD",
    ])
    for name, wheel in plan["repositories"].items():
        if name in fetched or wheel["urls"][0].startswith("file:"):
            http_file(
                name = name,
                urls = wheel["urls"],
                sha256 = wheel["sha256"],
                downloaded_file_path = wheel["filename"],
            )
        else:
            _pip_wheel(
                name = name,
                filename = wheel["filename"],
                urls = wheel["urls"],
                sha256 = wheel["sha256"],
                hub = tag.name,
                # Markers only: what the lock pins would redefine it on every lock edit.
                configs = json.encode({c: {"markers": plan["configs"][c]["markers"]} for c in wheel["configs"]}),
            )
    _pip_wheels_hub(name = tag.name, build = module_ctx.read("hub.BUILD"))

def _fetch_metadata(module_ctx, repositories):
    """Each wheel's METADATA as its index serves it beside the wheel (PEP 658), all at once.

    Each is cached by the sha256 its index page lists. A find-links wheel is read in place;
    a wheel whose index serves none is read by its own repository, once a build needs it.
    """
    pending = []
    for name, wheel in repositories.items():
        if not wheel["metadata_url"] or wheel["urls"][0].startswith("file:"):
            continue
        output = "metadata/%s.METADATA" % name
        download = module_ctx.download(
            url = wheel["metadata_url"],
            output = output,
            sha256 = wheel["metadata_sha256"],
            allow_fail = True,
            block = False,
        )
        pending.append((name, output, download))
    return {
        name: str(module_ctx.path(output))
        for name, output, download in pending
        if download.wait().success
    }

def _pip_wheel_impl(rctx):
    wheel = "file/" + rctx.attr.filename
    rctx.download(url = rctx.attr.urls, output = wheel, sha256 = rctx.attr.sha256)
    rctx.file("file/BUILD.bazel", "\n".join([
        'package(default_visibility = ["//visibility:public"])',
        'exports_files(["%s"])' % rctx.attr.filename,
        'filegroup(name = "file", srcs = ["%s"])' % rctx.attr.filename,
        "",
    ]))
    _run(rctx, _assembler(rctx), rctx.attr.filename, [
        "wheel-build",
        "--wheel=%s" % rctx.path(wheel),
        "--hub=%s" % rctx.attr.hub,
        "--configs-json=%s" % rctx.attr.configs,
        "--output=BUILD.bazel",
    ])

_pip_wheel = repository_rule(
    implementation = _pip_wheel_impl,
    doc = """A wheel whose index serves no METADATA: downloaded by its sha256 into `file/`, as
    http_file does, with its pex_wheel read from it.""",
    attrs = {
        "filename": attr.string(mandatory = True),
        "urls": attr.string_list(mandatory = True),
        "sha256": attr.string(mandatory = True),
        "hub": attr.string(mandatory = True, doc = "The hub whose projects it requires."),
        "configs": attr.string(mandatory = True, doc = "JSON: config -> markers."),
    },
)

def _pip_wheels_hub_impl(rctx):
    rctx.file("BUILD.bazel", rctx.attr.build)

_pip_wheels_hub = repository_rule(
    implementation = _pip_wheels_hub_impl,
    doc = "The targets users name, e.g. @wheels//:pyyaml: a select() over each wheel's pex_wheel.",
    attrs = {"build": attr.string(mandatory = True)},
)

# The pip_wheels tag's attributes, with `name` (the hub's).
PIP_WHEELS_ATTRS = dict(WHEEL_TARGET_ATTRS, **{
    "lock": attr.label(
        mandatory = True,
        allow_single_file = True,
        doc = "A hash-pinned requirements file, a `uv.lock`, a `pdm.lock` or a PEP 751 `pylock.toml` (by file name).",
    ),
})
