#!/usr/bin/env bash
# Prints the path of a command that runs Debian's Bazel 7.7.1 (bzlmod, offline), setting it up
# first if needed. Debian's Bazel 7 needs a newer C library and Java than the host's, so it
# lives in a Debian unstable root under the cache, made with debootstrap, and each command
# enters that root with bubblewrap. The host's /tmp, this checkout, the cache and pip's and
# uv's configuration (with every file and directory it names) are visible inside at the same
# paths, and the root trusts the CAs the host added to its store. Bazel's output user root
# lives in the cache, so every path Bazel prints or links (`bazel info`, `bazel-bin`) is the
# same path on the host. The host's apt setup is never changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CROSSPEX_CACHE:-$root/.cache}/bazel7"
. "$root/scripts/apt.sh"
sysroot="$cache/root"
output_user_root="$cache/output_user_root"
# One command per checkout, as it binds that checkout: checkouts may share the cache.
wrapper="$cache/bazel7-$(printf '%s' "$root" | md5sum | cut -c1-12)"
# Bump when the recipe below changes: the next run then rebuilds the root.
recipe=2

packages=(
  bazel-bootstrap bazel-rules-python bazel-platforms bazel-skylib bazel-lib bazel-rules-cc
  bazel-rules-java bazel-features bazel-rules-shell bazel-java-tools bazel-stardoc
  python3 python3-pip python3-venv git strace
)

pip_paths() {
  # pip's and uv's configuration files, and every absolute path or file:// URL their settings
  # and PIP_*, UV_* and SSL_CERT_* variables name (certificates, find-links, local indexes).
  # The files are read as text: a fresh host has no pip outside the project's virtualenv.
  local config="${XDG_CONFIG_HOME:-$HOME/.config}" path
  local places=(/etc/pip.conf /etc/xdg/pip "$config/pip" "$HOME/.pip" /etc/uv "$config/uv")
  [ -z "${PIP_CONFIG_FILE:-}" ] || places+=("$PIP_CONFIG_FILE")
  printf '%s\n' "${places[@]}"
  for path in "${places[@]}"; do
    if [ -d "$path" ]; then
      find "$path" -maxdepth 1 -type f \( -name '*.conf' -o -name '*.toml' -o -name '*.ini' \)
    elif [ -f "$path" ]; then
      echo "$path"
    fi
  done | while IFS= read -r path; do grep -v '^[[:space:]]*[#;]' "$path" || true; done |
    tr '=,"[]'"'"'\t' '       ' | tr ' ' '\n'
  env | grep -E '^(PIP_|UV_|SSL_CERT_)' | cut -d= -f2- | tr ' ' '\n'
}

in_root() {
  bwrap --bind "$sysroot" / --bind /proc /proc --bind /sys /sys --dev /dev --tmpfs /tmp \
    --ro-bind /etc/resolv.conf /etc/resolv.conf \
    --clearenv --setenv PATH /usr/sbin:/usr/bin:/sbin:/bin --setenv HOME /root \
    --setenv DEBIAN_FRONTEND noninteractive --setenv LANG C.UTF-8 "$@"
}

make_root() {
  apt_install bazel7 debootstrap bubblewrap debian-archive-keyring
  rm -rf "$cache"
  mkdir -p "$cache"
  echo "bazel7: making a Debian unstable root in $sysroot (about 2.5 GB)" >&2
  # On a host that is not Debian (Ubuntu), debootstrap's own default archive.
  local mirror
  mirror="$(host_mirror)"
  debootstrap --variant=minbase --include=ca-certificates sid "$sysroot" ${mirror:+"$mirror"} \
    >"$cache/debootstrap.log" 2>&1 || {
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  }
  # No services start inside; unstable's Release file may look expired to this clock.
  printf '#!/bin/sh\nexit 101\n' >"$sysroot/usr/sbin/policy-rc.d"
  chmod +x "$sysroot/usr/sbin/policy-rc.d"
  echo 'Acquire::Check-Valid-Until "false";' >"$sysroot/etc/apt/apt.conf.d/99crosspex"
  in_root sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${packages[*]}" \
    >"$cache/apt.log" 2>&1 || {
    tail -n 20 "$cache/apt.log" >&2
    exit 1
  }

  touch "$cache/recipe-$recipe"
}

write_rc() {
  # The offline setup is files in the repository (scripts/bazel7/): copied into the root, with
  # the rc's paths filled in.
  local offline=/opt/crosspex-offline java_tools
  # Copied over in place: a running build may be reading them.
  mkdir -p "$sysroot$offline"
  cp -rT "$root/scripts/bazel7/offline" "$sysroot$offline"
  java_tools="/$(cd "$sysroot" && echo usr/lib/*/bazel/java_tools)"
  sed -e "s|@OUTPUT_USER_ROOT@|$output_user_root|g" -e "s|@OFFLINE@|$offline|g" \
    -e "s|@JAVA_TOOLS@|$java_tools|g" "$root/scripts/bazel7/bazelrc" \
    >"$sysroot/etc/bazel.bazelrc.new"
  # Debian's own rc names the tools' JDK with an option that warns on every command: the
  # current spelling of the same choice.
  sed -i 's|^build --host_javabase=@local_jdk//:jdk$|build --tool_java_runtime_version=local_jdk|' \
    "$sysroot/etc/bazel/bazelrc"
  # Replaced by a rename: a Bazel client may be reading it.
  mv "$sysroot/etc/bazel.bazelrc.new" "$sysroot/etc/bazel.bazelrc"
  mkdir -p "$output_user_root"
}

