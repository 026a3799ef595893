#!/usr/bin/env bash
# Rewrites package-lock.json from the package.json files so that `npm ci` accepts it on any machine.
#
#   bash scripts/regenerate-lockfile.sh           # after adding, removing or merging dependencies
#   bash scripts/regenerate-lockfile.sh --fresh   # re-resolve everything (newest versions in range)
#
# Why a copy: npm builds the lockfile from node_modules when one exists, and node_modules holds only
# this platform's optional packages (@swc/core-*, @unrs/resolver-binding-*), so those of the other
# platforms fall out of the lockfile and `npm ci` then refuses it ("Missing: ... from lock file").
# Resolving in a copy that has the manifests and the lockfile but no node_modules keeps them all.
# A lockfile with merge conflict markers is fine: npm resolves them from the package.json files.
set -euo pipefail
cd "$(dirname "$0")/.."
fresh=false
[[ "${1:-}" == "--fresh" ]] && fresh=true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Every workspace manifest, with the root's, at the same relative paths (workspaces come from git,
# so a stray local directory cannot join the lockfile).
git ls-files --cached --others --exclude-standard -- package.json '*/package.json' \
  | grep -v node_modules | while read -r manifest; do
    mkdir -p "$work/$(dirname "$manifest")" && cp "$manifest" "$work/$manifest"
  done
cp .npmrc "$work/" 2>/dev/null || true
$fresh || cp package-lock.json "$work/"

(cd "$work" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund)
# A second pass must change nothing: the lockfile is then a fixed point of `npm install`.
cp "$work/package-lock.json" "$work/package-lock.first.json"
(cd "$work" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund >/dev/null)
cmp -s "$work/package-lock.json" "$work/package-lock.first.json" \
  || { echo "regenerate-lockfile: a second resolution changed the lockfile; not written" >&2; exit 1; }
cp "$work/package-lock.json" package-lock.json
(cd "$work" && npm ci --dry-run --ignore-scripts --no-audit --no-fund >/dev/null) || { echo "regenerate-lockfile: npm ci refuses the result" >&2; exit 1; }
echo "regenerate-lockfile: package-lock.json written; check it with 'npm ci' (and commit it)"
