#!/usr/bin/env bash
# The apt hook's cost when nothing changed, against etckeeper's, in the same chroot and run
# (bench/hook-noop.sh, flavour `bench`): `jitsi-custom hook pre-invoke` + `hook post-invoke` with
# 50 tracked files (the profile's 11 plus 39 pages under /usr/share/jitsi-meet/static that no
# package ships, tracked and recorded) against `etckeeper pre-install` + `post-install`, release
# build. Prints hook-noop.sh's table, then the medians of each pair and their ratio.
#
#   bench/hook-noop-vs-etckeeper.sh [RUNS]        (default 100; results: bench/results/hook-noop.md)
set -euo pipefail

runs=${1:-100}
project=$(cd "$(dirname "$0")/.." && pwd)
cd "$project"
cargo build --release --quiet
# The extra pages are recorded and everything is left to age for a second: stamps younger than
# that cannot vouch for a file, so the hook would (rightly) take its full path. (Expanded in the
# chroot, hence single quotes.)
# shellcheck disable=SC2016
setup='jitsi-custom init --yes
for i in $(seq 39); do printf "<p>extra %s</p>\n" "$i" >/usr/share/jitsi-meet/static/extra-$i.html; done
jitsi-custom track /usr/share/jitsi-meet/static/extra-*.html
jitsi-custom record -m "extra pages" /usr/share/jitsi-meet/static/extra-*.html
jitsi-custom install-hooks --no-enable
n=$(grep -c "^\[\[file\]\]" /var/lib/jitsi-custom/jitsi-custom.toml)
[ "$n" -eq 50 ] || { echo "tracked $n files, expected 50" >&2; exit 1; }
sleep 1.2'
output=$(JITSI_CUSTOM_BIN=target/release/jitsi-custom bench/hook-noop.sh --runs "$runs" \
    --setup "$setup" \
    'jitsi-custom hook pre-invoke' 'jitsi-custom hook post-invoke' \
    'etckeeper pre-install' 'etckeeper post-install' \
    'jitsi-custom --version' 2>&1) || { echo "$output" >&2; exit 1; }
table=$(sed -n '/^command (/,$p' <<<"$output" | grep -v '^run-scenario.sh')
echo "$table"
median() {
    grep -F "$1 " <<<"$table" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p'
}
awk -v hp="$(median 'jitsi-custom hook pre-invoke')" -v hq="$(median 'jitsi-custom hook post-invoke')" \
    -v ep="$(median 'etckeeper pre-install')" -v eq="$(median 'etckeeper post-install')" 'BEGIN {
    printf "\npair medians: jitsi-custom %.1f ms, etckeeper %.1f ms: %.1fx cheaper\n",
        hp + hq, ep + eq, (ep + eq) / (hp + hq)
}'
