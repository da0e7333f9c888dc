#!/usr/bin/env bash
# Prints the path of a promtool binary, fetching it first if needed: the one on the PATH, else one extracted from
# Debian's `prometheus` package into a cache directory. The package is downloaded and unpacked, not installed:
# installing it would run its maintainer scripts, which start a Prometheus server (init.d or systemd) that nothing
# here wants on a shared machine. Needs apt-get and dpkg-deb; `apt-get update` (as root) only when the download
# fails, as ops/melody's apt_install does. Exit code 1, with the reason on stderr, when promtool cannot be had.
#   MELODY_PROMTOOL        use this binary
#   MELODY_PROMTOOL_CACHE  where to keep the extracted binary (default ~/.cache/melody/promtool)
set -euo pipefail

if [[ -n "${MELODY_PROMTOOL:-}" ]]; then
  [[ -x "$MELODY_PROMTOOL" ]] || { echo "promtool.sh: MELODY_PROMTOOL=$MELODY_PROMTOOL is not executable" >&2; exit 1; }
  echo "$MELODY_PROMTOOL"
  exit 0
fi
if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi

cache="${MELODY_PROMTOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/melody/promtool}"
if [[ -x "$cache/promtool" ]] && "$cache/promtool" --version >/dev/null 2>&1; then
  echo "$cache/promtool"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 ||
  { echo "promtool.sh: no promtool on the PATH, and no apt-get/dpkg-deb to fetch Debian's prometheus package" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log="$work/apt.log"
download() {
  # apt-get download writes to the current directory; as root it warns that the _apt user cannot write there.
  (cd "$work" && apt-get download -q prometheus) >>"$log" 2>&1
}
if ! download; then
  if ((EUID == 0)); then
    echo "promtool.sh: downloading the prometheus package failed; running apt-get update and trying again" >&2
    apt-get -q -o DPkg::Lock::Timeout=300 update >>"$log" 2>&1 || true
  fi
  download || {
    echo "promtool.sh: could not download Debian's prometheus package:" >&2
    grep -E '^(E|W): ' "$log" | tail -n 3 | sed 's/^/    | /' >&2 || true
    exit 1
  }
fi
deb="$(compgen -G "$work/prometheus_*.deb" | head -n 1)"
dpkg-deb -x "$deb" "$work/root"
mkdir -p "$cache"
install -m 0755 "$work/root/usr/bin/promtool" "$cache/promtool.new"
mv -f "$cache/promtool.new" "$cache/promtool"
"$cache/promtool" --version >/dev/null 2>&1 || { echo "promtool.sh: the extracted promtool does not run" >&2; exit 1; }
echo "$cache/promtool"
