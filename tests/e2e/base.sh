#!/usr/bin/env bash
# Builds the Debian bookworm chroot tarball the end-to-end scenarios run in, once.
#
#   tests/e2e/base.sh [base|bench]     prints the tarball's path on stdout
#
# `base` (default): apt, apt-utils (apt-ftparchive for `publish`), procps.
# `bench`: the same plus etckeeper and git, for bench/hook-noop.sh.
#
# The tarball is cached as ~/.cache/jitsi-custom/e2e/bookworm-<flavour>.tar.zst next to a .key file holding a
# hash of everything that shapes it (this script, the package list, the mirror). A changed key
# rebuilds it; an unchanged one returns at once. A lock keeps parallel test runs from building
# it twice.
#
# Mirror: $E2E_MIRROR, else the Debian archive this machine's apt already uses: the first `deb`
# source (one-line `/etc/apt/sources.list`, `sources.list.d/*.list`, or deb822
# `sources.list.d/*.sources`) that serves the suite with the main component. The project names
# no archive host of its own. The download is retried a few times: a mirror can fail for a moment.
set -euo pipefail

flavour=${1:-base}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
# The tarball outlives a clean clone (CI clones afresh on the same machine): a machine-wide cache,
# so the network is needed once per machine, not once per checkout.
out_dir=${E2E_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/jitsi-custom/e2e}
suite=bookworm
attempts=${E2E_MMDEBSTRAP_ATTEMPTS:-5}

# host_mirror: prints the URI of the first enabled `deb` source on this machine that serves
# $suite with the main component; nothing when there is none.
host_mirror() {
    local etc=${E2E_APT_ETC:-/etc/apt} file
    local files=()
    [ -f "$etc/sources.list" ] && files+=("$etc/sources.list")
    for file in "$etc"/sources.list.d/*.list "$etc"/sources.list.d/*.sources; do
        [ -f "$file" ] && files+=("$file")
    done
    [ ${#files[@]} -gt 0 ] || return 0
    for file in "${files[@]}"; do
        case "$file" in
            *.sources) deb822_mirror "$file" ;;
            *) one_line_mirror "$file" ;;
        esac
    done | head -n 1
}

# one_line_mirror FILE: `deb [options] URI SUITE COMPONENT...` lines.
one_line_mirror() {
    awk -v suite="$suite" '
        { sub(/#.*/, "") }
        $1 != "deb" { next }
        {
            i = 2
            if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            uri = $i; dist = $(i + 1)
            if (dist != suite && dist != suite "/") next
            for (j = i + 2; j <= NF; j++) if ($j == "main") { print uri; next }
        }' "$1"
}

# deb822_mirror FILE: stanzas with Types, URIs, Suites, Components (and Enabled).
deb822_mirror() {
    awk -v suite="$suite" '
        function flush() {
            if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false)$/ \
                && (" " suites " ") ~ (" " suite " ") && (" " comps " ") ~ / main /) {
                split(uris, u, " "); print u[1]
            }
            types = uris = suites = comps = enabled = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        {
            field = tolower($1); value = $0
            sub(/^[^:]*:[ \t]*/, "", value); gsub(/[ \t]+/, " ", value)
            if (field == "types:") types = value
            else if (field == "uris:") uris = value
            else if (field == "suites:") suites = value
            else if (field == "components:") comps = value
            else if (field == "enabled:") enabled = tolower(value)
        }
        END { flush() }' "$1"
}

mirror=${E2E_MIRROR:-$(host_mirror)}
mirror=${mirror%/}
if [ -z "$mirror" ]; then
    echo "base.sh: no apt source on this machine serves '$suite main'; set E2E_MIRROR to a Debian archive URI" >&2
    exit 1
fi

# libssl3 and curl: what the jitsi-custom package depends on and recommends beyond a minimal Debian
# (the chroots install it from the local .deb, with no other source for its dependencies).
include=(apt-utils procps libssl3 curl)
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
attempt=1
until mmdebstrap --quiet "${options[@]}" "$suite" "$partial" \
    "deb $mirror $suite main" >"$log" 2>&1; do
    if [ "$attempt" -ge "$attempts" ]; then
        cat "$log" >&2
        echo "base.sh: mmdebstrap failed $attempt times" >&2
        exit 1
    fi
    pause=$((attempt * 20))
    echo "base.sh: mmdebstrap failed (attempt $attempt of $attempts): $(grep -m1 -iE 'error|fail' "$log" || tail -n 1 "$log"); again in $pause s" >&2
    rm -f "$partial"
    sleep "$pause"
    attempt=$((attempt + 1))
done
mv "$partial" "$tarball"
echo "$key" >"$tarball.key"
end=$(date +%s%N)
echo "base.sh: built $tarball ($(du -h "$tarball" | cut -f1)) in $(((end - start) / 1000000)) ms" >&2
echo "$tarball"
