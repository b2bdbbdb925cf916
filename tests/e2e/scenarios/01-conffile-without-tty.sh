#!/usr/bin/env bash
# Pins what an unattended upgrade meets without jitsi-custom (its package is installed, never
# initialised, so its hook does nothing): a conffile changed on both sides
# and neither a terminal nor --force-conf* options make dpkg fail ("end of file on stdin at
# conffile prompt"), apt exits 100, the package is left unpacked but not configured (iU) with
# the new file as .dpkg-new; `dpkg --configure -a --force-confdef --force-confold` repairs it,
# keeping the local file and the package's as .dpkg-dist.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

logging=/etc/jitsi/videobridge/logging.properties

step "install 1.0.1-1, customise the conffile, publish 1.0.2-1"
publish 1.0.1-1
apt_get update -qq
apt_get install -qq jitsi-videobridge2 >/dev/null
cp "/e2e/customisations$logging" "$logging"
publish 1.0.2-1
apt_get update -qq

step "upgrade without a terminal and without --force-conf*: dpkg fails"
rc=0
apt_get install jitsi-videobridge2 </dev/null || rc=$?
[ "$rc" -eq 100 ] || fail "apt-get exited $rc, expected 100"
[ "$(dpkg-query -W -f='${db:Status-Abbrev}' jitsi-videobridge2)" = "iU " ] \
    || fail "jitsi-videobridge2 is not left unpacked (iU)"
assert_file "$logging.dpkg-new"
assert_grep '^\.level=WARNING' "$logging"

step "repair with --force-confdef --force-confold"
dpkg --configure -a --force-confdef --force-confold </dev/null
assert_version jitsi-videobridge2 1.0.2-1
assert_grep '^\.level=WARNING' "$logging"
assert_file "$logging.dpkg-dist"
assert_no_file "$logging.dpkg-new"

step "ok"
