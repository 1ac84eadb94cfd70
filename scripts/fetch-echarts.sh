#!/usr/bin/env bash
# Fetches ECharts from the npm registry into pipeline/report/assets/, where
# pipeline/report embeds it in every report (reports work offline). The
# tarball's SHA-256 is checked against the value pinned here before anything
# is unpacked; the licence and notice are kept beside the script they cover.
#
#   scripts/fetch-echarts.sh        # ECharts 5.6.0
#
# To move to another version, change VERSION and SHA256 (the registry's
# dist.integrity is the tarball's SHA-512, base64) and the version named in
# pipeline/report's package doc.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=5.6.0
SHA256=e1b82487dd7f8d9f0438eec1f1433051148e0095ac7a15d4db890afda45cf610
URL="https://registry.npmjs.org/echarts/-/echarts-${VERSION}.tgz"
DEST=pipeline/report/assets

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL -o "$tmp/echarts.tgz" "$URL"
echo "${SHA256}  $tmp/echarts.tgz" | sha256sum -c --quiet - || {
  echo "fetch-echarts: $URL does not have the pinned SHA-256 ${SHA256}" >&2
  exit 1
}
tar -xzf "$tmp/echarts.tgz" -C "$tmp" package/dist/echarts.min.js package/LICENSE package/NOTICE
mkdir -p "$DEST"
cp "$tmp/package/dist/echarts.min.js" "$DEST/echarts.min.js"
cp "$tmp/package/LICENSE" "$DEST/ECHARTS-LICENSE"
cp "$tmp/package/NOTICE" "$DEST/ECHARTS-NOTICE"
echo "fetch-echarts: ECharts ${VERSION} in $DEST ($(wc -c < "$DEST/echarts.min.js") bytes)"
