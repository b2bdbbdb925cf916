#!/usr/bin/env bash
# Runs one end-to-end scenario in a throw-away Debian bookworm chroot.
#
#   tests/e2e/run-scenario.sh SCENARIO_SCRIPT [ARG...]
#
# Inside `unshare --mount --pid --fork --kill-child`, a tmpfs receives the cached base tarball
# (tests/e2e/base.sh), jitsi-custom (the Debian package, installed with apt-get, or a bare
# binary), the example packages and a local apt repository; then SCENARIO_SCRIPT runs chrooted
# with a cleared environment, ARGs passed on. Its exit code is
# this script's. When the namespace ends, every mount and process in it is gone: nothing is
# written to the host but the cached tarball and the empty mount point target/e2e/mnt.
#
# Inside the chroot:
#   jitsi-custom                   $JITSI_CUSTOM_DEB installed with `apt-get install ./…deb` (from
#                                  /srv/debs/; the package's files, its apt snippet as a conffile);
#                                  without it, $JITSI_CUSTOM_BIN (default target/debug/jitsi-custom)
#                                  copied to /usr/bin/jitsi-custom
#   /srv/pool/<version>/*.deb      every bundled package version (examples/build-repo.sh)
#   /srv/repo/                     flat repository, `deb [trusted=yes] file:/srv/repo ./`, the only
#                                  apt source; empty until the scenario runs `publish VERSION...`
#   /usr/local/bin/publish         tests/e2e/publish.sh (then `apt-get update`)
#   /usr/local/sbin/systemctl      stub logging to /var/log/systemctl.log, first on PATH
#   /e2e/lib.sh                    helpers to source; /e2e/scenario.sh the scenario itself
#   /e2e/customisations/           examples/customisations (the admin guide's edits)
#   /e2e/hooks/apt/                the project's hooks/apt/, when it exists
#
# Environment: JITSI_CUSTOM_DEB, JITSI_CUSTOM_BIN; E2E_FLAVOUR (base|bench, see base.sh); E2E_INSTALL, host
# executables (space-separated paths) to copy into /usr/local/bin, e.g. hyperfine for bench/;
# TERM is passed on when set, so a scenario driven through a pseudo-terminal can prompt.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

if [ "${1:-}" != --inside ]; then
    if [ $# -lt 1 ]; then
        echo "usage: $0 SCENARIO_SCRIPT [ARG...]" >&2
        exit 2
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "run-scenario.sh: needs root (chroot, mounts)" >&2
        exit 2
    fi
    scenario=$(realpath "$1")
    shift
    [ -f "$scenario" ] || { echo "run-scenario.sh: $scenario: no such file" >&2; exit 2; }
    deb='' bin=''
    if [ -n "${JITSI_CUSTOM_DEB:-}" ]; then
        deb=$(realpath "$JITSI_CUSTOM_DEB")
        [ -f "$deb" ] || { echo "run-scenario.sh: $deb: no such package (scripts/build-deb?)" >&2; exit 2; }
    else
        bin=$(realpath "${JITSI_CUSTOM_BIN:-$project/target/debug/jitsi-custom}")
        [ -x "$bin" ] || { echo "run-scenario.sh: $bin: not an executable (cargo build?)" >&2; exit 2; }
    fi
    tarball=$("$here/base.sh" "${E2E_FLAVOUR:-base}")

    # The tmpfs is mounted on this empty directory inside the new mount namespace only, so
    # parallel runs do not meet, and a run killed at any point leaves nothing to clean up.
    root=${E2E_CACHE_DIR:-$project/target/e2e}/mnt
    mkdir -p "$root"
    # exec: signals reach unshare. Ctrl-C at a terminal ends the scenario (exit 130); unshare
    # itself ignores SIGINT and SIGTERM while it waits, so stop a run from elsewhere with SIGKILL:
    # --kill-child then ends the whole namespace.
    E2E_ROOT=$root E2E_TARBALL=$tarball E2E_SCENARIO=$scenario E2E_BIN=$bin E2E_DEB=$deb \
        exec unshare --mount --pid --fork --kill-child --propagation private \
        "$BASH" "$here/run-scenario.sh" --inside "$@"
fi

# --- inside the new mount and pid namespaces -----------------------------------------------
shift
root=$E2E_ROOT
start=$(now_ms)

mount -t tmpfs -o mode=0755,size=4g jitsi-custom-e2e "$root"
tar --zstd --numeric-owner -xpf "$E2E_TARBALL" -C "$root"
extracted=$(now_ms)

# apt: the local repository only, never the network.
rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
echo 'deb [trusted=yes] file:/srv/repo ./' >"$root/etc/apt/sources.list.d/jitsi-custom-e2e.list"
"$project/examples/build-repo.sh" "$root/srv/pool" >/dev/null
"$here/publish.sh" --pool "$root/srv/pool" --repo "$root/srv/repo"

install -m 0755 "$here/publish.sh" "$root/usr/local/bin/publish"
install -m 0755 "$here/systemctl-stub.sh" "$root/usr/local/sbin/systemctl"
for executable in ${E2E_INSTALL:-}; do
    install -m 0755 "$executable" "$root/usr/local/bin/"
done
for systemctl in /usr/bin/systemctl /bin/systemctl; do
    if [ -e "$root$systemctl" ] && [ ! -L "$root$systemctl" ]; then
        chroot "$root" dpkg-divert --quiet --local --rename --add "$systemctl"
        ln -s /usr/local/sbin/systemctl "$root$systemctl"
    fi
done

mkdir -p "$root/e2e"
install -m 0644 "$here/lib.sh" "$root/e2e/lib.sh"
install -m 0755 "$E2E_SCENARIO" "$root/e2e/scenario.sh"
cp -R "$project/examples/customisations" "$root/e2e/customisations"
if [ -d "$project/hooks/apt" ]; then
    mkdir -p "$root/e2e/hooks"
    cp -R "$project/hooks/apt" "$root/e2e/hooks/apt"
fi

mount -t proc proc "$root/proc"
mount --bind /dev/pts "$root/dev/pts"

env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8)
if [ -n "$E2E_DEB" ]; then
    # As an admin installs it. Its apt snippet is live from here on: a no-op until `init`.
    mkdir -p "$root/srv/debs"
    cp "$E2E_DEB" "$root/srv/debs/"
    deb_name=$(basename "$E2E_DEB")
    if ! chroot "$root" /usr/bin/env -i "${env[@]}" DEBIAN_FRONTEND=noninteractive \
        sh -c "cd /srv/debs && apt-get install -y ./$deb_name" >"$root/srv/debs/install.log" 2>&1; then
        cat "$root/srv/debs/install.log" >&2
        echo "run-scenario.sh: apt-get install ./$deb_name failed" >&2
        exit 1
    fi
else
    install -m 0755 "$E2E_BIN" "$root/usr/bin/jitsi-custom"
fi
prepared=$(now_ms)

if [ -n "${TERM:-}" ]; then
    env+=("TERM=$TERM")
fi
rc=0
chroot "$root" /usr/bin/env -i "${env[@]}" /bin/bash /e2e/scenario.sh "$@" || rc=$?
finished=$(now_ms)

printf 'run-scenario.sh: %s: exit %s; extract %s ms, prepare %s ms, scenario %s ms\n' \
    "$(basename "$E2E_SCENARIO")" "$rc" $((extracted - start)) $((prepared - extracted)) \
    $((finished - prepared)) >&2
exit "$rc"
