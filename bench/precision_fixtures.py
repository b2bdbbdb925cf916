#!/usr/bin/env python3
"""Writes the fixture cases of the precision issue (#9) under tests/fixtures/: each is a real-shaped
Jitsi file (taken from an existing fixture's base) with the admin's and upstream's edits applied as
text replacements. `expected` is written by `FIXTURES=overwrite cargo test --test merge_fixtures` and
reviewed before it is committed. Run from the repository root."""

import pathlib

F = pathlib.Path("tests/fixtures")


def read(case, name="base"):
    return (F / case / name).read_text()


def edit(text, pairs):
    for old, new in pairs:
        assert old in text, (old, text[:200])
        text = text.replace(old, new, 1)
    return text


def case(name, base, local, upstream, toml):
    d = F / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "base").write_text(base)
    (d / "local").write_text(local)
    (d / "upstream").write_text(upstream)
    if not (d / "expected").exists():
        (d / "expected").write_text(upstream)
    (d / "case.toml").write_text(toml.strip() + "\n")


LUA = read("lua-authentication-both-changed")
NGINX = read("nginx-ssl-protocols-both-changed")
PROPS = read("properties-both-changed-auth-url")
CSS = read("css-same-declaration-kept-yours")
JSON = read("json-both-changed-same-key")
CONFIG = read("jsconfig-both-changed-same-value")
INTERFACE = read("jsconfig-setting-moved")

LOGGING = """handlers= java.util.logging.ConsoleHandler

java.util.logging.ConsoleHandler.level = ALL
java.util.logging.ConsoleHandler.formatter = org.jitsi.utils.logging2.JitsiLogFormatter

org.jitsi.utils.logging2.JitsiLogFormatter.programname=JVB
.level=INFO

# Syslog (uncomment handler to use)
org.jitsi.impl.neomedia.level=INFO

# To enable logging of the collected stats with timeseries
org.jitsi.videobridge.xmpp.ComponentImpl.level=FINE
timeseries.level=OFF
timeseries.useParentHandlers=false
"""

JICOFO = """jicofo {
  // Configuration related to jitsi-videobridge
  bridge {
    brewery-jid = "JvbBrewery@internal.auth.tele.praxis.de"
    // The maximum number of participants in a single conference on one bridge
    max-bridge-participants = 80
    selection-strategy = RegionBasedBridgeSelectionStrategy
  }
  authentication: {
    enabled: false
    type: XMPP
    login-url: tele.praxis.de
  }
  conference {
    enable-auto-owner = true
    max-ssrcs-per-user = 20
  }
  sctp {
    enabled = true
  }
  xmpp: {
    client: {
      client-proxy: focus.tele.praxis.de
      xmpp-domain: tele.praxis.de
      domain: auth.tele.praxis.de
      username: focus
      password: "s3cr3t"
    }
    trusted-domains: [ "recorder.tele.praxis.de" ]
  }
}
"""

JVB = """videobridge {
    http-servers {
        public {
            port = 9090
        }
    }
    websockets {
        enabled = true
        domain = "tele.praxis.de:443"
        tls = true
    }
    ice {
        tcp {
            enabled = false
            port = 4443
        }
        udp {
            port = 10000
        }
    }
    stats {
        enabled = true
    }
}
ice4j {
    harvest {
        mapping {
            stun {
                addresses = [ "meet-jit-si-turnrelay.jitsi.net:443" ]
            }
        }
    }
}
"""

