"""Prints where each dependency was imported from: a PEX-installed distribution or not."""

import click
import dateutil
import six

for module in (click, dateutil, six):
    installed = "/installed_wheels/" in module.__file__.replace("\\", "/")
    print(module.__name__, "installed" if installed else module.__file__)
