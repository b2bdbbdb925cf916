#!/usr/bin/env bash
# Never weaker, for access control: the practice's Prosody host requires a login
# (`authentication = "internal_hashed"`, guests only on their own `guest.` VirtualHost), and
# jitsi-meet-prosody 1.0.4-1 changes exactly that line of its template (upstream's default becomes
# "anonymous") besides an unrelated addition (a room metadata component). apt runs through the
# hook without a terminal: apt exits 0, the live cfg.lua still requires the login and keeps the
# guest VirtualHost, upstream's unrelated addition is live, the file validates and holds no
# conflict markers, and `status` names the decision (parked with its fallback, or a notice).
# shellcheck source=tests/e2e/lib.sh
. /e2e/lib.sh

prosody=/etc/prosody/conf.avail/$DOMAIN.cfg.lua

# vhost_auth HOST: the `authentication` value of the VirtualHost HOST in the live cfg.lua.
vhost_auth() {
    awk -v host="\"$1\"" '
        $1 == "VirtualHost" { inside = ($2 == host); next }
        $1 == "Component" { inside = 0; next }
        inside && $1 == "authentication" && $2 == "=" { print $3 }' "$prosody"
}

step "1.0.1-1 customised and recorded (login required, a guest VirtualHost), the hook installed"
customised_with_hooks
[ "$(vhost_auth "$DOMAIN")" = '"internal_hashed"' ] || fail "the guide's login requirement is not live"
[ "$(vhost_auth "guest.$DOMAIN")" = '"anonymous"' ] || fail "the guide's guest VirtualHost is not live"

step "publish jitsi-meet-prosody 1.0.4-1; apt-get install it without a terminal"
publish 1.0.4-1
apt_get update -qq
: >/var/log/systemctl.log
rc=0
output=$(apt_get install jitsi-meet-prosody </dev/null 2>&1) || rc=$?
echo "$output"
[ "$rc" -eq 0 ] || fail "apt-get exited $rc"
assert_version jitsi-meet-prosody 1.0.4-1
assert_versions 1.0.1-1 jitsi-meet-web jitsi-meet-web-config jitsi-videobridge2 jicofo
! grep -q 'What should happen?' <<<"$output" || fail "the hook asked without a terminal"
grep -q "$prosody" <<<"$output" || fail "the hook did not report on $prosody"
# The template really changed the line the practice customised (else this proves nothing).
grep -q 'authentication = "anonymous" -- do not delete me' \
    /usr/share/jitsi-meet-prosody/prosody.cfg.lua-jvb.example \
    || fail "1.0.4-1's template does not change the authentication line"

step "the access control is live, with upstream's unrelated change"
cat "$prosody"
[ "$(vhost_auth "$DOMAIN")" = '"internal_hashed"' ] \
    || fail "$DOMAIN no longer requires a login: authentication = $(vhost_auth "$DOMAIN")"
assert_no_grep 'authentication = "anonymous" -- do not delete me' "$prosody"
assert_no_grep 'jitsi-anonymous' "$prosody"
assert_grep "^ *VirtualHost \"guest.$DOMAIN\"" "$prosody"
[ "$(vhost_auth "guest.$DOMAIN")" = '"anonymous"' ] || fail "the guest VirtualHost is gone or changed"
[ "$(vhost_auth "auth.$DOMAIN")" = '"internal_hashed"' ] || fail "the auth VirtualHost changed"
# Upstream's changes that do not collide: 1.0.4-1's new component, 1.0.2-1's additions.
assert_grep "^Component \"metadata.$DOMAIN\" \"room_metadata_component\"" "$prosody"
assert_grep "muc_component = \"conference.$DOMAIN\"" "$prosody"
assert_grep 'smacks_max_unacked_stanzas' "$prosody"
[ "$(grep -c '"room_metadata";' "$prosody")" -eq 1 ] || fail "\"room_metadata\" not exactly once"
jitsi-custom validate "$prosody" || fail "jitsi-custom validate $prosody exited $?"
jitsi-custom validate || fail "jitsi-custom validate exited $?"
assert_no_conflict_markers
[ "$(grep -cx 'restart prosody' /var/log/systemctl.log)" -eq 1 ] || fail "prosody not restarted once"

step "status names the decision about the login requirement"
rc=0
status=$(jitsi-custom status 2>&1) || rc=$?
echo "$status"
[ "$rc" -eq 1 ] || fail "jitsi-custom status exited $rc, expected 1 (a decision or notice to review)"
status_json=$(jitsi-custom --json status) || true
parked=$(json_objects parked <<<"$status_json" | grep -F "\"path\": \"$prosody\"") || true
notices=$(json_objects notices <<<"$status_json" | grep -F "\"path\": \"$prosody\"") || true
echo "parked: $parked"
echo "notices: $notices"
[ -n "$parked$notices" ] || fail "status names $prosody neither in parked nor in notices: $status_json"
if [ -n "$parked" ]; then
    # Parked: what is live meanwhile must be the admin's side, never upstream's file.
    grep -qF '"fallback": "upstream"' <<<"$parked" && fail "the fallback is upstream's file: $parked"
fi
# The other customisations are untouched by the decision.
assert_grep 'ssl_protocols TLSv1.2 TLSv1.3;' "/etc/nginx/sites-available/$DOMAIN.conf"
assert_grep 'Logopädische Praxis Sommer' /usr/share/jitsi-meet/static/welcomePageAdditionalCard.html

step "ok"
