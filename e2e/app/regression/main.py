"""The example app's summary, run from a py_binary that carries a host-only tool."""

from app.lib.summary import render, summarize

print(render(summarize("2024-01-31", "2024-03-15")), end="")
