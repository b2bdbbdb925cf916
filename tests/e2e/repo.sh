#!/usr/bin/env bash
# Builds the bundled example packages and a flat apt repository serving some of their versions.
#
#   tests/e2e/repo.sh OUT VERSION...
#
# OUT/pool/<version>/*.deb   every version, from examples/build-repo.sh
# OUT/repo/                  Packages + Release serving VERSION... (`deb [trusted=yes] file:OUT/repo ./`)
#
# Publishing a later version into the same OUT is `tests/e2e/publish.sh --pool OUT/pool --repo
# OUT/repo VERSION`; inside a scenario it is `publish VERSION` (run-scenario.sh builds the pool
# itself, on the scenario's tmpfs). Uses dpkg-deb and apt-ftparchive only; touches nothing but OUT.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 OUT VERSION..." >&2
    exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
out=$1
shift
mkdir -p "$out"
"$here/../../examples/build-repo.sh" "$out/pool" >/dev/null
"$here/publish.sh" --pool "$out/pool" --repo "$out/repo" --only "$@"
echo "$out/repo"
