#!/usr/bin/env bash
# Driven through a pseudo-terminal by tests/apt_e2e.rs (rexpect), as an admin at the terminal
# (issue scenario 5): 1.0.3-1 conflicts with the guide's welcome card; apt runs on the terminal,
# so Post-Invoke asks "What should happen?" about the card. The driver takes the defaults, Enter
# at each question: "decide conflict by conflict (upstream's other changes stay)", then "keep
# yours here" at the one conflict. The practice's card is live together with 1.0.3-1's
# non-colliding comment changes ("displayed when"), nothing is parked, `status` exits 0.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

web=/usr/share/jitsi-meet
card=$web/static/welcomePageAdditionalCard.html

require_terminal

step "1.0.1-1 customised and recorded, the hook installed"
customised_with_hooks
publish 1.0.3-1
apt_get update -qq

step "upgrade at the terminal: the hook asks about $card"
apt_get install jitsi-meet-web
assert_version jitsi-meet-web 1.0.3-1

step "the practice's card is live with upstream's other changes, nothing is parked"
assert_grep 'Logopädische Praxis Sommer' "$card"
assert_grep 'praxis-sommer.de/impressum' "$card"
assert_no_grep 'Free, open source and end-to-end encrypted video meetings.' "$card"
# Upstream's changes that do not collide with the customisation stay (not "keep the whole file").
assert_grep 'Additional card on the welcome page, displayed when' "$card"
assert_grep 'hidden on narrow screens' "$card"
assert_no_status_entries parked
assert_grep "APP_NAME: 'Praxis Videosprechstunde'" "$web/interface_config.js"
assert_no_conflict_markers
jitsi-custom validate >/dev/null || fail "jitsi-custom validate exited $?"
rc=0
jitsi-custom status </dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "jitsi-custom status exited $rc, expected 0"

step "ok"
