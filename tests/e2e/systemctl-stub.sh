#!/bin/sh
# Stand-in for systemctl inside the end-to-end chroot (no systemd there). Logs every call, one
# line of arguments per call, to /var/log/systemctl.log so scenarios can assert on restarts, and
# answers queries as a healthy system would.
echo "$*" >>/var/log/systemctl.log
for arg in "$@"; do
    case "$arg" in
        -*) ;;
        is-active) echo active; exit 0 ;;
        is-enabled) echo enabled; exit 0 ;;
        is-failed) echo active; exit 1 ;;
        *) exit 0 ;;
    esac
done
exit 0