# Class 1: both sides changed the same scalar; the admin's value stays.
case("hocon-both-changed-max-participants", JICOFO,
     edit(JICOFO, [("max-bridge-participants = 80", "max-bridge-participants = 30")]),
     edit(JICOFO, [("max-bridge-participants = 80", "max-bridge-participants = 100"),
                   ("max-ssrcs-per-user = 20", "max-ssrcs-per-user = 50")]),
     """
# jicofo.conf: the admin capped conferences per bridge at 30, upstream raised its default to 100
# and changed the neighbouring max-ssrcs-per-user. The admin's cap stays, upstream's other change
# arrives.
path = "/etc/jitsi/jicofo/jicofo.conf"
decisions = ["kept your jicofo.bridge.max-bridge-participants; upstream changed its default from '80' to '100'"]
decision_kinds = ["kept-yours"]
""")
case("properties-logging-level-both-changed", LOGGING,
     edit(LOGGING, [(".level=INFO", ".level=WARNING")]),
     edit(LOGGING, [(".level=INFO", ".level=FINE"),
                    ("org.jitsi.impl.neomedia.level=INFO", "org.jitsi.impl.neomedia.level=WARNING")]),
     """
# logging.properties: the admin lowered the log level (no IP addresses in logs), upstream changed
# the default and the line right below it. The admin's level stays, upstream's neighbour arrives.
path = "/etc/jitsi/videobridge/logging.properties"
decisions = ["kept your .level; upstream changed its default from 'INFO' to 'FINE'"]
decision_kinds = ["kept-yours"]
""")
case("jsconfig-interface-download-link-both-changed", INTERFACE,
     edit(INTERFACE, [("'https://play.google.com/store/apps/details?id=org.jitsi.meet'",
                       "'https://f-droid.org/de/packages/org.jitsi.meet/'"),
                      ("APP_NAME: 'Jitsi Meet'", "APP_NAME: 'Praxis Videosprechstunde'")]),
     edit(INTERFACE, [("'https://play.google.com/store/apps/details?id=org.jitsi.meet'",
                       "'https://play.google.com/store/apps/details?id=org.jitsi.meet&hl=de'"),
                      ("DEFAULT_BACKGROUND: '#040404'", "DEFAULT_BACKGROUND: '#1e1e1e'")]),
     """
# interface_config.js: the admin points the Android download link at F-Droid; upstream changed the
# Play Store link. The admin's link stays, named with upstream's old and new default.
path = "/usr/share/jitsi-meet/interface_config.js"
decisions = ["kept your MOBILE_DOWNLOAD_LINK_ANDROID; upstream changed its default from 'https://play.google.com/store/apps/details?id=org.jitsi.meet' to 'https://play.google.com/store/apps/details?id=org.jitsi.meet&hl=de'"]
decision_kinds = ["kept-yours"]
""")
case("json-several-texts-both-changed", JSON,
     edit(JSON, [('"add": "Einladen"', '"add": "Patient:in einladen"'),
                 ('"title": "Chat"', '"title": "Nachrichten"')]),
     edit(JSON, [('"add": "Einladen"', '"add": "Personen einladen"'),
                 ('"title": "Chat"', '"title": "Unterhaltung"'),
                 ('"copyInvite": "Einladung kopieren"', '"copyInvite": "Einladungslink kopieren"')]),
     """
# main-de.json: both sides reworded two texts; upstream also reworded a third. The admin's texts
# stay (one note each), upstream's third text arrives, every other byte is upstream's.
path = "/usr/share/jitsi-meet/lang/main-de.json"
decisions = ["kept your addPeople.add;", "kept your chat.title;"]
decision_kinds = ["kept-yours", "kept-yours"]
""")

