#!/bin/sh
# Measures the apt hook's cost when nothing Jitsi-related changed: `hook pre-invoke` and
# `hook post-invoke` on a sandbox root with the bundled 1.0.1 packages installed by the real
# dpkg and about 50 tracked files (the 11 of the profile plus 40 extra ones), release build.
#
# usage: bench/hook-noop-local.sh [RUNS]     (needs dpkg-deb, dpkg and hyperfine)
# Prints hyperfine's table and writes target/bench/hook-noop-local.json.
set -eu

RUNS=${1:-30}
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"
command -v hyperfine >/dev/null || { echo "hyperfine is missing (apt-get install hyperfine)" >&2; exit 2; }

cargo build --release --quiet
BIN="$HERE/target/release/jitsi-custom"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
ROOT="$WORK/root"
STATE="$WORK/state"

# A dpkg root with the bundled packages.
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" "$ROOT/var/lib/dpkg/triggers" \
    "$ROOT/var/log" "$ROOT/var/cache/apt/archives"
: >"$ROOT/var/lib/dpkg/status"
: >"$ROOT/var/lib/dpkg/available"
sh examples/build-repo.sh "$WORK/debs" >/dev/null
NOT_ROOT=
[ "$(id -u)" = 0 ] || NOT_ROOT=--force-not-root
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C dpkg --root="$ROOT" --log="$ROOT/var/log/dpkg.log" \
    --force-script-chrootless $NOT_ROOT -i "$WORK"/debs/1.0.1-1/*.deb >/dev/null

JC="$BIN --root $ROOT --state-dir $STATE"
$JC init >/dev/null 2>&1
# 40 more tracked files, as a hoster with a larger customisation set would have.
mkdir -p "$ROOT/usr/share/jitsi-meet/extra"
i=1
while [ $i -le 40 ]; do
    printf 'var extra%s = { option: %s };\n' "$i" "$i" >"$ROOT/usr/share/jitsi-meet/extra/extra$i.js"
    i=$((i + 1))
done
$JC track "$ROOT"/usr/share/jitsi-meet/extra/*.js >/dev/null 2>&1
echo "tracked files: $(grep -c '^\[\[file\]\]' "$STATE/jitsi-custom.toml")"
# Warm the stat cache (entries younger than a second are not cached) and open a run.
sleep 1.2
$JC status >/dev/null 2>&1 || true
$JC hook pre-invoke 2>/dev/null

mkdir -p "$HERE/target/bench"
hyperfine --warmup 3 --runs "$RUNS" -N \
    --export-json "$HERE/target/bench/hook-noop-local.json" \
    "$JC hook pre-invoke" \
    "$JC hook post-invoke"
