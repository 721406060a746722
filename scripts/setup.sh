#!/usr/bin/env bash
# Installs what crosspex's demo and tests need on a Debian/Ubuntu host, besides the two
# Bazels (scripts/bazel7.sh and scripts/bazel4.sh provide those). Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

need_apt=()
command -v qemu-aarch64-static >/dev/null || need_apt+=(qemu-user-static)
command -v strace >/dev/null || need_apt+=(strace)
command -v file >/dev/null || need_apt+=(file)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} with apt-get" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

python="${CROSSPEX_PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x "$root/.venv/bin/python" ]; then
  "$python" -m venv "$root/.venv"
fi
"$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[test]"

echo "setup: ready ($("$root/.venv/bin/python" --version))" >&2
