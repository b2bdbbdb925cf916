#!/bin/sh
# What German messages cost: the same commands with LANG=C and LANG=de_DE.UTF-8 on the world of
# bench/status.sh (the bundled 1.0.1 packages installed by the real dpkg, 50 tracked files),
# release build: the apt hook's silent step (the catalogue is never read), `status` (it is read
# and most lines are looked up) and `--help` (clap's command translated). Prints the binary's
# size and hyperfine's table; writes target/bench/german.json.
#
# usage: bench/german.sh [RUNS]     (needs dpkg-deb, dpkg and hyperfine)
set -eu

RUNS=${1:-100}
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"
command -v hyperfine >/dev/null || { echo "hyperfine is missing (apt-get install hyperfine)" >&2; exit 2; }

cargo build --release --quiet
BIN="$HERE/target/release/jitsi-custom"
echo "release binary: $(stat -c %s "$BIN") bytes"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
sh bench/make-status-world.sh "$WORK" "$BIN" >/dev/null
JC="$BIN --root $WORK/root --state-dir $WORK/state"
$JC status >/dev/null 2>&1 || true

set --
for command in "hook pre-invoke" "status" "--help"; do
    set -- "$@" "env LANG=C $JC $command" "env LANG=de_DE.UTF-8 $JC $command"
done
mkdir -p "$HERE/target/bench"
hyperfine --warmup 5 --runs "$RUNS" -N -i --export-json "$HERE/target/bench/german.json" "$@"
