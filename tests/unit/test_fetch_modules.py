"""pip_wheels refetches when any assembler module changes: it must name every module."""

from __future__ import annotations

import re

from support import ROOT


def test_pip_wheels_watches_every_assembler_module():
    rule = (ROOT / "py/private/pip_wheels.bzl").read_text()
    listed = re.findall(r'^    "(\w+\.py)",$', rule, re.M)
    on_disk = sorted(p.name for p in (ROOT / "tools/pex_assembler").glob("*.py"))
    assert listed == on_disk
