#!/usr/bin/env bash
# Driven through a pseudo-terminal by tests/apt_e2e.rs (rexpect), as an admin at the terminal:
# a conffile changed on both sides makes dpkg ask; the driver answers "Y" (install the package
# maintainer's version), so the local file is kept as .dpkg-old. Shows that a prompt inside the
# chroot reaches the driver and the answer comes back, the ground later prompt scenarios stand on.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

logging=/etc/jitsi/videobridge/logging.properties

require_terminal

step "install 1.0.1-1, customise the conffile, publish 1.0.2-1"
publish 1.0.1-1
apt_get update -qq
apt_get install -qq jitsi-videobridge2 >/dev/null
cp "/e2e/customisations$logging" "$logging"
publish 1.0.2-1
apt_get update -qq

step "upgrade at the terminal: dpkg asks about $logging"
apt_get install jitsi-videobridge2
assert_version jitsi-videobridge2 1.0.2-1
assert_grep 'BandwidthEstimator.level=WARNING' "$logging"
assert_file "$logging.dpkg-old"
assert_grep '^\.level=WARNING' "$logging.dpkg-old"

step "ok"
