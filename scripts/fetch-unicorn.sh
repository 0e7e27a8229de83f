#!/usr/bin/env bash
# Fetch Unicorn >= 2.1 (Debian unstable's libunicorn2t64) into .unicorn/ at the repository
# root, which crashlab loads by default (src/emu/library.ts). Debian 12 packages only
# Unicorn 2.0.1, whose every guest store takes QEMU's slow path; 2.1's virtual TLB is what
# runs guests at qemu-user speed. The package's only dependency is libc6 (>= 2.34), and
# Debian 12 has 2.36.
#
# apt runs with a private configuration (its own source list, lists and cache directories
# under .unicorn/apt, no preferences): the machine's apt configuration is neither read for
# sources nor changed. The one source line names the Debian mirror this machine already
# uses, suite sid, component main, signed by Debian's archive keyring. The .deb is unpacked
# with dpkg -x; only libunicorn.so.2 is kept. The library's uc_version must say 2.1 or
# later, else nothing is installed.
#
#   scripts/fetch-unicorn.sh              fetch unless .unicorn/ already holds Unicorn >= 2.1
#   scripts/fetch-unicorn.sh --force      fetch again
#   scripts/fetch-unicorn.sh --headers D  also unpack the matching libunicorn-dev headers into D
#                                         (for scripts/gen-unicorn-consts.mjs; not needed to run)
#
# Exit status 0 when .unicorn/libunicorn.so.2 is Unicorn >= 2.1 afterwards, 1 when it could
# not be fetched (set-up then goes on with the system's 2.0.1, see scripts/setup.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/.unicorn"
FORCE=0
HEADERS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --headers) HEADERS="$2"; shift ;;
    *) echo "fetch-unicorn: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# The version of a libunicorn file, as uc_version reports it ("2.1.4"), or nothing.
version_of() {
  node --input-type=module -e '
    import koffi from "koffi";
    try {
      const lib = koffi.load(process.argv[1]);
      const v = lib.func("unsigned int uc_version(unsigned int *major, unsigned int *minor)")(null, null) >>> 0;
      console.log(`${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}`);
    } catch {}' "$1" 2>/dev/null || true
}
at_least_2_1() { # "2.1.4" -> true
  local major minor
  IFS=. read -r major minor _ <<<"$1"
  [ -n "$major" ] && { [ "$major" -gt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -ge 1 ]; }; }
}

if [ "$FORCE" = 0 ] && [ -z "$HEADERS" ] && [ -f "$DEST/libunicorn.so.2" ]; then
  have="$(cd "$ROOT" && version_of "$DEST/libunicorn.so.2")"
  if at_least_2_1 "$have"; then
    echo "fetch-unicorn: .unicorn/libunicorn.so.2 is Unicorn $have already"
    exit 0
  fi
fi

# The Debian mirror this machine uses (deb822 .sources first, then the one-line format).
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror="$(awk 'tolower($1)=="uris:" && $2 !~ /security/ { print $2; exit }' "$f")"
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk '$1=="deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } } }' /etc/apt/sources.list)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

work="$DEST/apt"
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts" "$work/pkg"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" > "$work/sources.list"
arch="$(dpkg --print-architecture)"
APT=(apt-get -q
  -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
  -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=$work/parts"
  -o "APT::Architecture=$arch" -o "APT::Architectures=$arch" -o "Acquire::Languages=none"
  -o "APT::Sandbox::User=$(id -un)")

fail() {
  echo "fetch-unicorn: $1" >&2
  rm -rf "$work"
  exit 1
}
echo "fetch-unicorn: fetching libunicorn2t64 from $mirror sid (private apt configuration)"
"${APT[@]}" update >"$work/update.log" 2>&1 || fail "apt-get update of $mirror sid failed: $(tail -1 "$work/update.log")"
pkgs=(libunicorn2t64)
[ -n "$HEADERS" ] && pkgs+=(libunicorn-dev)
(cd "$work/pkg" && "${APT[@]}" download "${pkgs[@]}" >"$work/download.log" 2>&1) \
  || fail "apt-get download ${pkgs[*]} failed: $(tail -1 "$work/download.log")"
deb="$(ls "$work/pkg"/libunicorn2t64_*.deb 2>/dev/null | head -1)"
[ -n "$deb" ] || fail "no libunicorn2t64 package downloaded"
dpkg -x "$deb" "$work/root"
lib="$(find "$work/root" -name 'libunicorn.so.2' \( -type f -o -type l \) | head -1)"
[ -n "$lib" ] || fail "$(basename "$deb") holds no libunicorn.so.2"
got="$(cd "$ROOT" && version_of "$lib")"
at_least_2_1 "$got" || fail "$(basename "$deb") is Unicorn '${got:-unloadable}', not 2.1 or later"
cp -L "$lib" "$DEST/libunicorn.so.2.tmp"
mv "$DEST/libunicorn.so.2.tmp" "$DEST/libunicorn.so.2"
printf '%s\n' "$(basename "$deb" .deb)" > "$DEST/PACKAGE"
if [ -n "$HEADERS" ]; then
  dev="$(ls "$work/pkg"/libunicorn-dev_*.deb | head -1)"
  dpkg -x "$dev" "$work/dev"
  mkdir -p "$HEADERS"
  cp "$work/dev/usr/include/unicorn/"*.h "$HEADERS/"
  echo "fetch-unicorn: headers of $(basename "$dev" .deb) in $HEADERS"
fi
rm -rf "$work"
echo "fetch-unicorn: .unicorn/libunicorn.so.2 is Unicorn $got ($(cat "$DEST/PACKAGE"))"
