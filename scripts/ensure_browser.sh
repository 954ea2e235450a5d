#!/usr/bin/env bash
# Make sure a headless Chromium is installed for the review-page browser test
# (tests/service/web/test_browser.py drives Debian's chromium through Playwright's
# Python API; Playwright's own browser download is never used).
# Installs Debian's `chromium` package when it is missing and we are root.
# Never fails the build: without Chromium the browser test skips and says why,
# unless BALLISTICS_REQUIRE_BROWSER=1 (CI), where it fails instead.
set -u
have() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }
have && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ensure_browser: chromium not found and not root; the browser test will be skipped" >&2
  exit 0
fi
echo "ensure_browser: installing chromium from Debian packages" >&2
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
  have && exit 0
fi
echo "ensure_browser: could not install chromium; the browser test will be skipped" >&2
exit 0