# Class 2: upstream removed or commented out a setting the admin set; kept and reported.
case("json-upstream-removed-key", JSON,
     edit(JSON, [('"addContacts": "Laden Sie Ihre Kontakte ein"', '"addContacts": "Kontakte der Praxis einladen"')]),
     edit(JSON, [('        "addContacts": "Laden Sie Ihre Kontakte ein",\n', ''),
                 ('"messagebox": "Nachricht eingeben"', '"messagebox": "Nachricht schreiben"')]),
     """
# main-de.json: upstream dropped addPeople.addContacts, which the admin had reworded. A key nobody
# reads is harmless: the admin's text stays where it was, and the note says so.
path = "/usr/share/jitsi-meet/lang/main-de.json"
decisions = ['upstream removed addPeople.addContacts; kept your value "Kontakte der Praxis einladen"']
decision_kinds = ["kept-removed"]
""")
case("lua-upstream-removed-setting", LUA,
     edit(LUA, [('    c2s_require_encryption = false', '    c2s_require_encryption = true')]),
     edit(LUA, [('    c2s_require_encryption = false\n', ''),
                ('"conference_duration";', '"conference_duration";\n        "muc_lobby_rooms";')]),
     """
# Prosody: upstream's template no longer sets c2s_require_encryption, which the admin had turned
# on. Prosody ignores nothing here: the admin's setting stays in its VirtualHost, reported.
path = "/etc/prosody/conf.avail/tele.praxis.de.cfg.lua"
decisions = ['upstream removed VirtualHost "tele.praxis.de" > c2s_require_encryption; kept your value']
decision_kinds = ["kept-removed"]
""")
case("jsconfig-upstream-comments-out-set-option", CONFIG,
     edit(CONFIG, [("    channelLastN: -1,", "    channelLastN: 4,")]),
     edit(CONFIG, [("    channelLastN: -1,", "    // channelLastN: -1,")]),
     """
# config.js: upstream commented out channelLastN (its default moved into the code); the admin had
# set 4. The admin's value stays active in place of upstream's comment.
path = "/etc/jitsi/meet/tele.praxis.de-config.js"
strategy = "js-config"
decisions = ["upstream commented out channelLastN; kept your value '4' (before: '-1')"]
decision_kinds = ["kept-removed"]
""")
case("hocon-upstream-removed-setting", JVB,
     edit(JVB, [("            port = 4443", "            port = 443")]),
     edit(JVB, [("            port = 4443\n", ""),
                ("        enabled = true\n    }\n}", "        enabled = true\n        interval = 5 seconds\n    }\n}")]),
     """
# jvb.conf: upstream dropped the ICE/TCP port setting the admin had changed; it stays (HOCON
# readers ignore nothing, but an unread key does no harm), upstream's new stats interval arrives.
path = "/etc/jitsi/videobridge/jvb.conf"
decisions = ["upstream removed videobridge.ice.tcp.port; kept your value '443'"]
decision_kinds = ["kept-removed"]
""")

# Class 3: upstream's own file repeats a key.
REPEAT = edit(JSON, [('        "title": "Chat",\n', '        "title": "Chat",\n        "title": "Chat-Verlauf",\n')])
case("json-upstream-repeats-key-untouched", REPEAT,
     edit(REPEAT, [('"add": "Einladen"', '"add": "Patient:in einladen"')]),
     edit(REPEAT, [('"copyInvite": "Einladung kopieren"', '"copyInvite": "Einladungslink kopieren"')]),
     """
# main-de.json as a real release shipped it, with chat.title twice. Read as browsers read it (last
# wins), merged by key; the repeat stays upstream's own, untouched.
path = "/usr/share/jitsi-meet/lang/main-de.json"
""")
case("json-upstream-repeats-key-customised", REPEAT,
     edit(REPEAT, [('"title": "Chat-Verlauf"', '"title": "Nachrichten"')]),
     edit(REPEAT, [('"messagebox": "Nachricht eingeben"', '"messagebox": "Nachricht schreiben"')]),
     """
# The admin changed the repeated chat.title (the one that counts, the last): the change lands on
# that occurrence, and no third copy is added.
path = "/usr/share/jitsi-meet/lang/main-de.json"
""")

# Class 4: untouched bytes stay untouched.
ODD = ('{\n  "addPeople" : {\n      "add":"Einladen" ,\n      "copyInvite": "Einladung kopieren"\n  },\n'
       '\t"chat": {"title": "Chat",   "messagebox": "Nachricht eingeben"},\n'
       '  "welcomepage": {\n    "headerTitle": "Jitsi Meet",\n    "startMeeting": "Meeting starten"\n  }\n}\n')
