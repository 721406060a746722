"""A real shared cache: BuildGrid on loopback serves the Remote Execution API's CAS and
action cache. A second checkout at another path, with a fresh output base, gets every PEX
action of the matrix, and every wheel check, from the cache."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

from harness.app import copy_of_app
from harness.bazel import Bazel, pex_spawns
from harness.remote.service import free_port
from harness.support import ROOT

CONFIG = """\
description: A loopback cache for crosspex's tests.
server:
  - !channel
    address: "127.0.0.1:{port}"
    insecure-mode: true
authorization:
  method: none
monitoring:
  enabled: false
storages:
  - !disk-storage &cas-storage
    path: {storage}
caches:
  - !lru-action-cache &action-cache
    storage: *cas-storage
    max-cached-refs: 100000
    cache-failed-actions: false
    allow-updates: true
instances:
  - name: ""
    services:
      - !action-cache
        cache: *action-cache
      - !cas
        storage: *cas-storage
      - !bytestream
        storage: *cas-storage
"""


@pytest.fixture
def buildgrid(tmp_path):
    bgd = subprocess.run(
        ["bash", str(ROOT / "scripts" / "buildgrid.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()
    port = free_port()
    config = tmp_path / "bgd.yml"
    config.write_text(CONFIG.format(port=port, storage=tmp_path / "cas"))
    log = (tmp_path / "bgd.log").open("w")
    server = subprocess.Popen([bgd, "server", "start", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, (tmp_path / "bgd.log").read_text()
            assert time.monotonic() < deadline, "BuildGrid did not start listening"
            time.sleep(0.5)
        yield f"grpc://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _cache_hit(spawn) -> bool:
    return bool(spawn.get("cacheHit"))


def test_second_checkout_gets_every_pex_from_the_cache(buildgrid, tmp_path):
    flags = [f"--remote_cache={buildgrid}", "//app:all", "//packer:all", "//adapters:all"]
    first = Bazel(copy_of_app(tmp_path / "first" / "app"), tmp_path / "first_output_base")
    try:
        first.build(f"--execution_log_json_file={tmp_path / 'first.json'}", *flags)
    finally:
        first.shutdown()
    written = pex_spawns(tmp_path / "first.json")
    # At least: 6 platforms, 4 more Pythons, the host's app_pex and Windows arm64's packer;
    # and every wheel of them checked once.
    mnemonics = [s["mnemonic"] for s in written]
    assert mnemonics.count("PexAssemble") >= 12
    assert mnemonics.count("PexWheelCheck") > 50
    # Installed trees (rules_python's and pycross' layouts) packed into wheels, once each.
    assert mnemonics.count("PexRepack") == 5
    assert not any(_cache_hit(s) for s in written)

    second = Bazel(copy_of_app(tmp_path / "second" / "elsewhere" / "app"), tmp_path / "other_base")
    try:
        second.build(f"--execution_log_json_file={tmp_path / 'second.json'}", *flags)
    finally:
        second.shutdown()
    spawns = pex_spawns(tmp_path / "second.json")
    # The same actions, every wheel check and repack among them, each a cache hit.
    assert sorted(s["mnemonic"] for s in spawns) == sorted(mnemonics)
    assert all(_cache_hit(s) for s in spawns), [
        s["actualOutputs"][0]["path"] for s in spawns if not _cache_hit(s)
    ]
