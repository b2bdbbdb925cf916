#!/usr/bin/env bash
# The maintenance window (`jitsi-custom upgrade --system`, what the systemd timer runs, plus the
# rest of the system first): held packages are released, upgraded with local conffiles kept, the
# customisations carried onto the new files, the affected services restarted and checked, and the
# packages held again.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

web=/usr/share/jitsi-meet
prosody=/etc/prosody/conf.avail/$DOMAIN.cfg.lua
jvb_logging=/etc/jitsi/videobridge/logging.properties

step "1.0.1-1 installed, customised as the guide says, recorded, held"
publish 1.0.1-1
apt_get update
apt_get install "${JITSI_PACKAGES[@]}"
jitsi-custom init
customise
jitsi-custom record -m "guide customisations"
jitsi-custom hold
assert_held "${JITSI_PACKAGES[@]}"

step "1.0.2-1 is published; apt-get upgrade keeps it back"
publish 1.0.2-1
apt_get update
apt_get upgrade
assert_versions 1.0.1-1 "${JITSI_PACKAGES[@]}"

step "jitsi-custom upgrade"
: >/var/log/systemctl.log
jitsi-custom upgrade --system --non-interactive
assert_versions 1.0.2-1 "${JITSI_PACKAGES[@]}"
assert_held "${JITSI_PACKAGES[@]}"

step "every customisation survived, upstream's changes are there too"
assert_grep "APP_NAME: 'Praxis Videosprechstunde'" "$web/interface_config.js"
assert_grep 'HIDE_DEEP_LINKING_LOGO' "$web/interface_config.js"
assert_grep '^\.level=WARNING' "$jvb_logging"
assert_grep 'BandwidthEstimator.level=WARNING' "$jvb_logging"
assert_no_file "$jvb_logging.dpkg-dist"
assert_grep 'internal_hashed' "$prosody"
assert_grep 'room_metadata' "$prosody"
[ "$(grep -c 'room_metadata' "$prosody")" -eq 1 ] || fail "room_metadata twice in $prosody"
assert_grep 'ssl_protocols TLSv1.2 TLSv1.3;' "/etc/nginx/sites-available/$DOMAIN.conf"
assert_grep "defaultLanguage: 'de'" "/etc/jitsi/meet/$DOMAIN-config.js"
! grep -rqs '^<<<<<<< ' "$web" /etc/jitsi /etc/prosody /etc/nginx || fail "conflict markers went live"
jitsi-custom validate
jitsi-custom status

step "exactly the affected services were restarted once and checked"
systemctl_calls
for call in 'restart prosody' 'restart jitsi-videobridge2' 'reload nginx'; do
    [ "$(grep -cx "$call" /var/log/systemctl.log)" -eq 1 ] || fail "'$call' not exactly once"
done
! grep -q 'jicofo' /var/log/systemctl.log || fail "jicofo's files did not change, yet it was restarted"
assert_grep '^is-active --quiet prosody$' /var/log/systemctl.log
