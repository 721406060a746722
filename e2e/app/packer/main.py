"""Packs its arguments with msgpack's C extension and prints them back."""

import sys

import msgpack

packed = msgpack.packb(sys.argv[1:])
print(msgpack.Packer.__module__, len(packed), msgpack.unpackb(packed))
