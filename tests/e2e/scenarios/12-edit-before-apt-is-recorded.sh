#!/usr/bin/env bash
# An edit nobody recorded survives an apt run that overwrites its file (issue scenario 7): after
# the guide's customisations were recorded, the admin edits the welcome card and main-de.json and
# never runs `record`. `apt-get install jitsi-meet-web` (1.0.2-1) overwrites both; Pre-Invoke has
# recorded the edits first, as a customisation named after the apt command line, and Post-Invoke
# puts them live again on top of 1.0.2-1.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

web=/usr/share/jitsi-meet
card=$web/static/welcomePageAdditionalCard.html
main_de=$web/lang/main-de.json
phone='<p>Bei Fragen erreichen Sie uns unter 0761 123456.</p>'

step "1.0.1-1 customised and recorded, the hook installed; then edits nobody records"
customised_with_hooks
sed -i "s|^\( *\)<p>Zurück zur .*|&\n\1$phone|" "$card"
sed -i 's|"enterRoomTitle": "Neues Meeting starten"|"enterRoomTitle": "Videotermin beginnen"|' "$main_de"
assert_grep "$phone" "$card"
assert_grep '"enterRoomTitle": "Videotermin beginnen"' "$main_de"
rc=0
jitsi-custom status || rc=$?
[ "$rc" -eq 1 ] || fail "status exited $rc with unrecorded edits, expected 1"

step "publish 1.0.2-1; apt-get install jitsi-meet-web overwrites both files"
publish 1.0.2-1
apt_get update -qq
output=$(apt_get install jitsi-meet-web </dev/null 2>&1)
echo "$output"
assert_version jitsi-meet-web 1.0.2-1
assert_versions 1.0.1-1 jitsi-meet-web-config jitsi-meet-prosody jitsi-videobridge2 jicofo
name='edits before apt: apt-get -q -y -o Dpkg::Use-Pty=0 install jitsi-meet-web'
grep -qF "recorded \"$name\"" <<<"$output" || fail "pre-invoke did not say it recorded the edits"

step "Pre-Invoke recorded the edits as a customisation named after the apt command"
ops=$(jitsi-custom log)
echo "$ops"
grep -F "$name" <<<"$ops" | grep -q ' apt-hook ' || fail "no apt-hook operation \"$name\" in the log"
grep -F "$name" <<<"$ops" | grep -qF "$card" || fail "the record operation does not name $card"
grep -F "$name" <<<"$ops" | grep -qF "$main_de" || fail "the record operation does not name $main_de"
status_json=$(jitsi-custom --json status)
grep -qF "\"$name\"" <<<"$status_json" || fail "no customisation \"$name\": $status_json"

step "Post-Invoke put the edits live again, on top of 1.0.2-1"
assert_grep "$phone" "$card"
assert_grep 'Logopädische Praxis Sommer' "$card"
assert_grep '"enterRoomTitle": "Videotermin beginnen"' "$main_de"
assert_grep '"headerTitle": "Praxis Videosprechstunde"' "$main_de"
assert_grep '"recentMeetings"' "$main_de"
assert_grep '"breakoutRooms"' "$main_de"
assert_grep 'HIDE_DEEP_LINKING_LOGO' "$web/interface_config.js"
assert_no_conflict_markers
jitsi-custom diff "$card" | grep -qF "+        $phone" || fail "diff does not show the recorded edit"
rc=0
jitsi-custom status || rc=$?
[ "$rc" -eq 0 ] || fail "status exited $rc after the apt run, expected 0"

step "ok"
