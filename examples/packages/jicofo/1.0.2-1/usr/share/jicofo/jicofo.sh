#!/bin/sh
# Starts Jicofo, the Jitsi conference focus.
set -e

if [ -z "$JAVA_SYS_PROPS" ]; then
    JAVA_SYS_PROPS="-Dnet.java.sip.communicator.SC_HOME_DIR_LOCATION=/etc/jitsi"
    JAVA_SYS_PROPS="$JAVA_SYS_PROPS -Dnet.java.sip.communicator.SC_HOME_DIR_NAME=jicofo"
    JAVA_SYS_PROPS="$JAVA_SYS_PROPS -Dconfig.file=/etc/jitsi/jicofo/jicofo.conf"
fi

JICOFO_MAX_MEMORY="${JICOFO_MAX_MEMORY:-3072m}"

exec java -Xmx"$JICOFO_MAX_MEMORY" -XX:+UseG1GC -XX:+HeapDumpOnOutOfMemoryError \
    $JAVA_SYS_PROPS -cp "/usr/share/jicofo/jicofo.jar:/usr/share/jicofo/lib/*" \
    org.jitsi.jicofo.Main "$@"
