#!/usr/bin/env bash
# Never weaker, unattended: the maintenance window (`jitsi-custom upgrade`, stdin at /dev/null, as
# the timer runs it) meets 1.0.3-1's welcome card, which needs a person's decision. It postpones:
# exit 1, "postponed" said, every Jitsi package back at 1.0.1-1 and held, every customised file
# byte for byte as before, a `postponed` notice in `status`, a mail through `sendmail -t` to the
# manifest's `mail_to` naming the card and `jitsi-custom upgrade`, and one login line from
# update-motd.d. Then `upgrade --accept-fallbacks`: the new versions go live with the practice's
# card as the fallback, the packages are held again, and the exit status is still 1 (a decision
# waits).
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

web=/usr/share/jitsi-meet
card=$web/static/welcomePageAdditionalCard.html
conf=/etc/jitsi/meet/$DOMAIN-config.js
prosody=/etc/prosody/conf.avail/$DOMAIN.cfg.lua
jvb_logging=/etc/jitsi/videobridge/logging.properties
motd=/etc/update-motd.d/90-jitsi-custom
mail_to=it@praxis-sommer.de
mailbox=/var/mail/captured

tracked_md5s() {
    find "$web" /etc/jitsi /etc/prosody /etc/nginx -type f -exec md5sum {} + | sort -k2
}

# assert_customisations_live: the guide's customisations, one check per file.
assert_customisations_live() {
    assert_grep 'Logopädische Praxis Sommer' "$card"
    assert_grep 'praxis-sommer.de/impressum' "$card"
    assert_grep "APP_NAME: 'Praxis Videosprechstunde'" "$web/interface_config.js"
    assert_grep '"headerTitle": "Praxis Videosprechstunde"' "$web/lang/main-de.json"
    assert_grep 'font-size:13pt' "$web/css/all.css"
    cmp -s "/e2e/customisations$web/images/watermark.svg" "$web/images/watermark.svg" \
        || fail "$web/images/watermark.svg: not the practice logo"
    assert_grep "defaultLanguage: 'de'" "$conf"
    assert_grep 'internal_hashed' "$prosody"
    assert_grep "VirtualHost \"guest.$DOMAIN\"" "$prosody"
    assert_grep '^\.level=WARNING' "$jvb_logging"
    assert_grep "^org.jitsi.jicofo.auth.URL=XMPP:$DOMAIN" /etc/jitsi/jicofo/sip-communicator.properties
    assert_grep 'ssl_protocols TLSv1.2 TLSv1.3;' "/etc/nginx/sites-available/$DOMAIN.conf"
    assert_no_conflict_markers
}

step "1.0.1-1 customised, recorded, held; hooks installed; mail_to set; sendmail captures"
customised_with_hooks
jitsi-custom hold
assert_held "${JITSI_PACKAGES[@]}"
[ -x "$motd" ] || fail "install-hooks did not install $motd"
[ "$(stat -c %a "$motd")" = 755 ] || fail "$motd: mode $(stat -c %a "$motd"), expected 755"
[ -z "$("$motd")" ] || fail "the login message speaks although all is well: $("$motd")"
manifest=/var/lib/jitsi-custom/jitsi-custom.toml
sed -i "1i mail_to = \"$mail_to\"" "$manifest"
head -n 3 "$manifest"
cat >/usr/sbin/sendmail <<'STUB'
#!/bin/sh
# Captures what jitsi-custom hands to the MTA.
{ echo "=== sendmail $*"; cat; } >>/var/mail/captured
STUB
chmod 0755 /usr/sbin/sendmail
mkdir -p /var/mail
jitsi-custom status >/dev/null || fail "status exited $? before the window"

step "1.0.2-1 and 1.0.3-1 published"
publish 1.0.2-1 1.0.3-1
apt_get update -qq
before=$(tracked_md5s)
: >/var/log/systemctl.log