case("json-odd-layout-kept", ODD,
     edit(ODD, [('"headerTitle": "Jitsi Meet"', '"headerTitle": "Praxis Dr. Müller"')]),
     edit(ODD, [('"messagebox": "Nachricht eingeben"', '"messagebox": "Nachricht schreiben"'),
                ('"startMeeting": "Meeting starten"', '"startMeeting": "Meeting starten",\n    "goSmall": "Kleiner"')]),
     """
# Upstream's file mixes indentation, spacing around colons and one-line objects. Only the two
# values that changed and the added key are written; every other byte is upstream's.
path = "/usr/share/jitsi-meet/lang/main-de.json"
""")

# Class 5: comments or code beside the settings.
case("jsconfig-admin-comment-beside-settings", CONFIG,
     edit(CONFIG, [("    channelLastN: -1,", "    // Praxis: at most four videos (bandwidth of the practice line)\n    channelLastN: 4,")]),
     edit(CONFIG, [("    // Enable / disable simulcast support.", "    // Enable / disable simulcast support (recommended)."),
                   ("    // defaultLanguage: 'en',", "    // defaultLanguage: 'en', // or 'de'")]),
     """
# config.js: the admin added a comment above the setting they changed. Settings merge by path, the
# comment by line; upstream's reworded comments arrive; no whole-file fallback.
path = "/etc/jitsi/meet/tele.praxis.de-config.js"
strategy = "js-config"
notes_mention = ["merged the comments and code beside the settings line by line"]
""")
case("jsconfig-admin-code-after-config", INTERFACE,
     edit(INTERFACE, [("SHOW_JITSI_WATERMARK: true", "SHOW_JITSI_WATERMARK: false")]) + "\n// Praxis: the logo links to the practice's page\ninterfaceConfig.JITSI_WATERMARK_LINK = 'https://praxis-mueller.de';\n",
     edit(INTERFACE, [("DEFAULT_BACKGROUND: '#040404'", "DEFAULT_BACKGROUND: '#1e1e1e'"),
                      ("SHOW_JITSI_WATERMARK: true", "SHOW_JITSI_WATERMARK: true,\n    SHOW_POWERED_BY: false")]),
     """
# interface_config.js: besides a setting, the admin appended a line of code after the object.
# Both survive next to upstream's changes.
path = "/usr/share/jitsi-meet/interface_config.js"
strategy = "js-config"
notes_mention = ["merged the comments and code beside the settings line by line"]
""")

# Class 6: minified CSS by rule identity.
case("css-neighbour-rules-merge", CSS,
     edit(CSS, [("font-size:10pt", "font-size:13pt")]),
     edit(CSS, [("html,body{margin:0;padding:0;height:100%;color:#fff;background:#040404;overflow:hidden}",
                 "html,body{margin:0;padding:0;height:100%;color:#fff;background:#1e1e1e;overflow:hidden}"),
                (".chatconversation .display-name{font-size:14px", ".chatconversation .display-name{font-size:.875rem")]),
     """
# all.css: the admin enlarged the chat font; upstream changed the rules right before and after it.
# Rules merge by identity, so neighbours do not conflict.
path = "/usr/share/jitsi-meet/css/all.css"
""")
case("css-media-block-neighbours", CSS,
     edit(CSS, [("@media (max-width:720px){.filmstrip{flex-direction:column}", "@media (max-width:720px){.filmstrip{flex-direction:column;display:none}")]),
     edit(CSS, [(".toolbox-content{padding:0 8px}", ".toolbox-content{padding:0 4px}"),
                (".filmstrip{display:flex;flex-direction:row-reverse", ".filmstrip{display:flex;flex-direction:row")]),
     """
# The admin hid the filmstrip on small screens (inside @media); upstream changed the rule after it
# in the same @media block and the top-level .filmstrip rule of the same selector. A rule's identity
# includes its @media context: all three changes merge.
path = "/usr/share/jitsi-meet/css/all.css"
""")

