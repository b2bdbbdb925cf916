#!/usr/bin/env bash
# The Debian package as an admin meets it (run-scenario.sh installed it with `apt-get install
# ./…deb`): its files where Debian looks for them and verified by dpkg, the timer not enabled,
# `jitsi-custom demo` working from /usr/share/jitsi-custom/examples; then `apt-get remove` and
# `apt-get purge` leave the state directory — the admin's customisations — byte for byte, apt
# keeps working after each, and a reinstalled package picks the store up again.
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

state=/var/lib/jitsi-custom
snippet=/etc/apt/apt.conf.d/80jitsi-custom

# store_digest: every file of the state directory with its md5: the repository, the manifest,
# the review list. Aside: the lock, the apt hook's note on the last apt run (the removing run
# itself writes one before dpkg removes the binary) and status's stat cache.
store_digest() {
    (cd "$state" && find . -type f ! -name lock ! -name apt-run.json ! -name stat-cache.json -print0 |
        LC_ALL=C sort -z | xargs -0 md5sum)
}

step "the package's files"
for file in /usr/bin/jitsi-custom "$snippet" \
    /usr/share/man/man1/jitsi-custom.1.gz /usr/share/man/man1/jitsi-custom-rebase.1.gz \
    /usr/share/bash-completion/completions/jitsi-custom \
    /usr/share/zsh/vendor-completions/_jitsi-custom \
    /usr/share/fish/vendor_completions.d/jitsi-custom.fish \
    /usr/lib/systemd/system/jitsi-custom-upgrade.service \
    /usr/lib/systemd/system/jitsi-custom-upgrade.timer \
    /usr/share/doc/jitsi-custom/copyright /usr/share/doc/jitsi-custom/changelog.Debian.gz \
    /usr/share/jitsi-custom/examples/build-repo.sh /usr/share/jitsi-custom/patches/README.md; do
    assert_file "$file"
done
dpkg-query -W -f='${Conffiles}\n' jitsi-custom | grep -q "^ $snippet " || fail "$snippet is not a conffile"
dpkg --verify jitsi-custom || fail "dpkg --verify jitsi-custom"
assert_no_file /etc/systemd/system/timers.target.wants/jitsi-custom-upgrade.timer
assert_no_file "$state"

step "jitsi-custom demo from the package"
(cd /tmp && jitsi-custom demo >/tmp/demo.log 2>&1) || { cat /tmp/demo.log; fail "demo failed"; }
assert_no_file "$state"

step "a customised server"
publish 1.0.1-1
apt_get update -qq
apt_get install -qq "${JITSI_PACKAGES[@]}" >/dev/null
jitsi-custom --non-interactive init >/dev/null
customise
jitsi-custom record -m guide >/dev/null
before=$(store_digest)
[ -n "$before" ] || fail "empty state directory"

step "apt-get remove keeps the store and the conffile; apt still works"
apt_get remove jitsi-custom >/dev/null
assert_no_file /usr/bin/jitsi-custom
assert_file "$snippet"
diff <(echo "$before") <(store_digest) >&2 || fail "remove changed the state directory"
assert_file "$state/apt-run.json"
apt_get install --reinstall jicofo >/dev/null || fail "apt fails with the package removed"

step "apt-get purge keeps the store; apt still works"
apt_get purge jitsi-custom >/dev/null
assert_no_file "$snippet"
[ -z "$(dpkg-query -W -f='${db:Status-Abbrev}' jitsi-custom 2>/dev/null | tr -d ' ')" ] ||
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' jitsi-custom | cut -c2)" = n ] || fail "jitsi-custom not purged"
diff <(echo "$before") <(store_digest) >&2 || fail "purge changed the state directory"
out=$(apt_get install --reinstall jicofo 2>&1) || fail "apt fails after the purge"
! grep -q jitsi-custom <<<"$out" || fail "jitsi-custom still in apt's run: $out"

step "reinstalled, the package picks the store up again"
(cd /srv/debs && apt_get install ./jitsi-custom_*.deb >/dev/null)
jitsi-custom status >/dev/null || fail "status after the reinstall"
diff <(echo "$before") <(store_digest) >&2 || fail "the store changed on reinstall"

step ok
