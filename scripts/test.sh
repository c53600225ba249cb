#!/usr/bin/env bash
# Runs every test the project has, on a fresh machine: installs what it needs first.
#   Rust:       cargo fmt --check, clippy -D warnings, cargo test (unit, goldens, ui, e2e crates)
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked
