#!/usr/bin/env bash
# Driven through a pseudo-terminal by tests/apt_e2e.rs (rexpect): 1.0.3-1's welcome card conflict
# is parked by an apt run without a terminal; the next morning the admin runs `jitsi-custom
# resolve` at the terminal and presses Enter at every question ("decide conflict by conflict",
# "keep yours here", "Noted?"). The defaults are the safe ones: the practice's card is live with
# 1.0.3-1's non-colliding reworded comment, nothing is parked, no notice waits, `status` exits 0.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

web=/usr/share/jitsi-meet
card=$web/static/welcomePageAdditionalCard.html

require_terminal

step "1.0.1-1 customised and recorded, the hook installed"
customised_with_hooks
publish 1.0.3-1
apt_get update -qq

step "apt without a terminal parks the card"
rc=0
output=$(apt_get install jitsi-meet-web </dev/null 2>&1) || rc=$?
[ "$rc" -eq 0 ] || { echo "$output"; fail "apt-get exited $rc"; }
assert_version jitsi-meet-web 1.0.3-1
assert_status_entry parked "\"path\": \"$card\"" '"fallback": "yours"'

step "jitsi-custom resolve at the terminal, Enter at every question"
rc=0
jitsi-custom resolve || rc=$?
[ "$rc" -eq 0 ] || fail "jitsi-custom resolve exited $rc, expected 0"

step "the practice's card with upstream's reworded comment; nothing waits"
assert_grep 'Logopädische Praxis Sommer' "$card"
assert_grep 'praxis-sommer.de/impressum' "$card"
assert_grep 'Additional card on the welcome page, displayed when' "$card"
assert_grep 'hidden on narrow screens' "$card"
assert_no_grep 'Free, open source and end-to-end encrypted video meetings.' "$card"
assert_no_conflict_markers
jitsi-custom validate >/dev/null || fail "jitsi-custom validate exited $?"
assert_no_status_entries parked
assert_no_status_entries notices
rc=0
jitsi-custom status </dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "jitsi-custom status exited $rc, expected 0"
[ -z "$(jitsi-custom --non-interactive status --brief </dev/null)" ] || fail "the login message still speaks"

step "ok"
