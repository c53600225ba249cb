#!/usr/bin/env bash
# The Python wire tests: python-socketio (pinned in clients/python/requirements.txt), written
# from docs/wire.md only, against the project's Rust binaries.
# Usage: bash scripts/test-python.sh [unittest arguments, e.g. -k resume]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --locked -p sheplang-socketio-examples --bin serve-spec
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
python=$(bash scripts/python-env.sh)
export SHEPLANG_BIN_DIR="$target/debug"
cd clients/python
exec "$python" -m unittest discover --start-directory . --pattern 'test_*.py' --verbose "$@"
