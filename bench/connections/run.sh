#!/usr/bin/env bash
# Runs bench/connections/run.mjs with the open-file limit raised (to the hard limit, at most
# 65,536): 10,000 connections need as many descriptors in the server and in the clients.
#   bash bench/connections/run.sh [--counts 1000,10000] [--transports websocket,polling]
set -euo pipefail
cd "$(dirname "$0")/../.."
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then hard=65536; fi
ulimit -n "$hard"
exec node bench/connections/run.mjs "$@"
