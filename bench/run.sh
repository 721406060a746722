#!/usr/bin/env bash
# The benchmark suite: every figure beside its yardstick from the same run, as a ratio.
#   bash bench/run.sh            # all of it (several minutes: the pex CLI is slow)
#   bash bench/run.sh --quick    # the small wheel set only
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
exec "$root/.venv/bin/python" "$root/bench/bench.py" "$@"
