#!/usr/bin/env bash
# Prints the path of BuildGrid's `bgd` (a Remote Execution API server, used by the tests as a
# shared cache), installing it into .cache/ first if needed. BuildGrid needs CPython 3.13.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${CROSSPEX_CACHE:-$root/.cache}/buildgrid"

if [ ! -x "$venv/bin/bgd" ]; then
  python313="$(command -v python3.13 2>/dev/null || true)"
  if ! "${python313:-false}" -c '' 2>/dev/null; then
    python313="$(ls -d "$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3.13 2>/dev/null | tail -n 1)"
  fi
  [ -x "$python313" ] || { echo "buildgrid: CPython 3.13 is needed" >&2; exit 1; }
  rm -rf "$venv"
  "$python313" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check buildgrid==0.9.1 >&2
fi
echo "$venv/bin/bgd"
