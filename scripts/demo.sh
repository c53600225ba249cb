#!/usr/bin/env bash
# The power demo, from a fresh clone: installs the page's npm packages (npm ci, from the
# committed lockfile), generates the TypeScript from examples/demo/specs/tasks.shep, type-checks
# and bundles the page, builds the Rust server and starts it. It prints the page's URL: open it
# in two browser windows and change the list in one.
#
# Usage: bash scripts/demo.sh [server options]     e.g. --port 8080, --port 0, --memory, --db FILE
#        bash scripts/demo.sh --build-only         prepare everything, start nothing
# Needs: cargo (rust-toolchain.toml pins the version), Node.js >= 20.19 with npm.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
web=examples/demo/web
target=${CARGO_TARGET_DIR:-$root/target}
[[ $target == /* ]] || target=$root/$target

step() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$1" >&2
  shift
  for hint in "$@"; do printf '  = help: %s\n' "$hint" >&2; done
  exit 1
}

build_only=0
if [[ ${1:-} == --build-only ]]; then
  build_only=1
  shift
fi

command -v cargo >/dev/null 2>&1 ||
  die "cargo not found: the server is Rust" "install Rust with https://rustup.rs (rust-toolchain.toml picks the version)"
command -v node >/dev/null 2>&1 ||
  die "node not found: the page is built with Node.js (20.19 or newer)" \
    "Debian/Ubuntu: apt-get install -y nodejs npm (check the version), or https://nodejs.org"
command -v npm >/dev/null 2>&1 ||
  die "npm not found: it installs the page's packages" "Debian/Ubuntu: apt-get install -y npm"
node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1);
' || die "Node.js $(node --version) is too old: the page needs 20.19 or newer" "https://nodejs.org, or your distribution's newer nodejs package"

step "building the sheplang CLI and the demo server (cargo build)"
cargo build --locked --quiet -p sheplang-cli -p sheplang-demo ||
  die "cargo build failed (see above)"

if [[ -f $web/node_modules/.package-lock.json && $web/node_modules/.package-lock.json -nt $web/package-lock.json ]]; then
  step "the page's npm packages are installed (examples/demo/web/node_modules)"
else
  step "installing the page's npm packages (npm ci, from examples/demo/web/package-lock.json)"
  (cd "$web" && npm ci --no-audit --no-fund --engine-strict --loglevel=error) ||
    die "npm ci failed (see above)" "is the npm registry reachable? (npm config get registry)"
fi

step "generating the TypeScript of examples/demo/specs/tasks.shep into $web/src/generated/"
(cd "$web" && SHEPLANG_BIN="$target/debug/sheplang" npm run --silent gen) ||
  die "generating the TypeScript failed (see above)"

step "type-checking and bundling the page into $web/dist/"
(cd "$web" && npm run --silent typecheck && npm run --silent bundle) ||
  die "building the page failed (see above)"

if ((build_only)); then
  step "built: $target/debug/sheplang-demo serves $web/dist"
  exit 0
fi

step "starting the demo server (Ctrl-C stops it)"
exec "$target/debug/sheplang-demo" --web "$root/$web/dist" "$@"
