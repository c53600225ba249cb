#!/usr/bin/env bash
# Every TypeScript check, for scripts/test.sh and CI: installs the pinned packages (only when
# package-lock.json changed since the last install), generates, type-checks and tests. The
# scale-out tests need a Redis: $REDIS_URL when it is reachable, else one started here.
# Usage: bash ts/scripts/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.installed-package-lock.json
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --engine-strict
  cp package-lock.json "$stamp"
fi
# shellcheck source=../../scripts/lib/services.sh
source ../scripts/lib/services.sh
services_start redis
# test/scaleout.test.ts also starts a redis-server of its own (to restart it): the binary must be
# here even when $REDIS_URL names a server elsewhere.
command -v redis-server >/dev/null || _services_install redis-server
npm run gen
npm run typecheck
npm test
