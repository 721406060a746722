"""Uses every locked package, and says which came from where."""

import click
import dateutil.parser
import msgpack

when = dateutil.parser.isoparse("2024-02-29")
click.echo(f"{when.day} {msgpack.Packer.__module__} {click.__name__}")
