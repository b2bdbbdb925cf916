#!/usr/bin/env bash
# Proves the harness: real apt in the chroot installs the bundled Jitsi-like packages from the
# local repository, holds keep them back, a newer version published mid-scenario is seen, an
# install with --allow-change-held-packages upgrades and drops the hold, and a conffile changed on
# both sides stays local with the new one beside it as .dpkg-dist under --force-confold.
# jitsi-custom is installed from its Debian package, so its apt snippet is in place, but nothing
# ran `jitsi-custom init`: the hook does nothing (no output, no state directory), and this is the
# world the hook scenarios start from.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

conf=/etc/jitsi/meet/$DOMAIN-config.js
site=/etc/nginx/sites-available/$DOMAIN.conf
prosody=/etc/prosody/conf.avail/$DOMAIN.cfg.lua
jvb_logging=/etc/jitsi/videobridge/logging.properties
jicofo_sip=/etc/jitsi/jicofo/sip-communicator.properties
web=/usr/share/jitsi-meet

step "the environment"
[ "$(command -v systemctl)" = /usr/local/sbin/systemctl ] || fail "stub systemctl is not first on PATH"
systemctl is-active jitsi-videobridge2 >/dev/null || fail "stub systemctl: is-active"
assert_grep 'is-active jitsi-videobridge2' /var/log/systemctl.log
jitsi-custom --version
# The local repository is apt's only source: no archive of the network is configured.
sources=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' || true)
[ "$sources" = 'deb [trusted=yes] file:/srv/repo ./' ] || fail "apt sources other than /srv/repo: $sources"
apt_get update
others=$(apt-cache pkgnames jitsi | grep -vx jitsi-custom || true)
[ -z "$others" ] || fail "nothing published yet, but apt knows jitsi packages: $others"
assert_file /etc/apt/apt.conf.d/80jitsi-custom

step "publish 1.0.1-1 and install it"
publish 1.0.1-1
apt_get update
out=$(apt_get install "${JITSI_PACKAGES[@]}" 2>&1)
printf '%s\n' "$out"
assert_versions 1.0.1-1 "${JITSI_PACKAGES[@]}"
# The package's hook before `init`: silent, and it creates nothing.
! grep -q jitsi-custom <<<"$out" || fail "the apt hook spoke before init"
assert_no_file /var/lib/jitsi-custom
for file in "$conf" "$site" "$prosody" "$jvb_logging" "$jicofo_sip" "$web/interface_config.js"; do
    assert_file "$file"
done
[ -L "/etc/nginx/sites-enabled/$DOMAIN.conf" ] || fail "nginx site not enabled"
assert_no_grep 'room_metadata' "$prosody"
assert_no_grep 'jitsi-meet.example.com' "$conf"

step "hold; publish 1.0.2-1; apt-get upgrade keeps everything back"
apt-mark hold "${JITSI_PACKAGES[@]}" >/dev/null
assert_held "${JITSI_PACKAGES[@]}"
publish 1.0.2-1
apt_get update
[ "$(apt-cache policy jitsi-meet-web | sed -n 's/^ *Candidate: //p')" = 1.0.2-1 ] \
    || fail "1.0.2-1 is not the candidate after publish"
before=$(find /etc/jitsi /etc/nginx /etc/prosody "$web" -type f -exec md5sum {} + | sort)
output=$(apt_get upgrade 2>&1)
echo "$output"
grep -q 'kept back' <<<"$output" || fail "apt-get upgrade did not report held packages as kept back"
assert_versions 1.0.1-1 "${JITSI_PACKAGES[@]}"
after=$(find /etc/jitsi /etc/nginx /etc/prosody "$web" -type f -exec md5sum {} + | sort)
[ "$before" = "$after" ] || fail "files changed although every package was held"

step "install of a held package: refused without, done with --allow-change-held-packages"
rc=0
apt_get install jitsi-meet-web >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 100 ] || fail "apt-get install of a held package exited $rc, expected 100"
assert_version jitsi-meet-web 1.0.1-1
apt_get install --allow-change-held-packages jitsi-meet-web
assert_version jitsi-meet-web 1.0.2-1
assert_not_held jitsi-meet-web
assert_held jitsi-meet-web-config jitsi-meet-prosody jitsi-videobridge2 jicofo
assert_grep 'HIDE_DEEP_LINKING_LOGO' "$web/interface_config.js"

step "conffiles under --force-confdef --force-confold"
customise
assert_grep '^\.level=WARNING' "$jvb_logging"
apt-mark unhold jitsi-meet-web-config jitsi-meet-prosody jitsi-videobridge2 jicofo >/dev/null
apt_upgrade_confold upgrade
assert_versions 1.0.2-1 "${JITSI_PACKAGES[@]}"
# Changed on both sides: the local file stays, the package's beside it.
assert_grep '^\.level=WARNING' "$jvb_logging"
assert_file "$jvb_logging.dpkg-dist"
assert_grep 'BandwidthEstimator.level=WARNING' "$jvb_logging.dpkg-dist"
# Changed only locally: stays, nothing beside it.
assert_grep '^org.jitsi.jicofo.auth.URL=XMPP:' "$jicofo_sip"
assert_no_file "$jicofo_sip.dpkg-dist"
# Generated files are left alone, but for the postinst's in-place edit of the Prosody one.
assert_grep 'defaultLanguage' "$conf"
assert_grep 'internal_hashed' "$prosody"
assert_grep 'room_metadata' "$prosody"

step "publish 1.0.3-1 (jitsi-meet-web only): overwrites the customised web files silently"
assert_grep 'Praxis Videosprechstunde' "$web/interface_config.js"
publish 1.0.3-1
apt_get update
apt_upgrade_confold upgrade
assert_version jitsi-meet-web 1.0.3-1
assert_versions 1.0.2-1 jitsi-meet-web-config jitsi-meet-prosody jitsi-videobridge2 jicofo
assert_no_grep 'Praxis Videosprechstunde' "$web/interface_config.js"
assert_no_file "$web/interface_config.js.dpkg-dist"

step "ok"
