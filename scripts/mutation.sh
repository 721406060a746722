#!/usr/bin/env bash
# A mutation run over the assembler modules that decide correctness, against the unit tests:
# prints the survivors and writes tests/mutation/REPORT.md. Not part of CI's pass/fail; run it
# before stopping work on those modules. Arguments narrow it to some modules, e.g.
#   bash scripts/mutation.sh archive_paths compat
# Later runs re-test only changed functions and earlier survivors; --fresh starts over.
# `report` writes the report again (after an explanation is added); `record MINUTES MODULE...`
# keeps what an interrupted run over MODULE... checked.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CROSSPEX_CACHE:-$root/.cache}/mutation"
python="${CROSSPEX_PYTHON:-$(command -v python3.11 || command -v python3)}"

# The unit tests run layers' launchers in bubblewrap.
. "$root/scripts/apt.sh"
apt_install mutation bubblewrap python3-venv

# Its own virtualenv: the project's pins and the mutation tool's, but not the project itself,
# whose installed copy would shadow the mutated one.
if [ ! -x "$cache/venv/bin/python" ]; then
  "$python" -m venv "$cache/venv"
fi
mapfile -t pins < <("$cache/venv/bin/python" "$root/scripts/mutation.py" pins)
"$cache/venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
case "${1:-}" in
  report) exec "$cache/venv/bin/python" "$root/scripts/mutation.py" report ;;
  # record MINUTES MODULE...: what an interrupted run checked
  record) exec "$cache/venv/bin/python" "$root/scripts/mutation.py" record --work "$cache/work" \
    --minutes "$2" "${@:3}" ;;
esac
exec "$cache/venv/bin/python" "$root/scripts/mutation.py" run --work "$cache/work" "$@"
