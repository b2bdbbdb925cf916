# Helpers for scenario scripts, sourced inside the chroot: `. /e2e/lib.sh`.
# shellcheck shell=bash

set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

# The bundled packages, in the order the admin guide holds them. Both variables are used by the
# scenarios that source this file, hence SC2034.
# shellcheck disable=SC2034
JITSI_PACKAGES=(jitsi-meet-web jitsi-meet-web-config jitsi-meet-prosody jitsi-videobridge2 jicofo)
# shellcheck disable=SC2034
DOMAIN=tele.praxis.de

# step MESSAGE: a visible marker in the scenario's output.
step() {
    printf '\n=== %s\n' "$*"
}

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

# installed_version PACKAGE: the installed version, empty when not installed.
installed_version() {
    # Status-Abbrev: wanted (i, h for held, ...), current (i = installed), error flag.
    dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' "$1" 2>/dev/null | awk '$1 ~ /^.i/ { print $2 }'
}

# assert_version PACKAGE VERSION
assert_version() {
    local actual
    actual=$(installed_version "$1")
    [ "$actual" = "$2" ] || fail "$1: installed '${actual:-none}', expected '$2'"
}

# assert_versions VERSION PACKAGE...
assert_versions() {
    local version=$1 package
    shift
    for package in "$@"; do
        assert_version "$package" "$version"
    done
}

assert_file() {
    [ -f "$1" ] || fail "$1: missing"
}

assert_no_file() {
    [ ! -e "$1" ] || fail "$1: exists"
}

# assert_grep PATTERN FILE
assert_grep() {
    grep -q -- "$1" "$2" || fail "$2: no line matches '$1'"
}

assert_no_grep() {
    ! grep -q -- "$1" "$2" || fail "$2: a line matches '$1'"
}

# assert_held PACKAGE... / assert_not_held PACKAGE...
# (Not `apt-mark showhold | grep -q`: grep leaving early gets apt-mark a SIGPIPE, and pipefail
# turns that into a failure.)
assert_held() {
    local package holds
    holds=$(apt-mark showhold)
    for package in "$@"; do
        grep -qx -- "$package" <<<"$holds" || fail "$package: not held"
    done
}

assert_not_held() {
    local package holds
    holds=$(apt-mark showhold)
    for package in "$@"; do
        ! grep -qx -- "$package" <<<"$holds" || fail "$package: held"
    done
}

# apt_get ARGS...: apt-get as an unattended admin would run it, quiet.
apt_get() {
    apt-get -q -y -o Dpkg::Use-Pty=0 "$@"
}

# apt_upgrade_confold ARGS...: keep local conffiles, new ones as .dpkg-dist (what `upgrade` passes).
apt_upgrade_confold() {
    apt_get -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

# install_apt_hooks: the project's apt.conf.d snippets (hooks/apt/ in the source tree), when present.
install_apt_hooks() {
    local hook
    compgen -G '/e2e/hooks/apt/*' >/dev/null || fail "no hooks/apt/ in the project"
    for hook in /e2e/hooks/apt/*; do
        cp "$hook" /etc/apt/apt.conf.d/
    done
}

# customise: lay the admin guide's edits (examples/customisations) over the live files.
customise() {
    cp -R /e2e/customisations/. /
}

# systemctl_calls: what the stub systemctl was asked so far.
systemctl_calls() {
    cat /var/log/systemctl.log 2>/dev/null || true
}

# customised_with_hooks: 1.0.1-1 installed with apt, `jitsi-custom init`, the apt hook in place
# (`install-hooks --no-enable`), the guide's customisations recorded as "guide". Where the hook
# scenarios start.
customised_with_hooks() {
    publish 1.0.1-1
    apt_get update -qq
    apt_get install -qq "${JITSI_PACKAGES[@]}" >/dev/null
    jitsi-custom --non-interactive init >/dev/null  # the interactive scenarios prompt only at the conflict
    jitsi-custom install-hooks --no-enable >/dev/null
    [ -f /etc/apt/apt.conf.d/80jitsi-custom ] || fail "install-hooks did not install the apt hook"
    customise
    jitsi-custom record -m guide >/dev/null
}

# tracked_files: the paths jitsi-custom tracks, one a line.
tracked_files() {
    jitsi-custom --json status | sed -n 's/^ *"path": "\(\/[^"]*\)",\{0,1\}$/\1/p'
}

# assert_no_conflict_markers: no tracked live file holds a conflict marker.
assert_no_conflict_markers() {
    local files
    mapfile -t files < <(tracked_files)
    [ "${#files[@]}" -gt 0 ] || fail "no tracked files"
    ! grep -l -e '^<<<<<<<' -e '^>>>>>>>' "${files[@]}" || fail "conflict markers in live files"
}

# json_objects KEY: reads the pretty-printed JSON of `jitsi-custom --json status` on stdin and
# prints each object of its top-level list KEY ("parked", "notices", "files", ...) on one line,
# so that one grep can ask for several fields of the same entry. (The chroot has no jq.)
json_objects() {
    awk -v key="$1" '
        !inside && index($0, "  \"" key "\": [") == 1 {
            if ($0 !~ /\[\],?$/) inside = 1
            next
        }
        inside && /^  \]/ { inside = 0; next }
        inside && /^    \{/ { object = ""; next }
        inside && /^    \}/ { print object; next }
        inside { sub(/^ +/, ""); object = object " " $0 }
    '
}

# assert_status_entry KEY TEXT...: `jitsi-custom --json status` lists in KEY an object that
# contains every TEXT (fixed strings, e.g. '"kind": "parked"').
assert_status_entry() {
    local key=$1 objects text
    shift
    objects=$(jitsi-custom --json status | json_objects "$key") || true
    for text in "$@"; do
        objects=$(grep -F -- "$text" <<<"$objects") || fail "status --json: no entry of \"$key\" has all of: $*"
    done
}

# assert_no_status_entries KEY: `jitsi-custom --json status` lists nothing in KEY.
assert_no_status_entries() {
    local objects
    objects=$(jitsi-custom --json status | json_objects "$1") || true
    [ -z "$objects" ] || fail "status --json lists in \"$1\": $objects"
}

# The interactive scenarios are driven through a pseudo-terminal (tests/apt_e2e.rs, rexpect).
require_terminal() {
    [ -t 0 ] || fail "stdin is not a terminal: run this through a pseudo-terminal (see tests/e2e/README.md)"
}
