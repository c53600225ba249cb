#!/usr/bin/env bash
# The Python wire tests: python-socketio (pinned in clients/python/requirements.txt), written
# from docs/wire.md only, against the project's Rust binaries.
# Usage: bash scripts/test-python.sh [unittest arguments, e.g. -k resume]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --locked -p sheplang-socketio-examples --bin serve-spec -p sheplang-demo --bin sheplang-demo \
  -p sheplang-teams --bin sheplang-teams
# test_capture.py writes to the demo's database with the `sqlite3` shell (Debian's `sqlite3`).
if ! command -v sqlite3 >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: the \`sqlite3\` shell is missing and installing it needs root" >&2
    echo "  = help: sudo apt-get install -y --no-install-recommends sqlite3" >&2
    exit 1
  fi
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends sqlite3; } >&2
fi
# test_capture.py also runs the demo on PostgreSQL: $DATABASE_URL when it reaches a server, else
# one started here (and stopped when this script exits), with its `psql`.
# shellcheck source=lib/services.sh
source "$root/scripts/lib/services.sh"
services_start postgres
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
python=$(bash scripts/python-env.sh)
export SHEPLANG_BIN_DIR="$target/debug"
cd clients/python
"$python" -m unittest discover --start-directory . --pattern 'test_*.py' --verbose "$@"
