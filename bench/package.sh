#!/bin/sh
# The Debian package's figures: the .deb's size, its installed size, the packaged binary's size,
# and the packaged binary's start-up beside another build (e.g. main's release binary before the
# package): `--version`, and the apt hook pair on the fast path (nothing changed), set up as
# bench/hook-noop-local.sh does (the bundled 1.0.1 packages installed by the real dpkg into a
# sandbox root, about 50 tracked files).
#
# usage: bench/package.sh [OLD_BINARY] [RUNS]      (needs dpkg, dpkg-deb and hyperfine)
# The package is built (or brought up to date) by scripts/build-deb. Prints the
# sizes and hyperfine's table; writes target/bench/package.json.
set -eu

OLD=${1:-}
RUNS=${2:-30}
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"
command -v hyperfine >/dev/null || { echo "hyperfine is missing (apt-get install hyperfine)" >&2; exit 2; }

DEB=$(scripts/build-deb)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
dpkg-deb -x "$DEB" "$WORK/pkg"
NEW="$WORK/pkg/usr/bin/jitsi-custom"

echo "package: $DEB"
echo "  .deb size:      $(stat -c %s "$DEB") bytes"
echo "  Installed-Size: $(dpkg-deb --field "$DEB" Installed-Size) KiB"
echo "  files:          $(dpkg-deb -c "$DEB" | grep -c '^-')"
echo "  /usr/bin/jitsi-custom: $(stat -c %s "$NEW") bytes"
if [ -n "$OLD" ]; then
    echo "  old binary ($OLD): $(stat -c %s "$OLD") bytes"
fi

ROOT="$WORK/root"
STATE="$WORK/state"
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" "$ROOT/var/lib/dpkg/triggers" \
    "$ROOT/var/log" "$ROOT/var/cache/apt/archives"
: >"$ROOT/var/lib/dpkg/status"
: >"$ROOT/var/lib/dpkg/available"
sh examples/build-repo.sh "$WORK/debs" >/dev/null
NOT_ROOT=
[ "$(id -u)" = 0 ] || NOT_ROOT=--force-not-root
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C dpkg --root="$ROOT" --log="$ROOT/var/log/dpkg.log" \
    --force-script-chrootless $NOT_ROOT -i "$WORK"/debs/1.0.1-1/*.deb >/dev/null

JC="$NEW --root $ROOT --state-dir $STATE"
$JC init >/dev/null 2>&1
mkdir -p "$ROOT/usr/share/jitsi-meet/extra"
i=1
while [ $i -le 40 ]; do
    printf 'var extra%s = { option: %s };\n' "$i" "$i" >"$ROOT/usr/share/jitsi-meet/extra/extra$i.js"
    i=$((i + 1))
done
$JC track "$ROOT"/usr/share/jitsi-meet/extra/*.js >/dev/null 2>&1
echo "tracked files: $(grep -c '^\[\[file\]\]' "$STATE/jitsi-custom.toml")"
sleep 1.2
$JC status >/dev/null 2>&1 || true
$JC hook pre-invoke 2>/dev/null

# Before `init` (the package's hook on a server nobody set up yet): no state directory.
NONE="$NEW --root $ROOT --state-dir $WORK/no-state"
set -- "$NEW --version" "$JC hook pre-invoke" "$JC hook post-invoke" \
    "$NONE hook pre-invoke" "$NONE hook post-invoke"
if [ -n "$OLD" ]; then
    JO="$OLD --root $ROOT --state-dir $STATE"
    set -- "$@" "$OLD --version" "$JO hook pre-invoke" "$JO hook post-invoke"
fi
mkdir -p "$HERE/target/bench"
hyperfine --warmup 3 --runs "$RUNS" -N --export-json "$HERE/target/bench/package.json" "$@"
[ ! -e "$WORK/no-state" ] || { echo "the hook created a state directory before init" >&2; exit 1; }
out=$($NONE hook pre-invoke 2>&1; $NONE hook post-invoke 2>&1)
[ -z "$out" ] || { echo "the hook spoke before init: $out" >&2; exit 1; }
