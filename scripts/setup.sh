#!/usr/bin/env bash
# Installs what crosspex's demo and tests need on a Debian/Ubuntu host, then writes the
# per-host Bazel settings. Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

need_apt=()
command -v bazel >/dev/null || need_apt+=(bazel-bootstrap)
dpkg -s bazel-platforms >/dev/null 2>&1 || need_apt+=(bazel-platforms)
command -v qemu-aarch64-static >/dev/null || need_apt+=(qemu-user-static)
command -v strace >/dev/null || need_apt+=(strace)
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

platforms_dir="$(dirname "$(dpkg -L bazel-platforms | grep '/platforms/WORKSPACE$' | head -n 1)")"
host_rc="# Written by scripts/setup.sh for this host."
for command in build query fetch sync; do
  host_rc+="
$command --override_repository=platforms=$platforms_dir
$command --override_repository=rules_cc=$root/tools/bazel4/rules_cc
$command --override_repository=rules_java=$root/tools/bazel4/rules_java"
done
for workspace in "$root" "$root"/e2e/*/; do
  [ -f "$workspace/WORKSPACE" ] && printf '%s\n' "$host_rc" > "$workspace/.bazelrc.host"
done
echo "setup: ready ($("$root/.venv/bin/python" --version), $(command -v bazel))" >&2
