#!/usr/bin/env bash
# Prints the path of a Debian 12 (bookworm) x86_64 root with its CPython 3.11 at
# /usr/bin/python3.11, made with debootstrap on first use: the base of the x86_64 container
# image the tests stack the virtualenv layers on.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CROSSPEX_CACHE:-$root/.cache}/bookworm"
sysroot="$cache/root"
# shellcheck source=scripts/apt.sh
. "$root/scripts/apt.sh"

if [ ! -x "$sysroot/usr/bin/python3.11" ]; then
  apt_install bookworm-root debootstrap debian-archive-keyring
  rm -rf "$cache"
  mkdir -p "$cache"
  mirror="$(host_mirror)"
  echo "bookworm-root: making a Debian 12 root in $sysroot" >&2
  debootstrap --variant=minbase --include=python3.11-minimal,libpython3.11-stdlib bookworm \
    "$sysroot" ${mirror:+"$mirror"} >"$cache/debootstrap.log" 2>&1 || {
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  }
fi
echo "$sysroot"
