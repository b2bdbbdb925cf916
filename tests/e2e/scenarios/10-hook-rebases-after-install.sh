#!/usr/bin/env bash
# The apt hook carries the customisations onto an upgrade (issue scenario 3). With the guide's
# customisations recorded and the package set held, `apt-get upgrade` keeps everything back and
# touches nothing. An explicit `apt-get install --allow-change-held-packages` of the whole set
# then upgrades to 1.0.2-1, and Post-Invoke rebases: every customisation is live again on top of
# 1.0.2-1's additions, `status` is clean, each affected service is restarted (nginx reloaded)
# exactly once, and the Prosody postinst's in-place edit counts as upstream's, not as an edit of
# the admin. apt released the holds; Post-Invoke holds every package of the set again and says so.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

web=/usr/share/jitsi-meet
conf=/etc/jitsi/meet/$DOMAIN-config.js
site=/etc/nginx/sites-available/$DOMAIN.conf
prosody=/etc/prosody/conf.avail/$DOMAIN.cfg.lua
jvb_logging=/etc/jitsi/videobridge/logging.properties
jicofo_sip=/etc/jitsi/jicofo/sip-communicator.properties
live_files=(/etc/jitsi /etc/nginx/sites-available /etc/prosody/conf.avail "$web")

# live_md5s: one line per live file of the Jitsi packages, sorted.
live_md5s() {
    find "${live_files[@]}" -type f -exec md5sum {} + | sort -k2
}

step "install 1.0.1-1, init, install-hooks, hold"
publish 1.0.1-1
apt_get update -qq
apt_get install -qq "${JITSI_PACKAGES[@]}" >/dev/null
jitsi-custom init
jitsi-custom install-hooks --no-enable
assert_file /etc/apt/apt.conf.d/80jitsi-custom
assert_grep 'jitsi-custom hook post-invoke' /etc/apt/apt.conf.d/80jitsi-custom
jitsi-custom hold
assert_held "${JITSI_PACKAGES[@]}"

step "the guide's customisations, recorded"
customise
jitsi-custom record -m guide
jitsi-custom status
jitsi-custom log

step "publish 1.0.2-1; apt-get upgrade keeps the held packages back and touches nothing"
publish 1.0.2-1
apt_get update -qq
before=$(live_md5s)
: >/var/log/systemctl.log
output=$(apt_get upgrade 2>&1)
echo "$output"
grep -q 'kept back' <<<"$output" || fail "apt-get upgrade did not keep the held packages back"
assert_versions 1.0.1-1 "${JITSI_PACKAGES[@]}"
[ "$before" = "$(live_md5s)" ] || fail "live files changed although every package was held"
[ ! -s /var/log/systemctl.log ] || fail "services were touched: $(systemctl_calls)"

step "apt-get install --allow-change-held-packages: upgrade, and Post-Invoke rebases and holds again"
output=$(apt_upgrade_confold install --allow-change-held-packages \
    jitsi-meet-web jitsi-meet-web-config jitsi-videobridge2 jitsi-meet-prosody jicofo 2>&1)
echo "$output"
assert_versions 1.0.2-1 "${JITSI_PACKAGES[@]}"
# apt released the holds (--allow-change-held-packages); Post-Invoke put each one back and said so.
assert_held "${JITSI_PACKAGES[@]}"
held_again=$(grep '^jitsi-custom: held .* again (this apt run released them)$' <<<"$output") \
    || fail "the hook did not say it held the released packages again"