trust_host_cas() {
  # The CAs the host added to its store (a TLS-intercepting proxy's, say) join the root's, whose
  # update-ca-certificates also rebuilds the Java trust store Bazel's downloader reads.
  local host=/usr/local/share/ca-certificates inside="$sysroot/usr/local/share/ca-certificates"
  [ -d "$host" ] || return 0
  diff -r "$host" "$inside" >/dev/null 2>&1 && return 0
  rm -rf "$inside"
  cp -rL "$host" "$inside"
  in_root update-ca-certificates --fresh >"$cache/ca-certificates.log" 2>&1 || {
    tail -n 20 "$cache/ca-certificates.log" >&2
    exit 1
  }
}

host_pythons() {
  # Each CPython 3.X on the host's PATH that the root lacks (a launcher such as a pyenv shim
  # resolved): "3.X executable prefix stdlib", one line each.
  local minor python
  for minor in 8 9 10 11 12 13 14; do
    python="$(command -v "python3.$minor" || true)"
    [ -n "$python" ] && [ ! -e "$sysroot/usr/bin/python3.$minor" ] || continue
    "$python" -c 'import sys, sysconfig
print("%d.%d" % sys.version_info[:2], sys.executable, sys.prefix, sysconfig.get_path("stdlib"))' \
      2>/dev/null || true
  done
}

write_wrapper() {
  # The whole cache, not only the root's part: tests keep inputs there (distdirs), and a
  # checkout may use a cache outside itself (CROSSPEX_CACHE).
  local shared="${cache%/bazel7}"
  local binds=(--bind /tmp /tmp --bind "$root" "$root" --bind "$shared" "$shared")
  local path version executable prefix stdlib
  # As on a host where Bazel itself runs, the host's other CPythons are on PATH inside: the
  # default toolchain finds them there to compile venv layers' .pyc for their versions.
  mkdir -p "$cache/host-pythons"
  while read -r version executable prefix stdlib; do
    if [ "$prefix" = /usr ]; then
      binds+=(--ro-bind "$executable" "$executable" --ro-bind "$stdlib" "$stdlib")
    else
      binds+=(--ro-bind "$prefix" "$prefix")
    fi
    # Replaced by a rename: a running build may be using the link.
    ln -sfn "$executable" "$cache/host-pythons/.python$version.$$"
    mv -Tf "$cache/host-pythons/.python$version.$$" "$cache/host-pythons/python$version"
  done < <(host_pythons)
  while IFS= read -r path; do
    path="${path#file://}"
    path="${path%/}"
    case "$path" in /*) ;; *) continue ;; esac
    # A local index's pages (.../simple) link to files beside that directory.
    [ "$(basename "$path")" = simple ] && path="$(dirname "$path")"
    [ -e "$path" ] && binds+=(--ro-bind "$path" "$path")
  done < <(pip_paths | sort -u)
  cat >"$wrapper.new" <<SCRIPT
#!/usr/bin/env bash
# Written by crosspex's scripts/bazel7.sh: Debian's Bazel 7.7.1, in $sysroot.
set -euo pipefail
args=(
  --bind $(printf '%q' "$sysroot") / --bind /proc /proc --bind /sys /sys --dev /dev
  --ro-bind /etc/resolv.conf /etc/resolv.conf --ro-bind /etc/hosts /etc/hosts
  $(printf '%q ' "${binds[@]}")
  --chdir "\$PWD" --clearenv --setenv PATH /usr/sbin:/usr/bin:/sbin:/bin:$(printf '%q' "$cache/host-pythons") --setenv HOME /root
)
# CROSSPEX_PYTHON names a host interpreter for the assembler: its installation is mounted.
if [ -n "\${CROSSPEX_PYTHON:-}" ]; then
  prefix="\$(dirname "\$(dirname "\$(readlink -f "\$CROSSPEX_PYTHON")")")"
  args+=(--ro-bind "\$prefix" "\$prefix")
fi
for name in \$(compgen -e); do
  case "\$name" in
    PIP_* | UV_* | SSL_CERT_* | CROSSPEX_* | TMPDIR | HOME | LANG | LC_* | TZ | PEX_ROOT) args+=(--setenv "\$name" "\${!name}") ;;
  esac
done
exec bwrap "\${args[@]}" -- /usr/bin/bazel "\$@"
SCRIPT
  chmod +x "$wrapper.new"
  mv "$wrapper.new" "$wrapper"
}

[ -e "$cache/recipe-$recipe" ] || make_root
write_rc
trust_host_cas
write_wrapper
echo "$wrapper"
