#!/usr/bin/env bash
# Builds the Debian bookworm chroot tarball the end-to-end scenarios run in, once.
#
#   tests/e2e/base.sh [base|bench]     prints the tarball's path on stdout
#
# `base` (default): apt, apt-utils (apt-ftparchive for `publish`), procps.
# `bench`: the same plus etckeeper and git, for bench/hook-noop.sh.
#
# The tarball is cached as target/e2e/bookworm-<flavour>.tar.zst next to a .key file holding a
# hash of everything that shapes it (this script, the package list, the mirror). A changed key
# rebuilds it; an unchanged one returns at once. A lock keeps parallel test runs from building
# it twice. Mirror: $E2E_MIRROR, default the one apt uses on this machine (deb.debian.org).
set -euo pipefail

flavour=${1:-base}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
out_dir=${E2E_CACHE_DIR:-$project/target/e2e}
mirror=${E2E_MIRROR:-http://deb.debian.org/debian}
suite=bookworm

include=(apt-utils procps)
case "$flavour" in
    base) ;;
    bench) include+=(etckeeper git) ;;
    *)
        echo "usage: $0 [base|bench]" >&2
        exit 2
        ;;
esac

options=(
    --variant=apt
    "--include=$(IFS=,; echo "${include[*]}")"
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    --components=main
)

mkdir -p "$out_dir"
tarball="$out_dir/$suite-$flavour.tar.zst"
key=$(
    {
        cat "$0"
        printf '%s\n' "${options[@]}" "$suite" "$mirror"
    } | sha256sum | cut -d' ' -f1
)

exec 9>"$out_dir/.$suite-$flavour.lock"
flock 9

if [ -f "$tarball" ] && [ "$(cat "$tarball.key" 2>/dev/null)" = "$key" ]; then
    echo "$tarball"
    exit 0
fi

if ! command -v mmdebstrap >/dev/null; then
    echo "base.sh: mmdebstrap is not installed (scripts/test installs it)" >&2
    exit 1
fi

echo "base.sh: building $tarball (mmdebstrap ${options[*]} $suite, $mirror)" >&2
start=$(date +%s%N)
# mmdebstrap picks format and compression from the file name.
partial="$out_dir/.partial-$suite-$flavour.tar.zst"
rm -f "$partial"
# Quiet unless it fails: mmdebstrap's log then goes to stderr.
log=$(mktemp)
trap 'rm -f "$log" "$partial"' EXIT
if ! mmdebstrap --quiet "${options[@]}" "$suite" "$partial" \
    "deb $mirror $suite main" >"$log" 2>&1; then
    cat "$log" >&2
    echo "base.sh: mmdebstrap failed" >&2
    exit 1
fi
mv "$partial" "$tarball"
echo "$key" >"$tarball.key"
end=$(date +%s%N)
echo "base.sh: built $tarball ($(du -h "$tarball" | cut -f1)) in $(((end - start) / 1000000)) ms" >&2
echo "$tarball"
