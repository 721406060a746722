#!/usr/bin/env bash
# Installs what crosspex's demo and tests need on a Debian/Ubuntu host, besides Bazel
# (scripts/bazel7.sh provides that). Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

. "$root/scripts/apt.sh"
apt_install setup qemu-user-static strace file python3-venv umoci skopeo
# buildifier comes from npm, run with npx.
command -v npx >/dev/null || apt_install setup npm

# The tests run PEXes on each CPython they target; apt has only the system's own. Say early
# which are missing: each test that needs one fails naming it.
missing=()
for version in 3.9 3.10 3.11 3.12 3.13; do
  command -v "python$version" >/dev/null ||
    compgen -G "$(pyenv root 2>/dev/null || echo /nonexistent)/versions/$version.*/bin/python$version" >/dev/null ||
    missing+=("$version")
done
[ ${#missing[@]} -eq 0 ] ||
  echo "setup: CPython ${missing[*]} not found (PATH or pyenv): the tests that run PEXes on them will fail" >&2

python="${CROSSPEX_PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x "$root/.venv/bin/python" ]; then
  "$python" -m venv "$root/.venv"
fi
"$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[test]"

echo "setup: ready ($("$root/.venv/bin/python" --version))" >&2
