#!/usr/bin/env bash
# A conflict during an apt run without a terminal (issue scenario 4, "Never weaker"): 1.0.3-1
# rewrites the lines of the welcome card the guide customised, and rewords a comment line the
# guide left alone. apt runs with stdin at /dev/null, so Post-Invoke asks nobody: apt exits 0,
# the card's customisation is parked, yet the practice's card stays live (the conflict settled on
# the admin's side, fallback "yours") together with 1.0.3-1's non-colliding comment changes;
# every other customisation carries on, the live files are valid and free of conflict markers,
# and `status` exits 1 naming the parked decision, its fallback and a notice to review.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

web=/usr/share/jitsi-meet
card=$web/static/welcomePageAdditionalCard.html

step "1.0.1-1 customised and recorded, the hook installed"
customised_with_hooks
jitsi-custom status

step "publish 1.0.3-1; apt-get install jitsi-meet-web without a terminal"
publish 1.0.3-1
apt_get update -qq
rc=0
output=$(apt_get install jitsi-meet-web </dev/null 2>&1) || rc=$?
echo "$output"
[ "$rc" -eq 0 ] || fail "apt-get exited $rc"
assert_version jitsi-meet-web 1.0.3-1
grep -q 'PARKED' <<<"$output" || fail "the hook did not report the parked conflict"
grep -q 'jitsi-custom resolve' <<<"$output" || fail "the hook did not point to jitsi-custom resolve"
! grep -q 'What should happen?' <<<"$output" || fail "the hook asked without a terminal"

step "the card is parked, but the practice's card is live with upstream's other changes"
cat "$card"
assert_grep 'Logopädische Praxis Sommer' "$card"
assert_grep 'praxis-sommer.de/impressum' "$card"
assert_grep 'praxis-sommer.de/datenschutz' "$card"
assert_no_grep 'Free, open source and end-to-end encrypted video meetings.' "$card"
assert_no_grep 'Welcome to Jitsi Meet' "$card"
# 1.0.3-1's comment changes do not collide with the customisation: live.
assert_grep 'Additional card on the welcome page, displayed when' "$card"
assert_no_grep 'shown when' "$card"
assert_grep 'hidden on narrow screens' "$card"
# Everything else carried.
assert_grep "APP_NAME: 'Praxis Videosprechstunde'" "$web/interface_config.js"
assert_grep '"headerTitle": "Praxis Videosprechstunde"' "$web/lang/main-de.json"
assert_grep 'font-size:13pt' "$web/css/all.css"
assert_grep "defaultLanguage: 'de'" "/etc/jitsi/meet/$DOMAIN-config.js"
jitsi-custom validate || fail "jitsi-custom validate exited $?"
assert_no_conflict_markers

step "status exits 1 and names the parked decision, its fallback and the notice"
rc=0
status=$(jitsi-custom status 2>&1) || rc=$?
echo "$status"
[ "$rc" -eq 1 ] || fail "jitsi-custom status exited $rc, expected 1"
grep -q "^$card  *conflict" <<<"$status" || fail "status does not show the card as a conflict"
grep -q '^ *parked "guide": .*live: your side of each conflict' <<<"$status" \
    || fail "status does not say what is live for the parked card"
jitsi-custom --json status | sed -n '/"parked": \[/,$p' || true
assert_status_entry parked "\"path\": \"$card\"" '"customisation": "guide"' '"fallback": "yours"'
assert_status_entry notices "\"path\": \"$card\"" '"customisation": "guide"' '"kind": "parked"'
assert_status_entry files "\"path\": \"$card\"" '"state": "conflict"' '"guide"'

step "ok"
