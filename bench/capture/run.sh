#!/usr/bin/env bash
# Change capture's cost: the server's CPU per write and writes/s with capture on and off
# (SQLite and PostgreSQL through the demo's API, PostgreSQL at the database) and
# write-to-client latency, with ratios (bench/capture/run.py says what each figure means).
# Builds the demo, the writer (bench/capture/load) and the subscriber (bench/fanout/load) in
# release, and the CLI; uses the pinned Python venv of clients/python, and a PostgreSQL from
# scripts/lib/services.sh ($DATABASE_URL when reachable, else its own).
#   CAPTURE_BENCH_SECONDS (6) a run, CAPTURE_BENCH_ROUNDS (3) runs each side,
#   CAPTURE_BENCH_CONNECTIONS (4) writers,
#   CAPTURE_BENCH_ONLY (sqlite | postgres | postgres-api: the demo's API only | postgres-psql)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# The server optimised (SQLite's C too: the dev profile builds it without optimisation).
cargo build --locked --release -p sheplang-demo --bin sheplang-demo
cargo build --locked --release -p capture-load -p fanout-load
cargo build --locked -p sheplang-cli --bin sheplang
# shellcheck source=../../scripts/lib/services.sh
source "$root/scripts/lib/services.sh"
if [[ ${CAPTURE_BENCH_ONLY:-} != sqlite ]]; then services_start postgres; fi
python=$(bash scripts/python-env.sh)
SHEPLANG_BIN_DIR="$root/target/release" "$python" bench/capture/run.py "$@"