step "jitsi-custom upgrade without a terminal: postponed"
rc=0
output=$(jitsi-custom upgrade </dev/null 2>&1) || rc=$?
echo "$output"
[ "$rc" -eq 1 ] || fail "upgrade exited $rc, expected 1"
grep -q 'postponed' <<<"$output" || fail "upgrade did not say it postponed"
# shellcheck disable=SC2016 # backquotes in the message, not a command substitution
grep -qF 'run `jitsi-custom upgrade` on a terminal' <<<"$output" || fail "upgrade did not say what to run"
assert_versions 1.0.1-1 "${JITSI_PACKAGES[@]}"
[ -z "$(dpkg --audit)" ] || fail "dpkg reports half-installed packages: $(dpkg --audit)"
assert_held "${JITSI_PACKAGES[@]}"
assert_customisations_live
after=$(tracked_md5s)
[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") || true; fail "files differ after the postponed window"; }
assert_no_file "$jvb_logging.dpkg-dist"
# The rollback puts the store back as the window found it, the hand-edited manifest included.
assert_grep "^mail_to = \"$mail_to\"" "$manifest"

step "status: exit 1, a postponed notice for the card"
rc=0
jitsi-custom status || rc=$?
[ "$rc" -eq 1 ] || fail "status exited $rc, expected 1"
assert_status_entry notices "\"path\": \"$card\"" '"customisation": "guide"' '"kind": "postponed"'

step "the report was mailed to $mail_to"
assert_file "$mailbox"
cat "$mailbox"
grep -qx -- '=== sendmail -t' "$mailbox" || fail "sendmail was not run with -t"
grep -qx -- "To: $mail_to" "$mailbox" || fail "the mail has no 'To: $mail_to' header"
grep -q '^Subject: .*jitsi-custom' "$mailbox" || fail "the mail has no subject naming jitsi-custom"
assert_grep "$card" "$mailbox"
grep -qF 'jitsi-custom upgrade' "$mailbox" || fail "the mail does not say to run jitsi-custom upgrade"
mails=$(grep -c '^=== sendmail' "$mailbox")

step "the login message: one line"
login=$("$motd")
echo "$login"
if [ -z "$login" ] || [ "$(printf '%s\n' "$login" | wc -l)" -ne 1 ]; then
    fail "the login message is not one line: '$login'"
fi
grep -qF 'jitsi-custom status' <<<"$login" || fail "the login message does not point to jitsi-custom status"

step "jitsi-custom upgrade --accept-fallbacks without a terminal: upgraded, the card on its fallback"
rc=0
output=$(jitsi-custom upgrade --accept-fallbacks </dev/null 2>&1) || rc=$?
echo "$output"
[ "$rc" -eq 1 ] || fail "upgrade --accept-fallbacks exited $rc, expected 1 (a decision waits)"
! grep -q 'postponed' <<<"$output" || fail "upgrade --accept-fallbacks postponed"
assert_version jitsi-meet-web 1.0.3-1
assert_versions 1.0.2-1 jitsi-meet-web-config jitsi-meet-prosody jitsi-videobridge2 jicofo
assert_held "${JITSI_PACKAGES[@]}"
assert_customisations_live
assert_grep 'Additional card on the welcome page, displayed when' "$card"
assert_grep 'HIDE_DEEP_LINKING_LOGO' "$web/interface_config.js"
assert_grep 'BandwidthEstimator.level=WARNING' "$jvb_logging"
jitsi-custom validate >/dev/null || fail "jitsi-custom validate exited $?"
rc=0
jitsi-custom status || rc=$?
[ "$rc" -eq 1 ] || fail "status exited $rc, expected 1 (the card waits for a decision)"
assert_status_entry parked "\"path\": \"$card\"" '"fallback": "yours"'
! jitsi-custom --json status | json_objects notices | grep -qF '"kind": "postponed"' \
    || fail "the postponed notice stayed after the upgrade went through"
[ "$(grep -c '^=== sendmail' "$mailbox")" -gt "$mails" ] || fail "no mail about the decision that waits"

step "ok"
