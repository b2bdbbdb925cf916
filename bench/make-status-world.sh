#!/bin/sh
# Builds the world bench/status.sh measures, under DIR:
#   DIR/debs/        the bundled example packages (examples/build-repo.sh) and one extra package,
#                    jitsi-meet-static-extra, shipping EXTRA files under /usr/share/jitsi-meet/static/
#   DIR/root/        a dpkg root with every 1.0.1-1 package and the extra package installed by the
#                    real dpkg (--root, --log inside the root: the host's database is never touched)
#   DIR/state/       jitsi-custom's state after `init` and `track` of the extra files: the
#                    profile's 11 files plus EXTRA (default 39) make 50 tracked files
#   DIR/packages     the installed package names, one per line (for `dpkg --verify`)
# Usage: bench/make-status-world.sh DIR [JITSI_CUSTOM] [EXTRA]
set -eu

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
    echo "usage: $0 DIR [JITSI_CUSTOM] [EXTRA]" >&2
    exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
JC=${2:-$HERE/../target/release/jitsi-custom}
EXTRA=${3:-39}
ROOT=$DIR/root
STATE=$DIR/state
export LC_ALL=C SOURCE_DATE_EPOCH=1714521600

if [ -e "$ROOT" ] || [ -e "$STATE" ]; then
    echo "$0: $ROOT or $STATE exists already; use an empty DIR" >&2
    exit 1
fi

"$HERE/../examples/build-repo.sh" "$DIR/debs" >/dev/null

# The extra package: small HTML pages, so that dpkg --verify has as many files to check as
# jitsi-custom status does.
tree=$DIR/debs/.extra
rm -rf "$tree"
mkdir -p "$tree/DEBIAN" "$tree/usr/share/jitsi-meet/static"
cat > "$tree/DEBIAN/control" <<EOF
Package: jitsi-meet-static-extra
Version: 1.0.1-1
Architecture: all
Maintainer: jitsi-custom benchmarks <bench@example.invalid>
Description: extra static pages for the status benchmark
EOF
i=1
while [ "$i" -le "$EXTRA" ]; do
    printf '<div class="card">\n<h2>Seite %s</h2>\n<p>Text der Seite %s.</p>\n</div>\n' "$i" "$i" \
        > "$tree/usr/share/jitsi-meet/static/extra-$i.html"
    i=$((i + 1))
done
find "$tree" -type d -exec chmod 0755 {} +
find "$tree" -type f -exec chmod 0644 {} +
dpkg-deb --root-owner-group -Zxz --build "$tree" "$DIR/debs/jitsi-meet-static-extra_1.0.1-1_all.deb" >/dev/null
rm -rf "$tree"

mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" "$ROOT/var/lib/dpkg/triggers" \
    "$ROOT/var/log" "$ROOT/var/cache/apt/archives/partial"
: > "$ROOT/var/lib/dpkg/status"
: > "$ROOT/var/lib/dpkg/available"
not_root=
[ "$(id -u)" -eq 0 ] || not_root=--force-not-root
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C \
    DEBIAN_FRONTEND=noninteractive \
    dpkg --root="$ROOT" --log="$ROOT/var/log/dpkg.log" --force-script-chrootless $not_root \
    --install "$DIR"/debs/1.0.1-1/*.deb "$DIR/debs/jitsi-meet-static-extra_1.0.1-1_all.deb" >/dev/null

dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${Package}\n' | sort > "$DIR/packages"

"$JC" --root "$ROOT" --state-dir "$STATE" --non-interactive init >/dev/null 2>&1
set --
i=1
while [ "$i" -le "$EXTRA" ]; do
    set -- "$@" "/usr/share/jitsi-meet/static/extra-$i.html"
    i=$((i + 1))
done
"$JC" --root "$ROOT" --state-dir "$STATE" track "$@" >/dev/null 2>&1

tracked=$(grep -c '^\[\[file\]\]' "$STATE/jitsi-custom.toml")
echo "$DIR: $(wc -l < "$DIR/packages") packages installed, $tracked files tracked" >&2
