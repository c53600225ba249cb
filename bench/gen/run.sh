#!/usr/bin/env bash
# Generation and compile-cost benchmark on the 1,000-model spec (bench/gen/src/lib.rs makes it).
#
#   bash bench/gen/run.sh                    # `sheplang gen` whole-process time and peak memory
#   bash bench/gen/run.sh --compile          # and the compile cost of the generated Rust (minutes)
#   bash bench/gen/run.sh --rebuild          # the separate-crate pattern: a host edit's rebuild
#   bash bench/gen/run.sh --rebuild --quick  # the same on a 20-model spec, as a test (CI)
#
# Generation: the release `sheplang gen` on the spec, 5 runs (the first into an empty folder,
# then with nothing to rewrite), each measured by /usr/bin/time: wall clock, CPU (user + sys)
# and peak RSS. On a shared machine, CPU time is the steadier figure; RT=1 runs `sheplang gen`
# at real-time priority (`chrt -f 50`, as root) so that other processes do not stretch its
# wall clock.
#
# Compile cost (--compile): a scratch workspace (in a temp dir, its own target dir) with
#   floor/  the hand-written serde rows for the same spec (make-spec --floor): the least a
#           typed model costs;
#   spec/   the generated module, by build.rs (sheplang-build, default options: the docs and
#           the lifecycle enums, no typed filters, no protocol enums) and
#           `sheplang::include_spec!`: the spec in its own small crate;
#   full/   the same with every item: `emit_filters(true)` and `emit_protocol_enums(true)`;
#   host/   a crate that depends on `spec` and uses one row.
# After a warm build, each crate's own `src/lib.rs` is touched and the crate rebuilt (dev
# profile, best of 2): the rebuild's CPU time (user + system, of cargo and rustc) of the
# generated code vs the floor, printed as ratios (CPU time, not wall clock: on a shared
# machine the wall clock is mostly waiting for a core; both are printed), and the host's
# rebuild, which does not recompile the spec crate.
#
# Rebuild (--rebuild): only spec/ and host/ (the pattern README.md describes: the spec in its
# own small crate, the host depending on it). After a warm build it touches the host's
# `src/lib.rs` and rebuilds (best of 3), then checks in `cargo build -v`'s report that the
# spec crate was fresh (not recompiled) and the host recompiled, and fails if not; then it
# edits the spec (a comment) and times the spec crate's rebuild. With --quick the spec has 20
# models and the crates build into this repository's target folder, so the dependencies are
# not compiled again: a check of the pattern that takes seconds, which scripts/test.sh runs.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."
root=$(pwd)
models=${MODELS:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mode=${1:-}
quick=${2:-}
case $mode in
  "" | --compile | --rebuild) ;;
  *) printf 'error: unknown argument `%s`\nhelp: bash bench/gen/run.sh [--compile | --rebuild [--quick]]\n' "$mode" >&2; exit 2 ;;
esac
if [ -n "$quick" ] && [ "$mode $quick" != "--rebuild --quick" ]; then
  printf 'error: unknown argument `%s`\nhelp: `--quick` goes after `--rebuild`\n' "$quick" >&2
  exit 2
fi
[ "$quick" = --quick ] && models=${MODELS:-20}
if [ "$quick" = --quick ]; then
  profile=debug # what the tests build anyway
  cargo build -q --locked -p sheplang-bench-gen
else
  profile=release
  cargo build -q --release --locked -p sheplang-cli -p sheplang-bench-gen
fi
make_spec="${CARGO_TARGET_DIR:-target}/$profile/make-spec"
"$make_spec" --models "$models" > "$work/big.shep"
printf 'spec: %s models x 20 fields, %s bytes\n' "$models" "$(wc -c < "$work/big.shep")"

if [ "$mode" != --rebuild ]; then
rt=""
if [ "${RT:-}" = 1 ]; then
  rt="chrt -f 50"
  echo "(at real-time priority: chrt -f 50)"
fi
echo "== sheplang gen (release, whole process, 5 runs)"
for run in 1 2 3 4 5; do
  $rt /usr/bin/time -f '%e %U %S %M' -o "$work/time" \
    "${CARGO_TARGET_DIR:-target}/release/sheplang" gen "$work/big.shep" --out "$work/out" 2>/dev/null
  read -r wall user sys rss < "$work/time"
  awk -v r="$run" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" 'BEGIN {
    printf "run %d: %4.0f ms wall, %4.0f ms CPU, %5.1f MiB peak\n", r, w * 1000, (u + s) * 1000, m / 1024 }'
done
du -sh "$work/out" | awk '{ print "output: " $1 }'
fi
[ "$mode" = --compile ] || [ "$mode" = --rebuild ] || exit 0

