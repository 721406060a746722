"""Zip conventions shared by everything the assembler writes."""

# The earliest time a zip entry can hold; the same value pex uses for deterministic builds.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
