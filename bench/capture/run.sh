#!/usr/bin/env bash
# Change capture's cost: writes/s with capture on and off (SQLite through the demo's API,
# PostgreSQL at the database) and write-to-client latency, with ratios (bench/capture/run.py).
# Builds the demo (release) and the CLI, uses the pinned Python venv of clients/python, and a PostgreSQL
# from scripts/lib/services.sh ($DATABASE_URL when reachable, else its own).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# The server optimised (SQLite's C too: the dev profile builds it without optimisation).
cargo build --locked --release -p sheplang-demo --bin sheplang-demo
cargo build --locked -p sheplang-cli --bin sheplang
# shellcheck source=../../scripts/lib/services.sh
source "$root/scripts/lib/services.sh"
services_start postgres
python=$(bash scripts/python-env.sh)
SHEPLANG_BIN_DIR="$root/target/release" "$python" bench/capture/run.py "$@"
