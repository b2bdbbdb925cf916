#!/bin/sh
# Builds every bundled package version into OUT_DIR/<version>/<package>_<version>_all.deb,
# ready to be served as a flat apt repository (apt-ftparchive packages OUT_DIR/<version>).
# Uses dpkg-deb only. Builds repeat byte for byte (fixed SOURCE_DATE_EPOCH, normalised modes).
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
STAGING=$(mktemp -d "$OUT/.build-XXXXXX")
trap 'rm -rf "$STAGING"' EXIT INT TERM

export SOURCE_DATE_EPOCH=1714521600
export LC_ALL=C

for tree in "$HERE"/packages/*/*/; do
    tree=${tree%/}
    version=$(basename "$tree")
    package=$(basename "$(dirname "$tree")")
    control_version=$(sed -n 's/^Version:[[:space:]]*//p' "$tree/DEBIAN/control")
    if [ "$control_version" != "$version" ]; then
        echo "$tree/DEBIAN/control: Version is '$control_version', expected '$version'" >&2
        exit 1
    fi

    copy="$STAGING/${package}_$version"
    cp -R "$tree" "$copy"
    # Normalise modes as the library's build_deb does: 0755 for directories, maintainer
    # scripts and executables, 0644 for everything else.
    find "$copy" -type d -exec chmod 0755 {} +
    find "$copy" -type f -perm /111 -exec chmod 0755 {} +
    find "$copy" -type f ! -perm /111 -exec chmod 0644 {} +
    for script in preinst postinst prerm postrm config; do
        if [ -f "$copy/DEBIAN/$script" ]; then
            chmod 0755 "$copy/DEBIAN/$script"
        fi
    done

    mkdir -p "$OUT/$version"
    dpkg-deb --root-owner-group -Zxz --build "$copy" "$OUT/$version/${package}_${version}_all.deb" >/dev/null
    echo "$OUT/$version/${package}_${version}_all.deb"
    rm -rf "$copy"
done