named=${held_again#jitsi-custom: held }
named=$(tr ' ' '\n' <<<"${named% again *}")
for package in "${JITSI_PACKAGES[@]}"; do
    grep -qx -- "$package" <<<"$named" || fail "the hook did not name $package: $held_again"
done

# Every customisation is live ...
assert_grep "APP_NAME: 'Praxis Videosprechstunde'" "$web/interface_config.js"
assert_grep 'SHOW_JITSI_WATERMARK: false' "$web/interface_config.js"
assert_grep 'TOOLBAR_ALWAYS_VISIBLE: true' "$web/interface_config.js"
assert_grep 'f-droid.org' "$web/interface_config.js"
assert_grep 'Logopädische Praxis Sommer' "$web/static/welcomePageAdditionalCard.html"
assert_grep 'praxis-sommer.de/impressum' "$web/static/welcomePageAdditionalCard.html"
assert_grep '"headerTitle": "Praxis Videosprechstunde"' "$web/lang/main-de.json"
assert_grep '"startMeeting": "Videotermin starten"' "$web/lang/main-de.json"
assert_grep 'font-size:13pt' "$web/css/all.css"
cmp -s "/e2e/customisations$web/images/watermark.svg" "$web/images/watermark.svg" \
    || fail "$web/images/watermark.svg: not the practice logo"
cmp -s "/e2e/customisations$web/images/favicon.ico" "$web/images/favicon.ico" \
    || fail "$web/images/favicon.ico: not the practice icon"
assert_grep "defaultLanguage: 'de'" "$conf"
assert_grep 'disableThirdPartyRequests: true' "$conf"
assert_grep 'ssl_protocols TLSv1.2 TLSv1.3;' "$site"
assert_grep 'internal_hashed' "$prosody"
assert_grep "VirtualHost \"guest.$DOMAIN\"" "$prosody"
assert_grep "^org.jitsi.jicofo.auth.URL=XMPP:$DOMAIN" "$jicofo_sip"
assert_grep '^\.level=WARNING' "$jvb_logging"
# ... on top of what 1.0.2-1 brought (also to the generated files, from their new templates).
assert_grep 'HIDE_DEEP_LINKING_LOGO' "$web/interface_config.js"
assert_grep '"recentMeetings"' "$web/lang/main-de.json"
assert_grep '"breakoutRooms"' "$web/lang/main-de.json"
assert_grep 'reactions-animations-container' "$web/css/all.css"
assert_grep 'enableCodecSelectionAPI' "$conf"
assert_grep 'X-Content-Type-Options' "$site"
assert_grep 'smacks_max_unacked_stanzas' "$prosody"
assert_grep 'room_metadata' "$prosody"
assert_grep 'BandwidthEstimator.level=WARNING' "$jvb_logging"
assert_no_file "$jvb_logging.dpkg-dist"
assert_no_conflict_markers
! grep -rl '^<<<<<<<' "${live_files[@]}" || fail "conflict markers in live files"
jitsi-custom validate

step "status is clean; the postinst's in-place edit is upstream's"
jitsi-custom status || fail "jitsi-custom status exited $? after the rebase"
status_json=$(jitsi-custom --json status)
for state in unrecorded overwritten upstream-changed conflict missing; do
    ! grep -q "\"state\": \"$state\"" <<<"$status_json" || fail "status sees a file $state: $status_json"
done
ops=$(jitsi-custom log)
echo "$ops"
# Pre-invoke found nothing to record (the guide's edits were recorded), and the Prosody file's
# in-place edit happened during the run, so no customisation of the admin was made from it.
! grep -q 'edits before apt' <<<"$ops" || fail "pre-invoke recorded an edit nobody made"
! grep -q 'edits found before rebase' <<<"$ops" || fail "the rebase recorded the postinst's edit"
grep -q 'rebase' <<<"$ops" || fail "no rebase in the operation log"
! grep -q 'changes by package scripts' <<<"$status_json" \
    || fail "the postinst's edit became a customisation: $status_json"
[ "$(jitsi-custom diff "$prosody")" = "$(jitsi-custom diff "$prosody" | grep -v room_metadata)" ] \
    || fail "room_metadata is part of the customisation, not upstream"

step "each service restarted once"
calls=$(systemctl_calls)
echo "$calls"
[ "$(grep -cx 'restart prosody' <<<"$calls")" -eq 1 ] || fail "prosody not restarted exactly once"
[ "$(grep -cx 'restart jitsi-videobridge2' <<<"$calls")" -eq 1 ] \
    || fail "jitsi-videobridge2 not restarted exactly once"
[ "$(grep -cx 'reload nginx' <<<"$calls")" -eq 1 ] || fail "nginx not reloaded exactly once"
# jicofo's files did not change: nothing to restart.
! grep -q 'jicofo' <<<"$calls" || fail "jicofo was restarted although none of its files changed"

step "ok"
