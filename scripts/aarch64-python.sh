#!/usr/bin/env bash
# Prints the path of a command that runs Debian's arm64 CPython 3.11 under qemu-user, setting
# it up first if needed: packages fetched with apt-get for arm64 into a private sysroot,
# without touching the host's apt architecture. The command re-enters qemu when Python
# re-executes itself (sys.executable is the command), so PEXes run as on a real aarch64 host.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CROSSPEX_CACHE:-$root/.cache}/aarch64"
sysroot="$cache/sysroot"
wrapper="$sysroot/usr/bin/python3.11-qemu"

if [ ! -x "$wrapper" ]; then
  command -v qemu-aarch64-static >/dev/null || {
    echo "aarch64-python: qemu-aarch64-static is missing: run scripts/setup.sh" >&2
    exit 1
  }
  rm -rf "$cache"
  mkdir -p "$cache/lists/partial" "$cache/archives/partial" "$cache/debs" "$sysroot"
  apt_opts=(
    -qq
    -oAPT::Architecture=arm64
    -oAPT::Architectures=arm64
    "-oDir::State::Lists=$cache/lists"
    "-oDir::Cache::Archives=$cache/archives"
    "-oDir::State::Status=/dev/null"
    -oDebug::NoLocking=1
    -oAPT::Sandbox::User=root
  )
  apt-get "${apt_opts[@]}" update >&2
  packages=(
    python3.11-minimal libpython3.11-minimal libpython3.11-stdlib
    libc6 libgcc-s1 libssl3 zlib1g libexpat1 libffi8 libbz2-1.0 liblzma5
    libcrypt1 libncursesw6 libtinfo6 libreadline8 libsqlite3-0
    libuuid1 libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3 libk5crypto3
    libkrb5support0 libcom-err2 libkeyutils1 libdb5.3 media-types
  )
  (cd "$cache/debs" && apt-get "${apt_opts[@]}" download "${packages[@]}" >&2)
  for deb in "$cache"/debs/*.deb; do
    dpkg -x "$deb" "$sysroot"
  done
  cat > "$wrapper" <<SCRIPT
#!/bin/sh
exec qemu-aarch64-static -L "$sysroot" -0 "\$0" "$sysroot/usr/bin/python3.11" "\$@"
SCRIPT
  chmod +x "$wrapper"
fi
echo "$wrapper"
