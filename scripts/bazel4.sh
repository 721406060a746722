#!/usr/bin/env bash
# Prints the path of a command that runs Debian 12's Bazel 4.2.3 (WORKSPACE mode, offline),
# installing it first if needed. Bazel 4.2.3 would download @platforms, @rules_cc and
# @rules_java: the command points them at Debian's packaged @platforms and the stand-ins in
# tools/bazel4/, through a bazelrc of its own, so workspaces keep only settings every
# Bazel understands.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CROSSPEX_CACHE:-$root/.cache}/bazel4"
wrapper="$cache/bazel4"

. "$root/scripts/apt.sh"
apt_install bazel4 bazel-bootstrap bazel-platforms
# Debian's build reports no version of its own: ask the package.
version="$(dpkg-query -W -f '${Version}' bazel-bootstrap 2>/dev/null || true)"
case "$version" in
  4.2.3*) ;;
  *) echo "bazel4: $(command -v bazel) is not Debian's Bazel 4.2.3 (package: ${version:-none})" >&2 && exit 1 ;;
esac

mkdir -p "$cache"
platforms_dir="$(dirname "$(dpkg -L bazel-platforms | grep '/platforms/WORKSPACE$' | head -n 1)")"
rc="# Written by crosspex's scripts/bazel4.sh for this host."
for command in build query fetch sync; do
  rc+="
$command --override_repository=platforms=$platforms_dir
$command --override_repository=rules_cc=$root/tools/bazel4/rules_cc
$command --override_repository=rules_java=$root/tools/bazel4/rules_java
$command --override_repository=rules_python=$root/tools/bazel4/rules_python"
done
printf '%s\n' "$rc" >"$cache/bazelrc"
cat >"$wrapper.new" <<SCRIPT
#!/bin/sh
# Written by crosspex's scripts/bazel4.sh: Bazel 4.2.3 with this host's offline settings.
exec bazel --bazelrc=$cache/bazelrc "\$@"
SCRIPT
chmod +x "$wrapper.new"
mv "$wrapper.new" "$wrapper"
echo "$wrapper"
