#!/usr/bin/env bash
# The editor support, in real editors' machinery:
#   VS Code: editors/vscode/package.sh (npm ci from the lockfile, the grammar test with
#            vscode-textmate, vsce package into sheplang.vsix);
#   Neovim:  Debian's neovim (installed with apt-get when missing), headless, configured with
#            the two lines of docs/editors.md; editors/nvim/test.lua checks the server's
#            diagnostic and go-to-definition.
# Usage: bash scripts/test-editors.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> sheplang (the server the editors start)"
cargo build -p sheplang-cli --locked
export PATH="$PWD/target/debug:$PATH"

echo "==> VS Code extension: grammar test and .vsix"
bash editors/vscode/package.sh

echo "==> Neovim: diagnostics and go-to-definition from sheplang lsp"
if ! command -v nvim >/dev/null; then
  apt-get install -y --no-install-recommends neovim >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends neovim >/dev/null; }
fi
nvim --version | head -1
config="$(mktemp -d)"
trap 'rm -rf "$config"' EXIT
# The init.lua is the ```lua block of docs/editors.md, as a user would paste it.
awk '/^```lua$/ { inside = 1; next } /^```$/ { inside = 0 } inside' docs/editors.md >"$config/init.lua"
test -s "$config/init.lua" || { echo "no lua block in docs/editors.md" >&2; exit 1; }
cp editors/nvim/spec-with-error.txt "$config/error.shep"
SHEP_SPEC="$config/error.shep" nvim --headless -n -i NONE -u "$config/init.lua" \
  -c "luafile editors/nvim/test.lua" 2>&1
printf "\nneovim: ok\n"
