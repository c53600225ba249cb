#!/usr/bin/env bash
# Logical decoding's cost beside the capture trigger, under the demo API's load (PostgreSQL only;
# bench/capture/logical.py says what each variant and figure means). Builds the demo, the writer
# and the subscriber in release; uses the pinned Python venv of clients/python and a PostgreSQL
# with wal_level=logical: $DATABASE_URL when it reaches one (its user must be allowed to create
# replication slots and publications), else its own from scripts/lib/services.sh, switched to
# wal_level=logical and restarted.
#   CAPTURE_BENCH_SECONDS (6) a run, CAPTURE_BENCH_ROUNDS (3), CAPTURE_BENCH_CONNECTIONS (4),
#   LOGICAL_BENCH_VARIANTS (off,on,td,pgo,poll)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build --locked --release -p sheplang-demo --bin sheplang-demo
cargo build --locked --release -p capture-load -p fanout-load
# shellcheck source=../../scripts/lib/services.sh
source "$root/scripts/lib/services.sh"
services_start postgres
if [[ $(psql -X -At -d "$DATABASE_URL" -c 'SHOW wal_level') != logical ]]; then
  if [[ -z $_services_pg_data ]]; then
    echo "logical.sh: \$DATABASE_URL's server does not run wal_level=logical" >&2
    exit 1
  fi
  # Our own server: the settings, then a restart with the same command line (postmaster.opts).
  psql -X -q -d "$DATABASE_URL" -c 'ALTER SYSTEM SET wal_level = logical' \
    -c 'ALTER SYSTEM SET max_replication_slots = 10' -c 'ALTER SYSTEM SET max_wal_senders = 10'
  _services_as_postgres "$_services_pg_bin/pg_ctl" restart -D "$_services_pg_data" -m fast -w >/dev/null
fi
python=$(bash scripts/python-env.sh)
SHEPLANG_BIN_DIR="$root/target/release" "$python" bench/capture/logical.py "$@"
