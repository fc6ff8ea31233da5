#!/usr/bin/env bash
# Time and peak memory of `ssmd validate` over the example repository plus a
# FIFO, a /dev/zero link and a 2 GiB sparse file in feeds/ (docs/security.md).
# Needs the built CLI (npm run build) and GNU time (/usr/bin/time).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$here/examples/market-data" "$work/repo"
mkfifo "$work/repo/feeds/pipe.yaml"
ln -s /dev/zero "$work/repo/feeds/zero.yaml"
truncate -s 2G "$work/repo/feeds/sparse.yaml"
set +e
/usr/bin/time -v node "$here/bin/run.js" validate --no-cache -C "$work/repo" >"$work/out" 2>"$work/time"
code=$?
set -e
echo "exit code: $code (1 expected: three findings)"
grep -c 'yaml/unsafe' "$work/out" | sed 's/^/yaml\/unsafe findings: /'
grep -E 'Elapsed|Maximum resident' "$work/time"
