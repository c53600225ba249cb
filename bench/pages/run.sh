#!/usr/bin/env bash
# The pages benchmark: builds the demo (scripts/demo.sh --build-only: npm ci, the generated
# TypeScript, the bundled page), the demo server and the burst writer (bench/capture/load)
# optimised (a debug server takes several times the CPU a write, which the pages would share),
# then runs bench/pages/run.mjs, which drives real Chromium pages (Debian's /usr/bin/chromium,
# or CHROMIUM_PATH) through the scenarios of examples/demo/web/e2e/support/scenarios.mjs at full
# size and prints their timings.
#   bash bench/pages/run.sh [--only burst,list,flapping,slow,outage] [--runs 20]
# bench/pages/trace.mjs traces the long list's scroll, or a burst, in Chromium (where the frame
# time goes).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
[[ $target == /* ]] || target=$root/$target
bash scripts/demo.sh --build-only
cargo build --release --locked -p sheplang-demo -p capture-load --bin sheplang-demo --bin capture-load
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 SHEPLANG_DEMO_BIN="$target/release/sheplang-demo" \
  CAPTURE_LOAD_BIN="$target/release/capture-load"
exec node bench/pages/run.mjs "$@"
