#!/usr/bin/env bash
# What an apt hook costs when nothing changed: each COMMAND runs RUNS times inside the
# end-to-end chroot (tests/e2e/run-scenario.sh, flavour `bench`: etckeeper and git installed),
# after the bundled Jitsi-like packages 1.0.1-1 were installed with apt, SETUP ran and every
# COMMAND ran once, so the measured runs find nothing to do. Reports min, median and max per
# command, with hyperfine when the host has it (copied into the chroot), else (or with --loop)
# with a bash timing loop, whose figures include starting `bash -c`.
#
#   bench/hook-noop.sh [--runs N] [--setup 'CMD'] [--loop] COMMAND...
#
#   bench/hook-noop.sh 'etckeeper pre-install' 'etckeeper post-install'
#   bench/hook-noop.sh --setup 'jitsi-custom init --yes' \
#       'jitsi-custom hook pre-invoke' 'jitsi-custom hook post-invoke'
#
# Commands run from /tmp with a cleared environment, as apt runs its hooks.
set -euo pipefail

runs=50
setup=
loop=false
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --setup) setup=$2; shift 2 ;;
        --loop) loop=true; shift ;;
        --in-chroot) shift; break ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "hook-noop.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done

if [ ! -f /e2e/lib.sh ]; then
    # On the host: run this same script inside the chroot.
    if [ $# -eq 0 ]; then
        echo "usage: $0 [--runs N] [--setup 'CMD'] [--loop] COMMAND..." >&2
        exit 2
    fi
    project=$(cd "$(dirname "$0")/.." && pwd)
    hyperfine=
    $loop || hyperfine=$(command -v hyperfine || true)
    E2E_FLAVOUR=bench E2E_INSTALL=$hyperfine \
        exec "$project/tests/e2e/run-scenario.sh" "$(realpath "$0")" \
        --runs "$runs" --setup "$setup" --in-chroot "$@"
fi

# --- inside the chroot ------------------------------------------------------------------------
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

publish 1.0.1-1
apt_get update -qq
apt_get install -qq "${JITSI_PACKAGES[@]}" >/dev/null
if [ -n "$setup" ]; then
    bash -c "$setup" >/dev/null
fi
cd /tmp
for command in "$@"; do
    bash -c "$command" >/dev/null 2>&1 || fail "'$command' failed"
done

# summary_ms FILE: min, median and max of the nanosecond figures in FILE, in milliseconds.
summary_ms() {
    sort -n "$1" | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "min %.1f ms, median %.1f ms, max %.1f ms", v[1] / 1e6, m / 1e6, v[NR] / 1e6
    }'
}

printf '\n%-40s %s\n' "command ($runs runs, nothing changed)" "time"
for command in "$@"; do
    times=$(mktemp)
    if command -v hyperfine >/dev/null; then
        json=$(mktemp)
        hyperfine --style none --shell none --warmup 3 --runs "$runs" --export-json "$json" \
            "$command" >/dev/null
        # One time per run, in seconds, on the line(s) after "times": [.
        tr -d ' \n' <"$json" | sed 's/.*"times":\[\([^]]*\)\].*/\1/' | tr ',' '\n' \
            | awk '{ printf "%.0f\n", $1 * 1e9 }' >"$times"
        rm -f "$json"
        tool=hyperfine
    else
        for _ in $(seq "$runs"); do
            start=$(date +%s%N)
            bash -c "$command" >/dev/null 2>&1
            echo $(($(date +%s%N) - start)) >>"$times"
        done
        tool="bash loop"
    fi
    printf '%-40s %s (%s)\n' "$command" "$(summary_ms "$times")" "$tool"
    rm -f "$times"
done
