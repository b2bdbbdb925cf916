#!/bin/sh
# Starts Jitsi Videobridge.
set -e

if [ -z "$JAVA_SYS_PROPS" ]; then
    JAVA_SYS_PROPS="-Dnet.java.sip.communicator.SC_HOME_DIR_LOCATION=/etc/jitsi"
    JAVA_SYS_PROPS="$JAVA_SYS_PROPS -Dnet.java.sip.communicator.SC_HOME_DIR_NAME=videobridge"
    JAVA_SYS_PROPS="$JAVA_SYS_PROPS -Djava.util.logging.config.file=/etc/jitsi/videobridge/logging.properties"
fi

VIDEOBRIDGE_MAX_MEMORY="${VIDEOBRIDGE_MAX_MEMORY:-3072m}"

exec java -Xmx"$VIDEOBRIDGE_MAX_MEMORY" -XX:+UseG1GC -XX:+HeapDumpOnOutOfMemoryError \
    $JAVA_SYS_PROPS -cp "/usr/share/jitsi-videobridge/jitsi-videobridge.jar:/usr/share/jitsi-videobridge/lib/*" \
    org.jitsi.videobridge.MainKt "$@"
