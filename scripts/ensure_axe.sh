#!/usr/bin/env bash
# axe-core (the accessibility rules engine, MPL-2.0) for the browser tests, from the npm
# registry into the git-ignored .web-test/ folder; nodejs and npm come from Debian
# packages when missing (as root). Never fails the build: without axe-core the
# accessibility checks skip and say why, unless BALLISTICS_REQUIRE_BROWSER=1 (CI).
set -u
cd "$(dirname "$0")/.."
AXE_VERSION="${AXE_VERSION:-4.10.3}"
target=.web-test/node_modules/axe-core/axe.min.js
if [ -f "$target" ] && grep -q "\"version\": \"$AXE_VERSION\"" .web-test/node_modules/axe-core/package.json 2>/dev/null; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "ensure_axe: installing nodejs and npm from Debian packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null || true
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "ensure_axe: npm not available; the accessibility checks will be skipped" >&2
  exit 0
fi
mkdir -p .web-test
npm install --prefix .web-test --no-audit --no-fund --silent "axe-core@$AXE_VERSION" >/dev/null 2>&1 \
  || echo "ensure_axe: could not install axe-core; the accessibility checks will be skipped" >&2
exit 0
