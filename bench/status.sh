#!/bin/sh
# Measures `jitsi-custom status` on a dpkg root with 50 tracked files (bench/make-status-world.sh),
# warm (stat cache filled) and cold (stat cache deleted before every run), next to
# `dpkg --verify` of the same packages. hyperfine, 30 runs each after 3 warm-up runs; results in
# bench/results/status.md (the median table at its end) and bench/results/status.json.
# Usage: bench/status.sh [RUNS]
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/.."
RUNS=${1:-30}

if ! command -v hyperfine >/dev/null; then
    echo "bench/status.sh: installing hyperfine" >&2
    sudo_cmd=
    [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq hyperfine >/dev/null
fi

cargo build --release --locked --quiet
JC=$PWD/target/release/jitsi-custom

WORLD=$(mktemp -d "${TMPDIR:-/tmp}/jitsi-custom-bench.XXXXXX")
trap 'rm -rf "$WORLD"' EXIT INT TERM
bench/make-status-world.sh "$WORLD" "$JC"
ROOT=$WORLD/root
STATE=$WORLD/state
PACKAGES=$(tr '\n' ' ' < "$WORLD/packages")

# The stat cache leaves out files changed within the last second; let the world settle, then
# fill the cache once. Everything is clean, so status exits 0.
sleep 2
"$JC" --root "$ROOT" --state-dir "$STATE" status >/dev/null
test -s "$STATE/stat-cache.json"

STATUS="$JC --root $ROOT --state-dir $STATE status"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p bench/results
hyperfine --shell=none --warmup 3 --runs "$RUNS" --style basic \
    --prepare true --command-name 'jitsi-custom status (warm)' "$STATUS" \
    --prepare "rm -f $STATE/stat-cache.json" --command-name 'jitsi-custom status (cold)' "$STATUS" \
    --prepare true --command-name "dpkg --verify ($(wc -l < "$WORLD/packages") packages)" \
    "dpkg --root=$ROOT --verify $PACKAGES" \
    --export-markdown bench/results/status.md --export-json bench/results/status.json

{
    echo
    echo "Median of $RUNS runs (50 tracked files; $(nproc) cores, load average $LOAD before the runs;"
    echo "$(date -u +%Y-%m-%d)):"
    echo
    echo "| command | median |"
    echo "|:---|---:|"
    jq -r '.results[] | "| `\(.command)` | \(.median * 1000 * 100 | round / 100) ms |"' \
        bench/results/status.json
} >> bench/results/status.md
# The paths of a temporary world mean nothing once it is gone.
sed -i "s|$WORLD|\$WORLD|g" bench/results/status.md bench/results/status.json
cat bench/results/status.md
