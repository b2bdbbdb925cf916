#!/bin/sh
# Benchmark of a realistic upgrade: 50 tracked files (the 11 of the bundled world, plus 39
# generated ones in an extra package: a ~1 MB lang JSON, small JSON files, HTML, JS, conffile
# .properties and minified CSS), every one customised in a way that merges cleanly, upgraded with
# the real dpkg from version A to B. Then, in one hyperfine run:
#
#   rebase:  jitsi-custom rebase --non-interactive --no-restart  (state restored before each run)
#   git:     git merge-file -p base local upstream > /dev/null, in a shell loop over the same 50
#            base/local/upstream triples
#
# and the peak memory of one rebase (/usr/bin/time -v). Results go to bench/results/rebase.md.
#
# usage: bench/rebase.sh              (env: RUNS=10, JITSI_CUSTOM=target/release/jitsi-custom)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
BIN=${JITSI_CUSTOM:-$REPO/target/release/jitsi-custom}
RUNS=${RUNS:-10}
RESULTS=$HERE/results/rebase.md

for tool in hyperfine dpkg dpkg-deb git jq python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[ -x "$BIN" ] || { echo "no binary at $BIN; run cargo build --release" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
export SOURCE_DATE_EPOCH=1714521600 LC_ALL=C
umask 022

echo "building packages" >&2
sh "$REPO/examples/build-repo.sh" "$WORK/debs" >/dev/null
python3 "$HERE/gen_extras.py" "$WORK/extras" >"$WORK/extras.list"
for side in A B; do
    dpkg-deb --root-owner-group -Zxz --build "$WORK/extras/$side" "$WORK/debs/extras-$side.deb" >/dev/null
done

NOT_ROOT=
[ "$(id -u)" = 0 ] || NOT_ROOT=--force-not-root
new_root() {
    mkdir -p "$1/var/lib/dpkg/info" "$1/var/lib/dpkg/updates" "$1/var/lib/dpkg/triggers" \
        "$1/var/log" "$1/var/cache/apt/archives"
    : >"$1/var/lib/dpkg/status"
    : >"$1/var/lib/dpkg/available"
}
install_into() {
    root=$1
    shift
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C dpkg --root="$root" \
        --log="$root/var/log/dpkg.log" --force-script-chrootless --force-confdef \
        --force-confold $NOT_ROOT -i "$@" >/dev/null 2>&1
}

R=$WORK/root
S=$WORK/state
J="$BIN --root $R --state-dir $S --non-interactive"

echo "installing version A, customising, recording" >&2
new_root "$R"
install_into "$R" "$WORK"/debs/1.0.1-1/*.deb "$WORK/debs/extras-A.deb"
$J init >/dev/null 2>&1
# shellcheck disable=SC2046
$J track $(cat "$WORK/extras.list") >/dev/null 2>&1
$J status --json | jq -r '.files[].path' >"$WORK/tracked.list"
COUNT=$(wc -l <"$WORK/tracked.list")
[ "$COUNT" -eq 50 ] || { echo "expected 50 tracked files, got $COUNT" >&2; exit 1; }

T=$WORK/triples
n=0
while read -r path; do
    n=$((n + 1))
    mkdir -p "$T/$n"
    cp "$R$path" "$T/$n/base"
done <"$WORK/tracked.list"

cp -R "$REPO/examples/customisations/." "$R/"
cp -R "$WORK/extras/custom/." "$R/"
$J record -m "customisations" >/dev/null 2>&1

n=0
while read -r path; do
    n=$((n + 1))
    cp "$R$path" "$T/$n/local"
done <"$WORK/tracked.list"

echo "upgrading to version B with dpkg" >&2
install_into "$R" "$WORK"/debs/1.0.2-1/*.deb "$WORK/debs/extras-B.deb"
# Upstream's new content of every file, from a fresh install of B (generated files included).
U=$WORK/upstream-root
new_root "$U"
install_into "$U" "$WORK"/debs/1.0.2-1/*.deb "$WORK/debs/extras-B.deb"
n=0
while read -r path; do
    n=$((n + 1))
    cp "$U$path" "$T/$n/upstream"
done <"$WORK/tracked.list"

cp -a "$R" "$WORK/root.saved"
cp -a "$S" "$WORK/state.saved"
RESTORE="rm -rf '$R' '$S' && cp -a '$WORK/root.saved' '$R' && cp -a '$WORK/state.saved' '$S'"
REBASE="$J rebase --no-restart"
LOOP="for d in $T/*; do git merge-file -p \$d/base \$d/local \$d/upstream >/dev/null || true; done"

# One checked run first: every customisation carries, nothing is parked.
sh -c "$RESTORE"
$REBASE >"$WORK/check.out" 2>&1 || { cat "$WORK/check.out" >&2; echo "rebase did not exit 0" >&2; exit 1; }
WRITTEN=$(grep -c '^wrote ' "$WORK/check.out" || true)
CARRIED=$(grep -c ': carried$' "$WORK/check.out" || true)
GIT_CONFLICTS=0
GIT_CONFLICT_FILES=
n=0
while read -r path; do
    n=$((n + 1))
    d=$T/$n
    if ! git merge-file -p "$d/base" "$d/local" "$d/upstream" >/dev/null 2>&1; then
        GIT_CONFLICTS=$((GIT_CONFLICTS + 1))
        GIT_CONFLICT_FILES="$GIT_CONFLICT_FILES \`$(basename "$path")\`"
    fi
done <"$WORK/tracked.list"
BIG=$(wc -c <"$R/usr/share/jitsi-meet/lang/main-bench.json")
TOTAL=$(cat "$WORK/tracked.list" | while read -r p; do cat "$R$p"; done | wc -c)

echo "measuring" >&2
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine --style basic --runs "$RUNS" --warmup 1 \
    --prepare "$RESTORE" --prepare "true" \
    --export-json "$WORK/hyperfine.json" --export-markdown "$WORK/hyperfine.md" \
    -n "jitsi-custom rebase" "$REBASE" \
    -n "git merge-file loop" "sh -c '$LOOP'" >&2

sh -c "$RESTORE"
/usr/bin/time -v $REBASE >/dev/null 2>"$WORK/time.txt" || true
MAXRSS=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")

REBASE_MEDIAN=$(jq '.results[0].median' "$WORK/hyperfine.json")
GIT_MEDIAN=$(jq '.results[1].median' "$WORK/hyperfine.json")
RATIO=$(echo "$REBASE_MEDIAN $GIT_MEDIAN" | awk '{printf "%.1f", $1 / $2}')
ms() { echo "$1" | awk '{printf "%.1f", $1 * 1000}'; }

mkdir -p "$(dirname "$RESULTS")"
{
    echo "# Rebase benchmark"
    echo
    echo "Generated by \`bench/rebase.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores,"
    echo "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1 | sed 's/  */ /g'); $(hyperfine --version); $(git --version))."
    echo
    echo "World: the bundled packages 1.0.1-1 → 1.0.2-1 plus a generated package jitsi-meet-extras"
    echo "1.0-1 → 2.0-1, installed with the real dpkg: $COUNT tracked files, $TOTAL bytes live in total,"
    echo "among them a $BIG-byte lang JSON (json strategy) and the 75 KB one-line all.css plus four"
    echo "minified theme CSS files (minified strategy). Every file is customised and every"
    echo "customisation merges cleanly: the checked run wrote $WRITTEN files, $CARRIED customisation/file"
    echo "pairs carried, nothing parked. A plain \`git merge-file\` on the same triples reports a"
    echo "conflict in $GIT_CONFLICTS of them:$GIT_CONFLICT_FILES."
    echo
    echo "Before each timed rebase the saved root and state dir are copied back (hyperfine"
    echo "\`--prepare\`, not timed). \`$RUNS\` runs each, 1 warm-up. Load average before"
    echo "measuring: $LOAD_BEFORE (the machine is shared; compare the ratio more than the times)."
    echo
    echo "| | median |"
    echo "|---|---|"
    echo "| \`jitsi-custom rebase --non-interactive --no-restart\` ($(basename "$(dirname "$BIN")") build) | $(ms "$REBASE_MEDIAN") ms |"
    echo "| \`git merge-file -p\` in a shell loop over the same 50 triples | $(ms "$GIT_MEDIAN") ms |"
    echo "| ratio | ${RATIO}× |"
    echo "| peak memory of one rebase (max RSS, \`/usr/bin/time -v\`) | $MAXRSS KiB |"
    echo
    echo "hyperfine's table:"
    echo
    cat "$WORK/hyperfine.md"
} >"$RESULTS"
cat "$RESULTS"
