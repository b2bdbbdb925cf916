#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for N seconds each, one after the other, on the stable
# toolchain without a sanitizer (`-s none`, debug assertions and overflow checks on), and prints a
# table: target, execs, execs/s, coverage, corpus size, findings (crash/timeout/oom artefacts the
# run left under fuzz/artifacts/<target>/).
#
#   bench/fuzz.sh N [TARGET...]     (default: every target `cargo fuzz list` names)
#
# Builds the targets once first. Each corpus (fuzz/corpus/<target>, not in git) is seeded from the
# project's own files: tests/fixtures (base, local and upstream joined by 0xff bytes for the
# merge targets), examples/packages (built into .debs with dpkg-deb when it is installed), and a
# manifest, dpkg status and apt hook input written below. libFuzzer's output for each target goes
# to fuzz/logs/<target>.log. Needs cargo-fuzz (`cargo install --locked cargo-fuzz`).
# Not part of CI: CI runs `cargo test`, which never builds fuzz/.
set -euo pipefail

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift

repo=$(cd "$(dirname "$0")/.." && pwd)
fuzz=$repo/fuzz
cd "$repo"
command -v cargo-fuzz >/dev/null || { echo "missing: cargo-fuzz (cargo install --locked cargo-fuzz)" >&2; exit 2; }

flags=(-s none --debug-assertions)
cargo fuzz build "${flags[@]}" >&2

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

# --- seed corpora -------------------------------------------------------------------------------

# seed TARGET NAME FILE...: one corpus entry, the files joined by a 0xff byte.
seed() {
    local target=$1 name=$2 first=true
    shift 2
    mkdir -p "$fuzz/corpus/$target"
    {
        for file in "$@"; do
            $first || printf '\377'
            first=false
            cat "$file"
        done
    } >"$fuzz/corpus/$target/seed-$name"
}

# The merge strategy a fixture case is about, from its name.
strategy_of_case() {
    case $1 in
        css-* | js-bundle-*) echo minified ;;
        hocon-*) echo hocon ;;
        jsconfig-*) echo js_config ;;
        json-*) echo json ;;
        lua-*) echo lua ;;
        nginx-*) echo nginx ;;
        properties-*) echo properties ;;
        binary-*) echo binary ;;
        *) echo text ;;
    esac
}

