#!/usr/bin/env bash
# The demo's browser test, end to end, on a fresh machine: installs Chromium (Debian's, with
# apt-get, only when /usr/bin/chromium is missing, without recommended packages: the browser
# and the libraries it needs, no daemons, nothing already installed upgraded), builds everything with scripts/demo.sh
# --build-only (npm ci, generated TypeScript, bundled page, server binary), then runs
# examples/demo/web/e2e/ with node's test runner: two browsers, one live task list, a server
# restart (demo.test.mjs); a task written with the sqlite3 shell (capture.test.mjs); a burst, a long list, a flapping network, a 1 kB/s link and an
# outage (pages.test.mjs). Screenshots go to examples/demo/web/e2e/screenshots/.
# Then the teams example (examples/teams/web/e2e/): three pages as users of two teams, each
# seeing only its team's tasks, live.
#
# Usage: bash scripts/test-browser.sh
#        DEMO_SCREENSHOT=update bash scripts/test-browser.sh   also refreshes docs/demo.png
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
[[ $target == /* ]] || target=$root/$target
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}

step() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$1" >&2
  shift
  for hint in "$@"; do printf '  = help: %s\n' "$hint" >&2; done
  exit 1
}

if [[ ! -x $chromium ]]; then
  if [[ -n ${CHROMIUM_PATH:-} ]]; then
    die "CHROMIUM_PATH=$chromium is not an executable"
  fi
  if [[ $(id -u) -ne 0 ]]; then
    die "Chromium is missing ($chromium) and installing it needs root" "sudo apt-get install -y --no-install-recommends chromium, or CHROMIUM_PATH=/path/to/chromium"
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "Chromium is missing ($chromium) and there is no apt-get to install it" "install Chromium, then CHROMIUM_PATH=/path/to/chromium"
  step "installing Chromium (apt-get install --no-install-recommends chromium)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; } >&2 ||
    die "apt-get could not install chromium (see above)" "are Debian's package servers reachable?"
  [[ -x $chromium ]] || die "apt-get installed chromium, but $chromium is still missing" "set CHROMIUM_PATH"
fi
step "browser: $("$chromium" --version 2>/dev/null | head -n 1)"

# e2e/capture.test.mjs writes into the demo's database with the `sqlite3` shell.
if ! command -v sqlite3 >/dev/null 2>&1; then
  [[ $(id -u) -eq 0 ]] || die "the sqlite3 shell is missing and installing it needs root" "sudo apt-get install -y --no-install-recommends sqlite3"
  step "installing the sqlite3 shell (apt-get install --no-install-recommends sqlite3)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends sqlite3; } >&2 ||
    die "apt-get could not install sqlite3 (see above)" "are Debian's package servers reachable?"
fi

bash scripts/demo.sh --build-only
# The pages' bursts come from the Rust writer of bench/capture/load (e2e/support/demo.mjs).
step "building the burst writer (cargo build -p capture-load)"
cargo build --locked --quiet -p capture-load || die "cargo build -p capture-load failed (see above)"

# e2e/scaleout.test.mjs runs two demo processes on one Redis: $REDIS_URL, or one started here.
# shellcheck source=lib/services.sh
source "$root/scripts/lib/services.sh"
services_start redis

step "browser test (examples/demo/web/e2e/)"
cd examples/demo/web
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 CHROMIUM_PATH="$chromium" SHEPLANG_DEMO_BIN="$target/debug/sheplang-demo" \
  CAPTURE_LOAD_BIN="$target/debug/capture-load"
node --test --test-timeout=300000 e2e/

step "building the teams example (cargo build -p sheplang-teams; npm ci and the page in examples/teams/web)"
cd "$root"
cargo build --locked --quiet -p sheplang-cli -p sheplang-teams || die "cargo build -p sheplang-teams failed (see above)"
cd examples/teams/web
npm ci --no-audit --no-fund --engine-strict --loglevel=error ||
  die "npm ci failed in examples/teams/web (see above)" "is the npm registry reachable? (npm config get registry)"
SHEPLANG_BIN="$target/debug/sheplang" npm run --silent build || die "building the teams page failed (see above)"

step "browser test (examples/teams/web/e2e/)"
SHEPLANG_TEAMS_BIN="$target/debug/sheplang-teams" node --test --test-timeout=300000 e2e/
