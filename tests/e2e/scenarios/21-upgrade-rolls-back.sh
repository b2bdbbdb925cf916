#!/usr/bin/env bash
# A maintenance window that fails: a new jitsi-videobridge2 whose postinst fails. `upgrade` puts
# the previous versions back (from the repository, as apt still has them), restores the customised
# files byte for byte, holds the packages again and exits 3.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

step "1.0.1-1 installed, customised, recorded, held"
publish 1.0.1-1
apt_get update
apt_get install "${JITSI_PACKAGES[@]}"
jitsi-custom init
customise
jitsi-custom record -m "guide customisations"
jitsi-custom hold

step "a broken jitsi-videobridge2 1.0.9-1 is published beside 1.0.2-1"
work=$(mktemp -d)
dpkg-deb -R /srv/pool/1.0.2-1/jitsi-videobridge2_1.0.2-1_all.deb "$work/jvb"
sed -i 's/^Version: .*/Version: 1.0.9-1/' "$work/jvb/DEBIAN/control"
printf '#!/bin/sh\necho "jitsi-videobridge2: postinst fails" >&2\nexit 1\n' >"$work/jvb/DEBIAN/postinst"
chmod 0755 "$work/jvb/DEBIAN/postinst"
mkdir -p /srv/pool/1.0.9-1
dpkg-deb --root-owner-group -b "$work/jvb" /srv/pool/1.0.9-1/jitsi-videobridge2_1.0.9-1_all.deb >/dev/null
publish 1.0.2-1 1.0.9-1
apt_get update

tracked() {
    find /usr/share/jitsi-meet /etc/jitsi /etc/prosody /etc/nginx -type f -exec md5sum {} + | sort
}
before=$(tracked)

step "jitsi-custom upgrade fails and rolls back"
rc=0
jitsi-custom upgrade --non-interactive || rc=$?
[ "$rc" -eq 3 ] || fail "upgrade exited $rc, expected 3"
assert_versions 1.0.1-1 "${JITSI_PACKAGES[@]}"
[ -z "$(dpkg --audit)" ] || fail "dpkg reports half-installed packages: $(dpkg --audit)"
assert_held "${JITSI_PACKAGES[@]}"
after=$(tracked)
[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") || true; fail "files differ after the rollback"; }
jitsi-custom status
jitsi-custom log | head -3
jitsi-custom log | grep -q 'rollback' || fail "the rollback is not in the operation log"