seed_fixtures() {
    local dir case strategy
    for dir in "$repo"/tests/fixtures/*/; do
        case=$(basename "$dir")
        strategy=$(strategy_of_case "$case")
        seed "merge_$strategy" "$case" "$dir/base" "$dir/local" "$dir/upstream"
        # Every case is text too: the line merges take anything.
        seed merge_text "$case" "$dir/base" "$dir/local" "$dir/upstream"
        seed merge_text_ignore_space "$case" "$dir/base" "$dir/local" "$dir/upstream"
        case $strategy in
            json | js_config | lua | hocon)
                local kind=${strategy/js_config/javascript}
                seed "validate_$kind" "$case-base" "$dir/base"
                seed "validate_$kind" "$case-local" "$dir/local"
                ;;
        esac
    done
    local packages=$repo/examples/packages file
    while IFS= read -r file; do
        case $file in
            *.json) seed validate_json "$(basename "$file")-$(basename "$(dirname "$file")")" "$file" ;;
            *.js) seed validate_javascript "$(basename "$file")" "$file" ;;
            *.lua-jvb.example) seed validate_lua "$(basename "$file")" "$file" ;;
            *.svg) seed validate_xml "$(basename "$file")" "$file" ;;
        esac
    done < <(find "$packages" -path "$packages/*/1.0.1-1/*" -type f)
}

seed_debs() {
    command -v dpkg-deb >/dev/null || { echo "no dpkg-deb: the deb target starts without seeds" >&2; return; }
    local out
    out=$(mktemp -d)
    mkdir -p "$fuzz/corpus/deb"
    "$repo/examples/build-repo.sh" "$out" >/dev/null
    local deb
    for deb in "$out"/1.0.1-1/*.deb; do
        cp "$deb" "$fuzz/corpus/deb/seed-$(basename "$deb")"
    done
    # The other compressions the reader takes, on the smallest package.
    deb=$(ls -S "$out"/1.0.1-1/*.deb | tail -n 1)
    dpkg-deb -R "$deb" "$out/tree"
    local z
    for z in gzip zstd none; do
        dpkg-deb --root-owner-group -Z"$z" --build "$out/tree" "$fuzz/corpus/deb/seed-$z.deb" >/dev/null
    done
    rm -rf "$out"
}

seed_texts() {
    mkdir -p "$fuzz/corpus/manifest" "$fuzz/corpus/dpkg_status" "$fuzz/corpus/apt_protocol"
    cat >"$fuzz/corpus/manifest/seed-manifest" <<'EOF'
# jitsi-custom manifest
domain = "tele.praxis.de"
packages = ["jitsi-meet-web", "jicofo"]
merge_tool = "meld {local} {base} {upstream} -o {output}"
health_urls = ["https://tele.praxis.de/"]
mail_to = "admin@praxis.de"
max_file_size = 1048576

[[file]]
path = "/etc/jitsi/meet/tele.praxis.de-config.js"
template = "/usr/share/jitsi-meet-web-config/config.js"
placeholders = { "jitsi-meet.example.com" = "tele.praxis.de" }
strategy = "js-config"

# The practice's welcome card.
[[file]]
path = "/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html"
package = "jitsi-meet-web"
services = ["nginx"]
EOF
    cat >"$fuzz/corpus/dpkg_status/seed-status" <<'EOF'
Package: jitsi-meet-web
Status: hold ok installed
Priority: optional
Section: net
Architecture: all
Version: 1.0.1-1
Description: WebRTC JavaScript video conferences
 The web front end.

Package: jicofo
Status: install ok installed
Architecture: all
Multi-Arch: foreign
Version: 1.0.1-1
Conffiles:
 /etc/jitsi/jicofo/sip-communicator.properties 0a1f8b3c6e2d4f5a7b9c1d3e5f7a9b1c
 /etc/jitsi/jicofo/logging.properties newconffile
 /etc/jitsi/jicofo/old.conf 3c6e2d4f5a7b9c1d3e5f7a9b1c0a1f8b obsolete
Description: JItsi Meet COnference FOcus

Package: coturn
Status: deinstall ok config-files
Architecture: amd64
Version: 4.6.1-1
EOF
    if [ -r /var/lib/dpkg/status ]; then
        # The first packages of this machine's own database.
        awk 'BEGIN { RS = ""; ORS = "\n\n" } NR <= 30' /var/lib/dpkg/status >"$fuzz/corpus/dpkg_status/seed-machine"
    fi
    cat >"$fuzz/corpus/apt_protocol/seed-v3" <<'EOF'
VERSION 3
APT::Architecture=amd64
Dir=/
Dir::Cache::archives=archives/
CommandLine::AsString=apt-get%20upgrade
DPkg::Pre-Install-Pkgs::=/usr/bin/jitsi-custom hook pre-install-pkgs || cat >/dev/null || true

jitsi-meet-web 1.0.1-1 all none < 1.0.2-1 all none /var/cache/apt/archives/jitsi-meet-web_1.0.2-1_all.deb
jicofo - - none < 1.0.2-1 all none /var/cache/apt/archives/jicofo_1.0.2-1_all.deb
jitsi-meet-web 1.0.1-1 all none < 1.0.2-1 all none **CONFIGURE**
coturn 4.6.1-1 amd64 same > - - none **REMOVE**
EOF
    cat >"$fuzz/corpus/apt_protocol/seed-v2" <<'EOF'
VERSION 2
Dir=/

jitsi-meet-web 1.0.1-1 < 1.0.2-1 /var/cache/apt/archives/jitsi-meet-web_1.0.2-1_all.deb
coturn 4.6.1-1 > - **REMOVE**
EOF
    printf '/var/cache/apt/archives/jitsi-meet-web_1%%3a1.0.2-1_all.deb\n' >"$fuzz/corpus/apt_protocol/seed-v1"
}

seed_fixtures
seed_debs
seed_texts

# --- runs ---------------------------------------------------------------------------------------

mkdir -p "$fuzz/logs"
rows=()
for target in "${targets[@]}"; do
    log=$fuzz/logs/$target.log
    artifacts=$fuzz/artifacts/$target
    mkdir -p "$artifacts"
    marker=$(mktemp)
    echo "fuzzing $target for ${seconds}s" >&2
    start=$(date +%s.%N)
    status=0
    cargo fuzz run "${flags[@]}" "$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    end=$(date +%s.%N)
    # The last status line (`#123 ... cov: 45 ft: 67 corp: 8/1024b ... exec/s: 9`) and the final
    # stats; a run that found something stops early and may print no final stats.
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    [ -n "$execs" ] || execs=$(printf '%s' "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
    execs=${execs:-0}
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    [ -n "$rate" ] || rate=$(awk -v n="$execs" -v a="$start" -v b="$end" 'BEGIN { printf "%d", n / (b - a) }')
    cov=$(printf '%s' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    corp=$(printf '%s' "$last" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
    found=$(find "$artifacts" -type f -newer "$marker" \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
    rm -f "$marker"
    if [ -n "$found" ]; then
        findings=$(printf '%s\n' "$found" | sed "s|^$repo/||" | paste -sd ' ')
    elif [ "$status" -ne 0 ]; then
        findings="exit $status, no artefact (see fuzz/logs/$target.log)"
    else
        findings=none
    fi
    rows+=("| $target | $execs | $rate | ${cov:-?} | ${corp:-?} | $findings |")
done

echo "| target | execs | execs/s | cov | corpus | findings |"
echo "|---|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
