# Sourced by the project's scripts: `apt_install WHO PACKAGE...` installs with the host's
# apt-get (through sudo when not root) whichever of PACKAGE is not installed yet.
apt_install() {
  local who="$1"
  shift
  local missing=() package
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "$who: installing ${missing[*]} with apt-get" >&2
  local sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

host_mirror() {
  # The Debian archive the host's apt already uses, for debootstrap: no mirror is written into
  # the project.
  local codename
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  apt-get indextargets --format '$(REPO_URI) $(ORIGIN) $(CODENAME)' |
    awk -v c="$codename" '$2 == "Debian" && $3 == c { print $1; exit }'
}
