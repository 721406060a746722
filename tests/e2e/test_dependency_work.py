"""The work a dependency needs (checking a wheel, packing an installed tree as wheels) is done
once per dependency, in its own cached action, whatever the number of PEXes using it, and
pex's skeleton once per option set and configuration; the PEX action only copies."""

from __future__ import annotations

import hashlib

from harness.app import run_pex
from harness.bazel import action_inputs, pex_info
from harness.support import find_python

# sha256 of //app:app_pex (pex_wheel inputs, linux_x86_64, CPython 3.11) installing its
# wheels one at a time, with PEX-INFO as pex's CLI writes it (sha256 fingerprints, its
# defaults spelled out). Changing how a PEX is written changes it, on purpose and in the
# same commit.
APP_PEX_SHA256 = "7404f450edbf5ccc87b74abb11fb92c88537f768197fabb855ca6123f7455d6b"
SHARED = [f"//adapters:shared_{index}" for index in range(10)]


def _actions(bazel, expression: str) -> list:
    graph = bazel.aquery(expression)
    return [
        {"mnemonic": a["mnemonic"], "inputs": action_inputs(graph, a)}
        for a in graph.get("actions", [])
    ]


def test_ten_pexes_share_each_dependencys_work(app_bazel):
    actions = _actions(app_bazel, f"deps({' + '.join(SHARED)})")
    count = {}
    for action in actions:
        count[action["mnemonic"]] = count.get(action["mnemonic"], 0) + 1
    # click's installed tree packed once; dateutil's and six's wheels checked once each.
    assert (count.get("PexRepack"), count.get("PexWheelCheck")) == (1, 2), count
    assert count.get("PexAssemble") == 10, count
    (repack,) = [a for a in actions if a["mnemonic"] == "PexRepack"]
    tree = {p for p in repack["inputs"] if "/site-packages/" in p}
    assert any(p.endswith("click/__init__.py") for p in tree)
    for action in actions:
        if action["mnemonic"] == "PexAssemble":
            # The PEX action reads the packed wheels, never the installed files.
            assert not tree & action["inputs"]
            assert any(p.endswith("pkg.crosspex/site-packages") for p in action["inputs"])


def test_pexes_of_pex_wheels_keep_their_bytes(app_bazel):
    app_bazel.build("//app:app_pex_serial_install", "//app:app_pex")
    serial = app_bazel.output("app/app_pex_serial_install.pex").read_bytes()
    assert hashlib.sha256(serial).hexdigest() == APP_PEX_SHA256
    # The default differs from it in PEX-INFO's max_install_jobs (and the hashes over it).
    assert pex_info(app_bazel.output("app/app_pex.pex"))["max_install_jobs"] == -1
    assert pex_info(app_bazel.output("app/app_pex_serial_install.pex"))["max_install_jobs"] == 1


def test_pexes_with_the_default_options_share_one_skeleton(app_bazel, tmp_path):
    actions = _actions(app_bazel, f"deps({' + '.join([*SHARED, '//adapters:shared_with_env'])})")
    skeletons = [a for a in actions if a["mnemonic"] == "PexSkeleton"]
    # One for the ten with the default options, one for the one with an option of its own.
    assert len(skeletons) == 2, [a["inputs"] for a in skeletons]
    app_bazel.build("//adapters:shared_with_env", "//adapters:shared_0")
    with_env = app_bazel.output("adapters/shared_with_env.pex")
    assert pex_info(with_env)["inject_env"] == {"CROSSPEX_E2E": "shared_with_env"}
    assert pex_info(app_bazel.output("adapters/shared_0.pex"))["inject_env"] == {}
    done = run_pex(find_python("3.11"), with_env, tmp_path)
    assert done.stdout == "click installed\ndateutil installed\nsix installed\n", done.stderr


def test_a_skeleton_of_its_own_gives_the_same_bytes(app_bazel):
    app_bazel.build("//app:app_pex", "//app:app_pex_own_skeleton")
    shared = app_bazel.output("app/app_pex.pex").read_bytes()
    assert app_bazel.output("app/app_pex_own_skeleton.pex").read_bytes() == shared
    graph = app_bazel.aquery("mnemonic(PexAssemble, //app:app_pex + //app:app_pex_own_skeleton)")
    skeletons = {
        p
        for action in graph["actions"]
        for p in action_inputs(graph, action)
        if p.endswith(".pex_skeleton")
    }
    assert sorted(p.rsplit("/", 1)[1] for p in skeletons) == [
        "app_pex_own_skeleton.pex_skeleton",
        "default_skeleton.pex_skeleton",
    ]
