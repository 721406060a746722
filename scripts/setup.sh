#!/usr/bin/env bash
# Installs what crosspex's demo and tests need on a Debian/Ubuntu host, besides the two
# Bazels (scripts/bazel7.sh and scripts/bazel4.sh provide those). Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

. "$root/scripts/apt.sh"
apt_install setup qemu-user-static strace file

python="${CROSSPEX_PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x "$root/.venv/bin/python" ]; then
  "$python" -m venv "$root/.venv"
fi
"$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[test]"

echo "setup: ready ($("$root/.venv/bin/python" --version))" >&2