# The scratch workspace: the spec crate and the host always; the floor and the lean spec crate
# for --compile.
ws="$work/ws"
members="spec host"
[ "$mode" = --compile ] && members="floor spec full host"
for crate in $members; do mkdir -p "$ws/$crate/src"; done
cp Cargo.lock "$ws/Cargo.lock"
cp rust-toolchain.toml "$ws/rust-toolchain.toml" # the same compiler as the repository
cat > "$ws/Cargo.toml" <<TOML
[workspace]
resolver = "3"
members = [$(printf '"%s", ' $members)]
TOML
cp "$work/big.shep" "$ws/big.shep"
for crate in spec full; do
  [ -d "$ws/$crate" ] || continue
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
cat > "$ws/spec/build.rs" <<'RS'
fn main() {
    sheplang_build::configure()
        .emit_typescript(false)
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
if [ "$mode" = --compile ]; then
  cat > "$ws/floor/Cargo.toml" <<TOML
[package]
name = "floor"
version = "0.0.0"
edition = "2024"
[dependencies]
serde = { version = "1", features = ["derive"] }
TOML
  "$make_spec" --models "$models" --floor > "$ws/floor/src/lib.rs"
  cat > "$ws/full/build.rs" <<'RS'
fn main() {
    sheplang_build::configure()
        .emit_typescript(false)
        .emit_filters(true)
        .emit_protocol_enums(true)
        .compile_or_exit(&["../big.shep"]);
}
RS
fi

# --quick builds into this repository's target folder (the dependencies are built there).
if [ "$quick" = --quick ]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
  [[ $CARGO_TARGET_DIR == /* ]] || CARGO_TARGET_DIR=$root/$CARGO_TARGET_DIR
else
  export CARGO_TARGET_DIR="$ws/target"
fi
echo "== warm build of the scratch workspace ($members)"
(cd "$ws" && cargo build -q --offline --workspace)

seconds() { # command... -> "wall cpu" in seconds (cpu: user + system of it and its children)
  /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" > "$work/log" 2>&1 || { cat "$work/log" >&2; return 1; }
  awk '{ printf "%.2f %.2f", $1, $2 + $3 }' "$work/time"
}
best() { # crate runs -> "wall cpu" of the rebuild with the least CPU after touching its lib.rs
  local best="" t
  for _ in $(seq "$2"); do
    touch "$ws/$1/src/lib.rs"
    t=$(seconds env -C "$ws" cargo build --offline -v -p "$1")
    best=$(awk -v a="${best:-$t}" -v b="$t" 'BEGIN { split(a, x, " "); split(b, y, " "); print (y[2] < x[2] ? b : a) }')
  done
  echo "$best"
}

if [ "$mode" = --compile ]; then
  echo "== compile cost (dev profile; each crate's lib.rs touched, then rebuilt, best of 2)"
  uptime
  for crate in floor spec full; do
    read -r wall cpu <<< "$(best "$crate" 2)"
    eval "cpu_$crate=$cpu"
    printf '%-6s rebuild: %7.2f s CPU, %7.2f s wall\n' "$crate" "$cpu" "$wall"
  done
  uptime
  wc -c "$ws/floor/src/lib.rs" "$CARGO_TARGET_DIR/debug/build/"spec-*/out/sheplang/big.rs \
    "$CARGO_TARGET_DIR/debug/build/"full-*/out/sheplang/big.rs 2>/dev/null | head -3 |
    awk '{ printf "  %6.1f MB  %s\n", $1 / 1e6, $2 }'
fi

echo "== the spec in its own crate: a host edit, then a spec edit (dev profile)"
read -r t_host _ <<< "$(best host 3)"
# What cargo did on the last host rebuild: the spec crate must have been left alone.
if ! grep -Eq '^ *Fresh spec v' "$work/log" || ! grep -Eq '^ *Compiling host v' "$work/log"; then
  cat "$work/log" >&2
  printf 'error: after an edit of the host crate, cargo did not reuse the spec crate as it was\nhelp: the report of `cargo build -v -p host` is above; the spec crate must be `Fresh`\n' >&2
  exit 1
fi
printf 'host edit (lib.rs touched), best of 3: %.2f s; the spec crate was not recompiled\n' "$t_host"
# A real edit of the spec: one more field on the first model.
sed -i '0,/title: text required/s//title: text required\n      extra: text optional/' "$ws/big.shep"
read -r t_edit _ <<< "$(seconds env -C "$ws" cargo build --offline -v -p host)"
grep -Eq '^ *Compiling spec v' "$work/log" || {
  cat "$work/log" >&2
  printf 'error: after an edit of the spec, cargo did not rebuild the spec crate\nhelp: its build script announces the spec with `cargo:rerun-if-changed`\n' >&2
  exit 1
}
printf 'spec edit (one field added), spec crate and host rebuilt: %.2f s\n' "$t_edit"

if [ "$mode" = --compile ]; then
  awk -v f="$cpu_floor" -v s="$cpu_spec" -v l="$cpu_full" -v h="$t_host" 'BEGIN {
    printf "generated / floor (rebuild CPU time): %.2fx (default options, target: 1.2x), %.2fx (every item: filters and protocol enums)\n", s / f, l / f
    printf "host edit with the spec in its own crate: %.2f s (target: 5 s)\n", h }'
else
  awk -v h="$t_host" 'BEGIN { printf "host edit with the spec in its own crate: %.2f s (target: 5 s)\n", h }'
fi
