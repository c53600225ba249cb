#!/usr/bin/env bash
# Runs every test the project has, on a fresh machine: installs what it needs first.
#   Services:   a Redis and a PostgreSQL server for the whole run (scripts/lib/services.sh)
#   Rust:       cargo fmt --check, clippy -D warnings, cargo test (unit, goldens, ui, e2e crates)
#   Python:     scripts/test-python.sh (python-socketio, pinned, against the Rust binaries)
#   Guide:      scripts/test-guide.sh (the README's host crate, built outside the workspace)
#   Rebuild:    bench/gen/run.sh --rebuild --quick (the spec in its own crate: a host edit
#               leaves the generated code alone)
#   TypeScript: ts/scripts/check.sh (npm ci, generate, tsc, node:test against real packages)
#   Browser:    scripts/test-browser.sh (installs Chromium from Debian if missing; playwright-core)
#   Editors:    scripts/test-editors.sh (the VS Code grammar test and .vsix; Debian's Neovim,
#               headless, against `sheplang lsp`)
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n==> %s\n' "$*"; }

step "services: Redis and PostgreSQL for the whole run (\$REDIS_URL / \$DATABASE_URL when reachable, else started here)"
# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh
services_start redis postgres

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The server's optional `tracing` logs sit behind #[cfg]: lint that build too.
cargo clippy -p sheplang-socketio --all-features --lib --locked -- -D warnings

step "cargo doc (warnings are errors: broken links, private links)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

step "cargo test"
cargo test --workspace --locked

step "the facade's typed values (features time, decimal: the same wire bytes, the same checks)"
cargo clippy -p sheplang --features time,decimal --all-targets --locked -- -D warnings
cargo test -p sheplang --features time,decimal --locked --lib --test typed --test constraints
cargo test -p sheplang --features time,decimal --locked --doc

step "Python: python-socketio clients written from docs/wire.md, against the Rust servers"
bash scripts/test-python.sh

step "the README's host-crate guide, replayed in a scratch crate outside the workspace"
bash scripts/test-guide.sh

step "the spec in its own crate: a host edit does not recompile the generated code (20-model spec)"
bash bench/gen/run.sh --rebuild --quick

step "TypeScript: npm ci (from the lockfile), generate, tsc --strict, node tests (real socket.io, Prisma 7, React)"
bash ts/scripts/check.sh

step "editors: the VS Code extension (grammar test, vsce package) and headless Neovim on sheplang lsp"
bash scripts/test-editors.sh

step "browser: the demo in two headless Chromiums (Debian's), with a server restart"
bash scripts/test-browser.sh
