#!/usr/bin/env bash
# Prints the path of a Python interpreter that has the pinned wire clients of
# clients/python/requirements.txt (python-socketio and its dependencies), creating the virtual
# environment on first use. The environment lives in a cache folder keyed by the requirements'
# hash, so a changed pin gets a fresh one and repeated runs cost nothing.
#   SHEPLANG_CACHE   the cache folder (default: ${XDG_CACHE_HOME:-$HOME/.cache}/sheplang)
# Needs python3 with venv (Debian: python3-venv, installed when missing and run as root).
# Usage: py=$(bash scripts/python-env.sh) && "$py" clients/python/check_wire.py URL
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
requirements="$root/clients/python/requirements.txt"
cache="${SHEPLANG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sheplang}"
hash=$(sha256sum "$requirements" | cut -c1-16)
env="$cache/python-$hash"

mkdir -p "$cache"
exec 9>"$cache/python.lock"
flock 9   # one installer at a time: tests may ask for the environment in parallel
if [[ ! -x $env/bin/python || ! -e $env/.complete ]]; then
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    printf "python-env: installing Debian's python3-venv\n" >&2
    sudo=""; [[ $(id -u) == 0 ]] || sudo="sudo"
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  rm -rf "$env"
  python3 -m venv "$env" >&2
  # Every dependency is pinned in the file, so nothing unpinned is resolved.
  "$env/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    --requirement "$requirements" >&2 || { rm -rf "$env"; exit 1; }
  touch "$env/.complete"
fi
printf '%s\n' "$env/bin/python"
