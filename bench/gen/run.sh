#!/usr/bin/env bash
# Generation and compile-cost benchmark on the 1,000-model spec (bench/gen/src/lib.rs makes it).
#
#   bash bench/gen/run.sh            # `sheplang gen` whole-process time and peak memory
#   bash bench/gen/run.sh --compile  # and the compile cost of the generated Rust (minutes)
#
# Generation: the release `sheplang gen` on the spec, 5 runs (the first into an empty folder,
# then with nothing to rewrite), each measured by /usr/bin/time: wall clock, CPU (user + sys)
# and peak RSS. On a shared machine, CPU time is the steadier figure.
#
# Compile cost (--compile): a scratch workspace (in a temp dir, its own target dir) with
#   floor/  the hand-written serde rows for the same spec (make-spec --floor): the least a
#           typed model costs;
#   spec/   the generated module, by build.rs (sheplang-build, default options) and
#           `sheplang::include_spec!`: the spec in its own small crate;
#   lean/   the same with `emit_docs(false)` and `emit_protocol_enums(false)`;
#   host/   a crate that depends on `spec` and uses one row.
# After a warm build, each crate's own `src/lib.rs` is touched and the crate rebuilt (dev
# profile): the rebuild time of the generated code vs the floor, printed as ratios, and the
# host's rebuild, which does not recompile the spec crate.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
models=${MODELS:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build -q --release --locked -p sheplang-cli -p sheplang-bench-gen
target/release/make-spec --models "$models" > "$work/big.shep"
printf 'spec: %s models x 20 fields, %s bytes\n' "$models" "$(wc -c < "$work/big.shep")"

echo "== sheplang gen (release, whole process, 5 runs)"
for run in 1 2 3 4 5; do
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" \
    target/release/sheplang gen "$work/big.shep" --out "$work/out" 2>/dev/null
  read -r wall user sys rss < "$work/time"
  awk -v r="$run" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" 'BEGIN {
    printf "run %d: %4.0f ms wall, %4.0f ms CPU, %5.1f MiB peak\n", r, w * 1000, (u + s) * 1000, m / 1024 }'
done
du -sh "$work/out" | awk '{ print "output: " $1 }'

[ "${1:-}" = "--compile" ] || exit 0

echo "== compile cost (dev profile; each crate's lib.rs touched, then rebuilt)"
ws="$work/ws"
mkdir -p "$ws/floor/src" "$ws/spec/src" "$ws/lean/src" "$ws/host/src"
cp Cargo.lock "$ws/Cargo.lock"
cat > "$ws/Cargo.toml" <<TOML
[workspace]
resolver = "3"
members = ["floor", "spec", "lean", "host"]
TOML
cat > "$ws/floor/Cargo.toml" <<TOML
[package]
name = "floor"
version = "0.0.0"
edition = "2024"
[dependencies]
serde = { version = "1", features = ["derive"] }
TOML
target/release/make-spec --models "$models" --floor > "$ws/floor/src/lib.rs"
for crate in spec lean; do
  cat > "$ws/$crate/Cargo.toml" <<TOML
[package]
name = "$crate"
version = "0.0.0"
edition = "2024"
[dependencies]
sheplang = { path = "$root/sheplang" }
[build-dependencies]
sheplang-build = { path = "$root/sheplang-build" }
TOML
  printf '//! The spec in its own crate.\nsheplang::include_spec!("big");\n' > "$ws/$crate/src/lib.rs"
done
cp "$work/big.shep" "$ws/big.shep"
cat > "$ws/spec/build.rs" <<'RS'
fn main() {
    sheplang_build::configure()
        .emit_typescript(false)
        .compile_or_exit(&["../big.shep"]);
}
RS
cat > "$ws/lean/build.rs" <<'RS'
fn main() {
    sheplang_build::configure()
        .emit_typescript(false)
        .emit_docs(false)
        .emit_protocol_enums(false)
        .compile_or_exit(&["../big.shep"]);
}
RS
cat > "$ws/host/Cargo.toml" <<TOML
[package]
name = "host"
version = "0.0.0"
edition = "2024"
[dependencies]
spec = { path = "../spec" }
TOML
cat > "$ws/host/src/lib.rs" <<'RS'
//! A host crate: its code changes, the spec crate does not.
pub fn title(row: &spec::Item0) -> &str {
    &row.title
}
RS

export CARGO_TARGET_DIR="$ws/target"
(cd "$ws" && cargo build -q --offline --workspace)

rebuild() { # crate -> seconds of `cargo build -p crate` after touching its lib.rs
  touch "$ws/$1/src/lib.rs"
  local start end
  start=$(date +%s.%N)
  (cd "$ws" && cargo build -q --offline -p "$1")
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}
for crate in floor spec lean host; do
  best=""
  for _ in 1 2; do
    t=$(rebuild "$crate")
    best=$(awk -v a="${best:-$t}" -v b="$t" 'BEGIN { print (b < a ? b : a) }')
  done
  eval "t_$crate=$best"
  printf '%-6s rebuild: %6.2f s (best of 2)\n' "$crate" "$best"
done
wc -c "$ws/floor/src/lib.rs" "$ws/target/debug/build/"spec-*/out/sheplang/big.rs \
  "$ws/target/debug/build/"lean-*/out/sheplang/big.rs 2>/dev/null | head -3 |
  awk '{ printf "  %6.1f MB  %s\n", $1 / 1e6, $2 }'
awk -v f="$t_floor" -v s="$t_spec" -v l="$t_lean" -v h="$t_host" 'BEGIN {
  printf "generated / floor: %.2fx (default options), %.2fx (no docs, no protocol enums)\n", s / f, l / f
  printf "host edit with the spec in its own crate: %.2f s\n", h }'
