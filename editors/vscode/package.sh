#!/usr/bin/env bash
# Builds the VS Code extension: installs its packages from the lockfile, runs its grammar test,
# and packages it with vsce into editors/vscode/sheplang.vsix.
# Usage: bash editors/vscode/package.sh
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm test
npx --no-install vsce package --skip-license --out sheplang.vsix
ls -l sheplang.vsix
