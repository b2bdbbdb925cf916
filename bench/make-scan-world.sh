#!/bin/sh
# Builds the world bench/scan.sh measures, under DIR:
#   DIR/debs/      the bundled 1.0.1-1 packages (examples/build-repo.sh), jitsi-meet-web among them
#                  grown to a real package's size (bench/gen_scan_package.py: ~1,800 more files,
#                  ~90 MB), built uncompressed
#   DIR/root/      a dpkg root with them installed by the real dpkg (--root, --log inside the
#                  root: the host's database is never touched), then changed as an admin would:
#                  two share files and one conffile edited, one file deleted, a logo and a page
#                  that no package owns added
#   DIR/packages   the installed package names, one per line
# Usage: bench/make-scan-world.sh DIR
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
ROOT=$DIR/root
export LC_ALL=C SOURCE_DATE_EPOCH=1714521600

if [ -e "$ROOT" ]; then
    echo "$0: $ROOT exists already; use an empty DIR" >&2
    exit 1
fi

"$HERE/../examples/build-repo.sh" "$DIR/debs" >/dev/null
tree=$DIR/debs/.web
rm -rf "$tree"
cp -R "$HERE/../examples/packages/jitsi-meet-web/1.0.1-1" "$tree"
python3 "$HERE/gen_scan_package.py" "$tree"
find "$tree" -type d -exec chmod 0755 {} +
find "$tree" -type f -exec chmod 0644 {} +
# As debhelper does: md5sums in the package (dpkg would compute them itself otherwise).
(cd "$tree" && find usr -type f -print0 | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
dpkg-deb --root-owner-group -Znone --build "$tree" "$DIR/debs/1.0.1-1/jitsi-meet-web_1.0.1-1_all.deb" >/dev/null
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
    --install "$DIR"/debs/1.0.1-1/*.deb >/dev/null

share=$ROOT/usr/share/jitsi-meet
echo "interfaceConfig.APP_NAME = 'Praxis Videosprechstunde';" >> "$share/interface_config.js"
echo '<p>Praxis</p>' >> "$share/static/welcomePageAdditionalCard.html"
echo '.level=WARNING' >> "$ROOT/etc/jitsi/videobridge/logging.properties"
rm "$share/sounds/sound-7.opus"
printf 'praxis logo' > "$share/images/praxis-logo.png"
printf '<p>Impressum</p>\n' > "$share/static/impressum.html"

dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${Package}\n' | sort > "$DIR/packages"
files=$(cat "$ROOT"/var/lib/dpkg/info/*.md5sums | wc -l)
echo "$DIR: $(wc -l < "$DIR/packages") packages, $files packaged files, $(du -sm "$ROOT/usr" | cut -f1) MB under /usr" >&2
