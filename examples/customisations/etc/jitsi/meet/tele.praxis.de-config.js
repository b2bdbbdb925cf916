/* eslint-disable no-unused-vars, no-var */

// Jitsi Meet configuration.
var subdir = '<!--# echo var="subdir" default="" -->';
var subdomain = '<!--# echo var="subdomain" default="" -->';

if (subdomain) {
    subdomain = subdomain.substring(0, subdomain.length - 1).split('.')
        .join('_')
        .toLowerCase() + '.';
}

var config = {
    // Connection
    //

    hosts: {
        // XMPP domain.
        domain: 'tele.praxis.de',

        // When using authentication, domain for guest users.
        anonymousdomain: 'guest.tele.praxis.de',

        // Domain for authenticated users. Defaults to <domain>.
        // authdomain: 'tele.praxis.de',

        // Focus component domain. Defaults to focus.<domain>.
        // focus: 'focus.tele.praxis.de',

        // XMPP MUC domain. FIXME: use XEP-0030 to discover it.
        muc: 'conference.' + subdomain + 'tele.praxis.de'
    },

    // BOSH URL. FIXME: use XEP-0156 to discover it.
    bosh: 'https://tele.praxis.de/' + subdir + 'http-bind',

    // Websocket URL (XMPP)
    // websocket: 'wss://tele.praxis.de/' + subdir + 'xmpp-websocket',

    // Whether BOSH should be preferred over WebSocket if both are configured.
    // preferBosh: false,

    // The real JID of focus participant - can be overridden here
    // Do not change username - FIXME: Make focus username configurable
    // https://github.com/jitsi/jitsi-meet/issues/7376
    // focusUserJid: 'focus@auth.tele.praxis.de',

    // Testing / experimental features.
    //

    testing: {
        // Enables experimental simulcast support on Firefox.
        enableFirefoxSimulcast: false,

        // P2P test mode disables automatic switching to P2P when there are 2
        // participants in the conference.
        p2pTestMode: false
    },

    // Disables moderator indicators.
    // disableModeratorIndicator: false,

    // Disables the reactions feature.
    // disableReactions: true,

    // Media
    //

    // Enables support for opus-red (redundancy for Opus).
    // enableOpusRed: false,

    // Every participant after the Nth will start audio muted.
    // startAudioMuted: 10,

    // Start calls with audio muted. Unlike the option above, this one is only
    // applied locally.
    // startWithAudioMuted: false,

    // Enabling it (with #params) will disable local audio output of remote
    // participants and to enable it back a reload is needed.
    // startSilent: false,

    // Video

    // Sets the preferred resolution (height) for local video. Defaults to 720.
    resolution: 480,

    // Specifies whether the raised hand will hide when someone becomes a
    // dominant speaker or not.
    // disableRemoveRaisedHandOnFocus: false,

    // w3c spec-compliant video constraints to use for video capture. Currently
    // used by browsers that return true from lib-jitsi-meet's
    // util#browser#usesNewGumFlow. The constraints are independent from
    // this config's resolution value. Defaults to requesting an ideal
    // resolution of 720p.
    constraints: {
        video: {
            height: {
                ideal: 480,
                max: 480,
                min: 240
            }
        }
    },

    // Enable / disable simulcast support.
    // disableSimulcast: false,

    // Enable / disable layer suspension. If enabled, endpoints whose HD layers
    // are not in use will be suspended (no longer sent) until they are
    // requested again.
    enableLayerSuspension: true,

    // Every participant after the Nth will start video muted.
    // startVideoMuted: 10,

    // Start calls with video muted. Unlike the option above, this one is only
    // applied locally.
    // startWithVideoMuted: false,

    // UI
    //

    // Default language for the user interface.
    defaultLanguage: 'de',

    // Disables profile and the edit of all fields from the profile settings (display name and email)
    // disableProfile: false,

    // Options related to the toolbar.
    // toolbarConfig: {
    //     // Moved from interfaceConfig.TOOLBAR_TIMEOUT
    //     timeout: 4000,
    //     // Moved from interfaceConfig.TOOLBAR_ALWAYS_VISIBLE
    //     alwaysVisible: false
    // },

    // Default value for the channel "last N" attribute. -1 for unlimited.
    channelLastN: 4,

    // Disables or enables RTX (RFC 4588) (defaults to false).
    // disableRtx: false,

    // Peer-To-Peer mode: used (if enabled) when there are just 2 participants.
    //

    p2p: {
        // Enables peer to peer mode. When enabled the system will try to
        // establish a direct connection when there are exactly 2 participants
        // in the room. If that succeeds the conference will stop sending data
        // through the JVB and use the peer to peer connection instead. When a
        // 3rd participant joins the conference will be moved back to the JVB
        // connection.
        enabled: true,

        // The STUN servers that will be used in the peer to peer connections
        stunServers: [

            { urls: 'stun:tele.praxis.de:3478' }
        ]
    },

    // Privacy
    //

    // If third party requests are disabled, no other server will be contacted.
    // This means avatars will be locally generated and external stats integration
    // will not work.
    disableThirdPartyRequests: true,

    // Disables the welcome page's deep linking to the mobile apps.
    // disableDeepLinking: false,

    // Decides whether the start/stop recording audio notifications should play on record.
    // disableRecordAudioNotification: false,

    // Hides the conference timer.
    // hideConferenceTimer: false,

    // Hides the participants stats
    // hideParticipantsStats: true
};

/* eslint-enable no-unused-vars, no-var */
