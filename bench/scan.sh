#!/bin/sh
# Measures `jitsi-custom scan` beside `debsums -ca` and `dpkg --verify` on the same packages
# (bench/make-scan-world.sh: the five bundled packages, jitsi-meet-web at a real package's size,
# ~1,800 files and 110 MB; three edited files, one deleted, two unowned), warm (files in the page
# cache) and cold (every file under the root dropped from the page cache before each run with
# bench/evict.py; nobody else's cache is touched). `scan --threads 1` shows what the thread pool
# brings. hyperfine; results in bench/results/scan.md (the median table at its end) and
# bench/results/scan.json. All three report the same changed files (checked before measuring);
# scan also walks /usr/share/jitsi-meet and /etc/jitsi for unowned files.
# Usage: bench/scan.sh [WARM_RUNS] [COLD_RUNS]
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/.."
WARM=${1:-20}
COLD=${2:-10}

sudo_cmd=
[ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
for tool in hyperfine debsums; do
    if ! command -v $tool >/dev/null; then
        echo "bench/scan.sh: installing $tool" >&2
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $tool >/dev/null
    fi
done

cargo build --release --locked --quiet
JC=$PWD/target/release/jitsi-custom

WORLD=$(mktemp -d "${TMPDIR:-/tmp}/jitsi-custom-scan-bench.XXXXXX")
trap 'rm -rf "$WORLD"' EXIT INT TERM
bench/make-scan-world.sh "$WORLD"
ROOT=$WORLD/root
STATE=$WORLD/state
PACKAGES=$(tr '\n' ' ' < "$WORLD/packages")
FILES=$(cat "$ROOT"/var/lib/dpkg/info/*.md5sums | wc -l)

# The three must agree on what changed before their times mean anything.
expected="/etc/jitsi/videobridge/logging.properties
/usr/share/jitsi-meet/interface_config.js
/usr/share/jitsi-meet/sounds/sound-7.opus
/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html"
ours=$("$JC" --root "$ROOT" --state-dir "$STATE" --json scan | jq -r '.changed[].path' | sort) || true
theirs=$(dpkg --root="$ROOT" --verify $PACKAGES | awk '{print $NF}' | sort) || true
debsums_found=$( (debsums -ca --root="$ROOT" $PACKAGES 2>&1 || true) \
    | sed -e "s|^debsums: missing file $ROOT||" -e "s| (from .*||" -e "s|^$ROOT||" | sort)
for found in "$ours" "$theirs" "$debsums_found"; do
    if [ "$found" != "$expected" ]; then
        printf 'bench/scan.sh: the tools disagree; expected\n%s\nfound\n%s\n' "$expected" "$found" >&2
        exit 1
    fi
done

SCAN="$JC --root $ROOT --state-dir $STATE scan"
DEBSUMS="debsums -ca --root=$ROOT $PACKAGES"
VERIFY="dpkg --root=$ROOT --verify $PACKAGES"
EVICT="python3 $HERE/evict.py $ROOT"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p bench/results
# scan exits 1 and debsums 2 when something differs, as here: -i.
hyperfine --shell=none -i --style basic \
    --warmup 2 --runs "$WARM" \
    --command-name 'jitsi-custom scan (warm)' "$SCAN" \
    --command-name 'jitsi-custom scan --threads 1 (warm)' "$SCAN --threads 1" \
    --command-name 'debsums -ca (warm)' "$DEBSUMS" \
    --command-name 'dpkg --verify (warm)' "$VERIFY" \
    --export-json "$WORLD/warm.json" --export-markdown "$WORLD/warm.md"
hyperfine --shell=none -i --style basic \
    --runs "$COLD" --prepare "$EVICT" \
    --command-name 'jitsi-custom scan (cold)' "$SCAN" \
    --command-name 'jitsi-custom scan --threads 1 (cold)' "$SCAN --threads 1" \
    --command-name 'debsums -ca (cold)' "$DEBSUMS" \
    --command-name 'dpkg --verify (cold)' "$VERIFY" \
    --export-json "$WORLD/cold.json" --export-markdown "$WORLD/cold.md"

jq -s '{results: (.[0].results + .[1].results)}' "$WORLD/warm.json" "$WORLD/cold.json" \
    > bench/results/scan.json
{
    cat "$WORLD/warm.md"
    echo
    tail -n +3 "$WORLD/cold.md" | sed '1i| Command | Mean [ms] | Min [ms] | Max [ms] | Relative |\n|:---|---:|---:|---:|---:|'
    echo
    echo "Medians ($WARM warm runs, $COLD cold runs; $(wc -l < "$WORLD/packages") packages, $FILES packaged files,"
    echo "$(du -sm "$ROOT/usr" | cut -f1) MB; $(nproc) cores, load average $LOAD before the runs; $(date -u +%Y-%m-%d)):"
    echo
    echo "| command | median | × dpkg --verify | × debsums -ca |"
    echo "|:---|---:|---:|---:|"
    jq -r '
        (.results | map({key: .command, value: .median}) | from_entries) as $m
        | .results[]
        | (if (.command | endswith("(cold)")) then "cold" else "warm" end) as $t
        | "| `\(.command)` | \(.median * 1000 | round) ms | \(.median / $m["dpkg --verify (\($t))"] * 100 | round / 100) | \(.median / $m["debsums -ca (\($t))"] * 100 | round / 100) |"' \
        bench/results/scan.json
} > bench/results/scan.md
# The paths of a temporary world mean nothing once it is gone.
sed -i "s|$WORLD|\$WORLD|g" bench/results/scan.md bench/results/scan.json
cat bench/results/scan.md
