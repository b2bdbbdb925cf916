#!/usr/bin/env bash
# Publishes package versions in a flat apt repository, as an archive would on release day.
#
#   publish.sh [--pool DIR] [--repo DIR] [--only] VERSION...
#
# POOL holds one directory per version (<pool>/<version>/*.deb, as examples/build-repo.sh lays
# them out). Each VERSION's debs are linked into REPO, which then serves them together with
# everything published before (like Jitsi's own repository, which keeps old versions), or only
# them with --only. Packages is regenerated with apt-ftparchive; Release is written to a temporary
# file first and then moved, because apt-ftparchive would otherwise list the half-written Release
# in itself. Serve it with `deb [trusted=yes] file:REPO ./`.
#
# Inside a scenario's chroot this script is /usr/local/bin/publish, with POOL=/srv/pool and
# REPO=/srv/repo. After publishing, run `apt-get update` for apt to see the change.
set -euo pipefail

pool=${E2E_POOL_DIR:-/srv/pool}
repo=${E2E_REPO_DIR:-/srv/repo}
only=false
while [ $# -gt 0 ]; do
    case "$1" in
        --pool) pool=$2; shift 2 ;;
        --repo) repo=$2; shift 2 ;;
        --only) only=true; shift ;;
        --) shift; break ;;
        -*) echo "publish: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done

mkdir -p "$repo"
if $only; then
    find "$repo" -maxdepth 1 -name '*.deb' -delete
fi
for version in "$@"; do
    if ! compgen -G "$pool/$version/*.deb" >/dev/null; then
        echo "publish: no packages for version '$version' in $pool" >&2
        exit 1
    fi
    for deb in "$pool/$version"/*.deb; do
        ln -f "$deb" "$repo/" 2>/dev/null || cp -f "$deb" "$repo/"
    done
done

cd "$repo"
apt-ftparchive packages . >Packages.tmp 2>/dev/null
mv Packages.tmp Packages
rm -f Release
apt-ftparchive -o APT::FTPArchive::Release::Origin=jitsi-custom-e2e release . >../.Release.tmp
mv ../.Release.tmp Release
