#!/usr/bin/env bash
# Replays the README's "Your own host crate, step by step" outside this workspace, with only
# the lines the README shows: `cargo new` in a temporary folder, then every code block that the
# README marks with `<!-- guide: FILE -->` written (or, for a second block, appended) to FILE,
# the `../sheplang/` of its path dependencies pointing at this clone. The crate must pass
# `cargo build` and `cargo clippy -- -D warnings` (its src/main.rs says #![deny(warnings)], and
# its spec module is private), and `sheplang export` must write the page's TypeScript.
# It builds into this repository's target folder, so the dependencies are not compiled again.
#
# Usage: bash scripts/test-guide.sh        (KEEP=1 keeps the scratch crate and prints where)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
[[ $CARGO_TARGET_DIR == /* ]] || CARGO_TARGET_DIR=$root/$CARGO_TARGET_DIR
export CARGO_TERM_COLOR=never

step() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$1" >&2
  shift
  for hint in "$@"; do printf '  = help: %s\n' "$hint" >&2; done
  exit 1
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/sheplang-guide.XXXXXX")
if [[ -n ${KEEP:-} ]]; then
  step "the scratch crate stays in $scratch"
else
  trap 'rm -rf "$scratch"' EXIT
fi
case $scratch/ in "$root"/*) die "the scratch folder $scratch is inside the workspace" "set TMPDIR to a folder outside $root" ;; esac

step "cargo new tasks-app (in $scratch, outside the workspace)"
(cd "$scratch" && cargo new --quiet --bin tasks-app)
app=$scratch/tasks-app
# Pin the versions this workspace is tested with (cargo drops the entries it does not need).
cp Cargo.lock "$app/Cargo.lock"
# The README's Cargo.toml block takes the place of `cargo new`'s empty [dependencies].
sed -i '/^\[dependencies\]$/,$d' "$app/Cargo.toml"

step "writing the files of the README's guide"
# Every fenced block right after a `<!-- guide: FILE -->` line, in order.
written=$(awk -v app="$app" -v clone="$root/" '
  /^<!-- guide: .* -->$/ { file = $3; next }
  file != "" && /^```/ && !inside { inside = 1; next }
  inside && /^```/ { inside = 0; print file; file = ""; next }
  inside {
    line = $0
    gsub(/"\.\.\/sheplang\//, "\"" clone, line)
    path = app "/" file
    dir = path; sub(/\/[^\/]*$/, "", dir)
    system("mkdir -p \"" dir "\"")
    if (!(path in seen)) { seen[path] = 1; if (file != "Cargo.toml") system("rm -f \"" path "\"") }
    print line >> path
  }
' README.md | sort -u)
[[ -n $written ]] || die "README.md marks no code block with <!-- guide: FILE -->"
for file in Cargo.toml build.rs specs/tasks.shep src/main.rs; do
  grep -qx "$file" <<<"$written" || die "README.md's guide does not show $file"
done
grep -q '^#!\[deny(warnings)\]' "$app/src/main.rs" || die "the guide's src/main.rs does not deny warnings"
grep -q '^mod tasks {' "$app/src/main.rs" || die "the guide's spec module is not private (mod tasks)"

step "cargo build, then cargo clippy -- -D warnings (the scratch crate)"
(cd "$app" && cargo build --quiet --offline) || die "the guide's crate does not build (see above)"
(cd "$app" && cargo clippy --quiet --offline -- -D warnings) ||
  die "the guide's crate does not pass clippy -D warnings (see above)"

step "sheplang export (step 6), with the CLI of this clone"
cargo build --quiet --locked -p sheplang-cli
(cd "$app" && PATH="$CARGO_TARGET_DIR/debug:$PATH" sheplang export --manifest-path Cargo.toml) ||
  die "sheplang export failed in the guide's crate"
for file in types.ts contexts/RealtimeContext.tsx hooks/useTaskRealtime.ts; do
  found=$(find "$app/web/src/generated/tasks" -path "*/$file" | head -n 1)
  [[ -n $found ]] || die "sheplang export wrote no $file under web/src/generated/tasks/"
done
[[ ! -e $app/web/src/generated/tasks/api ]] ||
  die "sheplang export wrote the server half into the page's folder (typescript-server = false)"

step "a spec error in the guide's build.rs (the ? form): the diagnostic, line by line"
sed -i 's/done: yes\/no/done: boolean/' "$app/specs/tasks.shep"
if (cd "$app" && cargo build --quiet --offline 2>"$scratch/stderr"); then
  die "a spec error did not stop cargo build"
fi
grep -q -- '--> specs/tasks.shep:' "$scratch/stderr" ||
  { cat "$scratch/stderr" >&2; die "the build's error has no --> specs/tasks.shep:L:C line"; }
grep -q 'Error: error\[E0207\]: unknown type `boolean`' "$scratch/stderr" ||
  { cat "$scratch/stderr" >&2; die "the build's error is not the rendered diagnostic"; }

step "the guide works as written"
