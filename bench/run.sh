#!/usr/bin/env bash
# The benchmark suite: every figure beside its yardstick from the same run, as a ratio.
#   bash bench/run.sh            # all of it (several minutes: the pex CLI is slow)
#   bash bench/run.sh --quick    # the small wheel set only
#   bash bench/run.sh --only large --only assembler   # some sections only
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
. "$root/scripts/apt.sh"
# The yardstick of a PEX's first run: its wheels unzipped one after another.
apt_install bench unzip
exec "$root/.venv/bin/python" "$root/bench/bench.py" "$@"