# Class 7: neighbouring changes per directive / setting / key.
case("nginx-neighbour-directives", NGINX,
     edit(NGINX, [("    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;", "    ssl_protocols TLSv1.2 TLSv1.3;")]),
     edit(NGINX, [("    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256;",
                   "    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305;"),
                  ("    # Mozilla Guideline v5.4, nginx 1.17.7, OpenSSL 1.1.1d, intermediate configuration",
                   "    # Mozilla Guideline v5.7, nginx 1.17.7, OpenSSL 1.1.1k, intermediate configuration")]),
     """
# nginx site: the admin's ssl_protocols sits between the guideline comment and ssl_ciphers, both
# changed by upstream. Directive by directive, all three changes merge.
path = "/etc/nginx/sites-available/tele.praxis.de.conf"
""")
case("lua-neighbour-settings", LUA,
     edit(LUA, [('    av_moderation_component = "avmoderation.tele.praxis.de"', '    av_moderation_component = "avmoderation.tele.praxis.de"\n    lobby_muc = "lobby.tele.praxis.de"')]),
     edit(LUA, [('    speakerstats_component = "speakerstats.tele.praxis.de"', '    speakerstats_component = "speakerstats.tele.praxis.de"\n    conference_duration_component = "conferenceduration.tele.praxis.de"'),
                ('        "ping";\n', '        "ping";\n        "external_services";\n')]),
     """
# Prosody: the admin added lobby_muc right after av_moderation_component; upstream added a setting
# one line further down and a module to the list. Setting by setting, all of it merges.
path = "/etc/prosody/conf.avail/tele.praxis.de.cfg.lua"
""")
case("lua-both-add-modules", LUA,
     edit(LUA, [('        "conference_duration";\n', '        "conference_duration";\n        "muc_lobby_rooms";\n')]),
     edit(LUA, [('        "conference_duration";\n', '        "conference_duration";\n        "room_metadata";\n')]),
     """
# Prosody: the admin and upstream each added a module at the end of modules_enabled. List entries
# are merged by value: both modules are enabled.
path = "/etc/prosody/conf.avail/tele.praxis.de.cfg.lua"
""")
case("properties-neighbour-keys", PROPS,
     edit(PROPS, [("org.jitsi.jicofo.auth.URL=XMPP:tele.praxis.de", "org.jitsi.jicofo.auth.URL=XMPP:auth.tele.praxis.de")]),
     edit(PROPS, [("org.jitsi.jicofo.BRIDGE_MUC=JvbBrewery@internal.auth.tele.praxis.de", "org.jitsi.jicofo.BRIDGE_MUC=JvbBrewery@internal.auth.tele.praxis.de\norg.jitsi.jicofo.health.ENABLE_HEALTH_CHECKS=true")]),
     """
# sip-communicator.properties: upstream's postinst appended a key right next to the admin's auth
# URL. Key by key, both stay.
path = "/etc/jitsi/jicofo/sip-communicator.properties"
""")
case("hocon-neighbour-settings", JICOFO,
     edit(JICOFO, [("    enabled: false\n    type: XMPP", "    enabled: true\n    type: XMPP")]),
     edit(JICOFO, [("    type: XMPP\n    login-url: tele.praxis.de", "    type: XMPP\n    login-url: tele.praxis.de\n    authentication-lifetime: 24 hours")]),
     """
# jicofo.conf: the admin enabled authentication; upstream (hocon set in its postinst) added a
# setting two lines below in the same object. Key path by key path, both merge.
path = "/etc/jitsi/jicofo/jicofo.conf"
""")
case("hocon-both-add-in-object", JVB,
     edit(JVB, [("        udp {\n            port = 10000\n        }", "        udp {\n            port = 10000\n            local-address = 192.168.1.10\n        }")]),
     edit(JVB, [("        udp {\n            port = 10000\n        }", "        udp {\n            port = 10000\n            public-address = 203.0.113.5\n        }")]),
     """
# jvb.conf: both sides added a different key at the same place in videobridge.ice.udp. Both stay,
# upstream's first.
path = "/etc/jitsi/videobridge/jvb.conf"
""")
