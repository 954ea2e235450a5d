#!/usr/bin/env bash
# Make sure PostgreSQL's server programs (initdb, pg_ctl) are installed, for the
# database tests that run against a throwaway cluster (tests/service/conftest.py).
# Installs Debian's `postgresql` package when they are missing and we are root.
# Never fails the build: without PostgreSQL those tests skip and say why, unless
# BALLISTICS_REQUIRE_POSTGRES=1 (CI), where they fail instead.
set -u
have() { command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }
have && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ensure_postgres: initdb not found and not root; PostgreSQL tests will be skipped" >&2
  exit 0
fi
echo "ensure_postgres: installing PostgreSQL from Debian packages" >&2
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; then
  have && exit 0
fi
echo "ensure_postgres: could not install PostgreSQL; PostgreSQL tests will be skipped" >&2
exit 0
