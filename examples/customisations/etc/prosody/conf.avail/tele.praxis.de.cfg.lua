-- jitsi-meet-prosody managed: 1.0.1-1
plugin_paths = { "/usr/share/jitsi-meet/prosody-plugins/" }

-- domain mapper options, must at least have domain base set to use the mapper
muc_mapper_domain_base = "tele.praxis.de";

external_service_secret = "k7Hq2WzR9mLp4TxV";
external_services = {
    { type = "stun", host = "tele.praxis.de", port = 3478 },
    { type = "turn", host = "tele.praxis.de", port = 3478, transport = "udp", secret = true, ttl = 86400, algorithm = "turn" },
    { type = "turns", host = "tele.praxis.de", port = 5349, transport = "tcp", secret = true, ttl = 86400, algorithm = "turn" }
};

cross_domain_bosh = false;
consider_bosh_secure = true;

unlimited_jids = {
    "focus@auth.tele.praxis.de",
    "jvb@auth.tele.praxis.de"
}

VirtualHost "tele.praxis.de"
    authentication = "internal_hashed"
    -- Properties below are modified by jitsi-meet-tokens package config
    -- and authentication above is switched to "token"
    --app_id="example_app_id"
    --app_secret="example_app_secret"
    ssl = {
        key = "/etc/prosody/certs/tele.praxis.de.key";
        certificate = "/etc/prosody/certs/tele.praxis.de.crt";
    }
    speakerstats_component = "speakerstats.tele.praxis.de"
    conference_duration_component = "conferenceduration.tele.praxis.de"
    -- we need bosh
    modules_enabled = {
        "bosh";
        "pubsub";
        "ping"; -- Enable mod_ping
        "speakerstats";
        "external_services";
        "conference_duration";
        "muc_lobby_rooms";
    }
    c2s_require_encryption = false
    lobby_muc = "lobby.tele.praxis.de"
    main_muc = "conference.tele.praxis.de"

VirtualHost "guest.tele.praxis.de"
    authentication = "anonymous"
    c2s_require_encryption = false

Component "conference.tele.praxis.de" "muc"
    restrict_room_creation = true
    storage = "memory"
    modules_enabled = {
        "muc_meeting_id";
        "muc_domain_mapper";
        "polls";
        --"token_verification";
        "muc_rate_limit";
    }
    admins = { "focus@auth.tele.praxis.de" }
    muc_room_locking = false
    muc_room_default_public_jids = true

VirtualHost "auth.tele.praxis.de"
    modules_enabled = {
        "limits_exception";
    }
    authentication = "internal_hashed"

Component "internal.auth.tele.praxis.de" "muc"
    storage = "memory"
    modules_enabled = {
        "ping";
    }
    admins = { "focus@auth.tele.praxis.de", "jvb@auth.tele.praxis.de" }
    muc_room_locking = false
    muc_room_default_public_jids = true

Component "focus.tele.praxis.de" "client_proxy"
    target_address = "focus@auth.tele.praxis.de"

Component "speakerstats.tele.praxis.de" "speakerstats_component"
    muc_component = "conference.tele.praxis.de"

Component "lobby.tele.praxis.de" "muc"
    storage = "memory"
    restrict_room_creation = true
    muc_room_locking = false
    muc_room_default_public_jids = true
