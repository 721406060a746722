#!/usr/bin/env bash
# A Remote Execution API service on loopback, for the tests and for trying crosspex's remote
# builds by hand (docs/remote-execution.md): PostgreSQL, BuildGrid and N workers, each running
# actions in an isolated Debian root (the one scripts/bazel7.sh makes) with bubblewrap.
#
#   bash scripts/remote-execution.sh start DIR [WORKERS]   prints grpc://127.0.0.1:PORT
#   bash scripts/remote-execution.sh stop DIR              stops every process by its id
#   bash scripts/remote-execution.sh paths                 prints BuildGrid's bgd and the root
#
# Installs what is missing first: Debian's postgresql and bubblewrap, BuildGrid, the root.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/apt.sh"

prepare() {
  apt_install remote-execution postgresql bubblewrap
  bgd="$(bash "$root/scripts/buildgrid.sh")"
  sysroot="$(dirname "$(bash "$root/scripts/bazel7.sh")")/root"
}

command="${1:-}"
case "$command" in
  paths)
    prepare
    printf '%s\n%s\n' "$bgd" "$sysroot"
    ;;
  start)
    [ $# -ge 2 ] || { echo "usage: $0 start DIR [WORKERS]" >&2; exit 2; }
    prepare
    exec python3 "$root/tests/harness/remote/service.py" start --dir "$2" \
      --bgd "$bgd" --root "$sysroot" --workers "${3:-4}"
    ;;
  stop)
    [ $# -ge 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }
    exec python3 "$root/tests/harness/remote/service.py" stop --dir "$2"
    ;;
  *)
    echo "usage: $0 start DIR [WORKERS] | stop DIR | paths" >&2
    exit 2
    ;;
esac
