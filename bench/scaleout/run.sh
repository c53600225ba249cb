#!/usr/bin/env bash
# Runs bench/scaleout/run.mjs with a Redis: $REDIS_URL when it is reachable, else a redis-server
# started (and stopped on exit) by scripts/lib/services.sh. Arguments go to run.mjs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/lib/services.sh
source "$root/scripts/lib/services.sh"
services_start redis
node "$root/bench/scaleout/run.mjs" "$@"
