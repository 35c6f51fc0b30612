# Debian packages for the test suites (sourced). Installs without starting
# their services: policy-rc.d denies every start for the time of the
# install, and a service the install enabled is disabled again, so the
# machine runs nothing it did not run before.
#   apt_install PACKAGE...   (each package's service, if any, has its name)
# Recommended packages are left out unless APT_RECOMMENDS=1.
APT_SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then APT_SUDO=sudo; fi
APT_UPDATED=${APT_UPDATED:-}
apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "apt-get is not available: install $* by hand" >&2
    return 1
  fi
  echo "==> installing $* (Debian packages; their services are not started)"
  local policy=/usr/sbin/policy-rc.d added="" rc=0 pkg active=()
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $APT_SUDO tee "$policy" >/dev/null && $APT_SUDO chmod 755 "$policy" && added=1
  fi
  for pkg in "$@"; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$pkg" 2>/dev/null; then active+=("$pkg"); fi
  done
  if [ -z "$APT_UPDATED" ]; then
    # A failed update (a mirror mid-sync) leaves the previous lists.
    $APT_SUDO apt-get update -qq || echo "apt-get update failed; trying with the current package lists" >&2
    APT_UPDATED=1
  fi
  local opts=(--no-install-recommends)
  [ "${APT_RECOMMENDS:-}" = 1 ] && opts=()
  DEBIAN_FRONTEND=noninteractive $APT_SUDO apt-get install -y -qq "${opts[@]}" "$@" >/dev/null || rc=$?
  if [ -n "$added" ]; then $APT_SUDO rm -f "$policy"; fi
  for pkg in "$@"; do
    [[ " ${active[*]} " == *" $pkg "* ]] && continue
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$pkg" 2>/dev/null; then
      $APT_SUDO systemctl disable --now "$pkg" >/dev/null 2>&1 || true
    fi
  done
  return "$rc"
}
