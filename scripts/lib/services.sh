# shellcheck shell=bash
# Real Redis and PostgreSQL servers for a test run. Source this file, then:
#
#   services_start redis postgres     # exports REDIS_URL and DATABASE_URL
#
# Each variable already set to a reachable server is kept. Otherwise a server is started on a
# free 127.0.0.1 port with its files in a temporary folder (installing Debian's package when the
# binary is missing), and stopped, folder removed, when the calling shell exits. A caller with an
# EXIT trap of its own calls `services_stop` from it.

_services_dir=""
_services_redis_pid=""
_services_pg_data=""
_services_pg_bin=""

_services_log() { printf 'services: %s\n' "$*" >&2; }

# services_reachable URL DEFAULT_PORT: whether the URL's host accepts a TCP connection.
services_reachable() {
  local rest=${1#*://} port=$2 hostport host
  rest=${rest%%/*}; rest=${rest%%\?*}; hostport=${rest##*@}
  host=${hostport%:*}
  [[ $hostport == *:* ]] && port=${hostport##*:}
  [[ -n $host ]] || return 1
  timeout 2 bash -c ": </dev/tcp/$host/$port" 2>/dev/null
}

_services_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

_services_apt_updated=""
_services_install() {
  local package=$1
  _services_log "installing Debian's $package"
  local sudo=""; [[ $(id -u) == 0 ]] || sudo="sudo"
  if [[ -z $_services_apt_updated ]]; then
    $sudo apt-get update -qq >/dev/null
    _services_apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$package" >/dev/null
}

_services_tmp() {
  if [[ -z $_services_dir ]]; then
    _services_dir=$(mktemp -d "${TMPDIR:-/tmp}/sheplang-services.XXXXXX")
    chmod 755 "$_services_dir" # PostgreSQL runs as `postgres` and must reach its folder inside
  fi
  trap services_stop EXIT
}

# _services_wait WHAT CHECK...: runs CHECK until it succeeds (30 s at most).
_services_wait() {
  local what=$1; shift
  local deadline=$((SECONDS + 30))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then
      _services_log "$what did not accept connections within 30 s"
      return 1
    fi
    sleep 0.05
  done
}

_services_redis() {
  if [[ -n ${REDIS_URL:-} ]] && services_reachable "$REDIS_URL" 6379; then
    _services_log "using \$REDIS_URL ($REDIS_URL)"
    return
  fi
  command -v redis-server >/dev/null || _services_install redis-server
  _services_tmp
  local port; port=$(_services_free_port)
  mkdir -p "$_services_dir/redis"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --protected-mode no \
    --daemonize no --dir "$_services_dir/redis" >"$_services_dir/redis/log" 2>&1 &
  _services_redis_pid=$!
  _services_wait "redis-server on port $port" redis-cli -p "$port" ping || { tail "$_services_dir/redis/log" >&2; return 1; }
  export REDIS_URL="redis://127.0.0.1:$port"
  _services_log "started redis-server: $REDIS_URL"
}

_services_pg_bindir() {
  local initdb
  initdb=$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)
  [[ -n $initdb ]] && dirname "$(readlink -f "$initdb")"
}

_services_as_postgres() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_services_postgres() {
  if [[ -n ${DATABASE_URL:-} ]] && services_reachable "$DATABASE_URL" 5432; then
    _services_log "using \$DATABASE_URL ($DATABASE_URL)"
    return
  fi
  _services_pg_bin=$(_services_pg_bindir) || true
  if [[ -z $_services_pg_bin ]]; then
    _services_install postgresql
    _services_pg_bin=$(_services_pg_bindir)
  fi
  _services_tmp
  local port; port=$(_services_free_port)
  mkdir -p "$_services_dir/pg"
  [[ $(id -u) != 0 ]] || chown postgres: "$_services_dir/pg"
  _services_pg_data="$_services_dir/pg/data"
  _services_as_postgres "$_services_pg_bin/initdb" -D "$_services_pg_data" -A trust -U postgres -E UTF8 \
    --locale=C --no-sync >"$_services_dir/pg/initdb.log" 2>&1 || { cat "$_services_dir/pg/initdb.log" >&2; return 1; }
  _services_as_postgres "$_services_pg_bin/pg_ctl" start -D "$_services_pg_data" -l "$_services_dir/pg/log" -w \
    -o "-p $port -h 127.0.0.1 -k $_services_dir/pg -F -c full_page_writes=off -c max_connections=300 -c wal_level=logical -c max_replication_slots=20 -c max_wal_senders=20" >/dev/null \
    || { tail "$_services_dir/pg/log" >&2; return 1; }
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  _services_log "started postgres: $DATABASE_URL"
}

services_start() {
  local service
  for service in "$@"; do
    case $service in
      redis) _services_redis ;;
      postgres) _services_postgres ;;
      *) _services_log "unknown service \`$service\` (known: redis, postgres)"; return 2 ;;
    esac
  done
}

services_stop() {
  if [[ -n $_services_redis_pid ]]; then
    kill "$_services_redis_pid" 2>/dev/null && wait "$_services_redis_pid" 2>/dev/null
    _services_redis_pid=""
  fi
  if [[ -n $_services_pg_data ]]; then
    _services_as_postgres "$_services_pg_bin/pg_ctl" stop -D "$_services_pg_data" -m immediate -w >/dev/null 2>&1
    _services_pg_data=""
  fi
  if [[ -n $_services_dir ]]; then
    rm -rf "$_services_dir"
    _services_dir=""
  fi
  return 0
}
