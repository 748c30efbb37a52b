# Private service instances for tests (sourced, not executed): PostgreSQL, Redis, nginx.
#
#   source scripts/services.sh
#   start_postgres /tmp/chatstream-pg 55432   # exports CHATSTREAM_TEST_POSTGRES_URL
#   ... tests ...
#   stop_postgres                             # or: stop_postgres /tmp/chatstream-pg
#
# start_postgres creates a throwaway PostgreSQL cluster in <dir>/pg (trust authentication,
# 127.0.0.1 only, fsync off) and starts it on <port>. Calling it again for a cluster that is
# already running only exports the URL. As root the server runs as the postgres user, so
# <dir> must be traversable by that user (a folder under /tmp, not under /root).
# stop_postgres stops it with pg_ctl (fast shutdown) and, if that fails, by the PID in its
# postmaster.pid. Both return non-zero on failure and never exit the calling shell.

_pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
  echo "services.sh: PostgreSQL server binaries (initdb, pg_ctl) not found" >&2
  return 1
}

# Runs a command as the postgres user when we are root, else as ourselves.
_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_pg_running() {  # <data dir>
  local bin
  bin=$(_pg_bindir) || return 1
  _pg_as_owner "$bin/pg_ctl" -D "$1" status >/dev/null 2>&1
}

start_postgres() {  # <dir> <port>
  local dir="${1:?usage: start_postgres <dir> <port>}" port="${2:?usage: start_postgres <dir> <port>}"
  local bin pg data
  bin=$(_pg_bindir) || return 1
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd)
  pg="$dir/pg"
  data="$pg/data"
  if [ -d "$data" ] && _pg_running "$data"; then
    echo "services.sh: PostgreSQL already running in $data"
  else
    chmod 755 "$dir" || return 1
    if [ "$(id -u)" -eq 0 ]; then
      install -d -o postgres -g postgres -m 700 "$pg" || return 1
    else
      install -d -m 700 "$pg" || return 1
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
      _pg_as_owner "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=trust \
        -E UTF8 --locale=C.UTF-8 >"$pg/initdb.log" 2>&1 || {
        echo "services.sh: initdb failed (see $pg/initdb.log)" >&2
        tail -5 "$pg/initdb.log" >&2
        return 1
      }
    fi
    _pg_as_owner "$bin/pg_ctl" -D "$data" -l "$pg/log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >"$pg/pg_ctl.log" 2>&1 || {
      echo "services.sh: PostgreSQL did not start on port $port (see $pg/log)" >&2
      tail -5 "$pg/log" >&2 2>/dev/null
      return 1
    }
  fi
  # Confirm that the server on the port is ours and answers.
  if [ -x "$bin/pg_isready" ] && ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 10; then
    echo "services.sh: PostgreSQL on 127.0.0.1:$port does not answer" >&2
    return 1
  fi
  CHATSTREAM_POSTGRES_DIR="$dir"
  export CHATSTREAM_POSTGRES_DIR
  export CHATSTREAM_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "services.sh: PostgreSQL ready at $CHATSTREAM_TEST_POSTGRES_URL"
}

stop_postgres() {  # [<dir>] (default: the one start_postgres used last)
  local dir="${1:-${CHATSTREAM_POSTGRES_DIR:-}}" bin data pid i
  [ -n "$dir" ] || return 0
  data="$dir/pg/data"
  [ -d "$data" ] || return 0
  bin=$(_pg_bindir) || return 1
  if [ -f "$data/postmaster.pid" ]; then
    if ! _pg_as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1; then
      pid=$(head -1 "$data/postmaster.pid" 2>/dev/null || true)
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do
          kill -0 "$pid" 2>/dev/null || break
          sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  if [ "${CHATSTREAM_POSTGRES_DIR:-}" = "$dir" ]; then
    unset CHATSTREAM_POSTGRES_DIR CHATSTREAM_TEST_POSTGRES_URL
  fi
  return 0
}

# Redis and nginx for the cluster (several instances) tests and benchmarks.
#
#   start_redis <dir> <port>          # exports CHATSTREAM_TEST_REDIS_URL, CHATSTREAM_REDIS_PID
#   stop_redis
#   start_nginx <dir> <port> <upstream port>...   # exports CHATSTREAM_NGINX_PID
#   stop_nginx
#
# Both run in the foreground as children of the calling shell (never daemonized, never as a
# system service) and are stopped by their PID. The port must be free: a server already there
# answers pings, so start_* also checks that its own child is still alive.

_port_busy() {  # <port>
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_redis() {  # <dir> <port>
  local dir="${1:?usage: start_redis <dir> <port>}" port="${2:?usage: start_redis <dir> <port>}" i
  command -v redis-server >/dev/null 2>&1 || { echo "services.sh: redis-server not installed" >&2; return 1; }
  if _port_busy "$port"; then echo "services.sh: port $port is taken" >&2; return 1; fi
  mkdir -p "$dir" || return 1
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" \
    >"$dir/redis.log" 2>&1 &
  CHATSTREAM_REDIS_PID=$!
  for i in $(seq 1 100); do
    if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]; then break; fi
    kill -0 "$CHATSTREAM_REDIS_PID" 2>/dev/null || break
    sleep 0.05
  done
  if ! kill -0 "$CHATSTREAM_REDIS_PID" 2>/dev/null ||
    [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" != "PONG" ]; then
    echo "services.sh: Redis did not start on port $port (see $dir/redis.log)" >&2
    tail -5 "$dir/redis.log" >&2
    stop_redis
    return 1
  fi
  export CHATSTREAM_REDIS_PID
  export CHATSTREAM_TEST_REDIS_URL="redis://127.0.0.1:$port"
  echo "services.sh: Redis ready at $CHATSTREAM_TEST_REDIS_URL"
}

stop_redis() {
  local pid="${CHATSTREAM_REDIS_PID:-}" i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset CHATSTREAM_REDIS_PID CHATSTREAM_TEST_REDIS_URL
  return 0
}

# Writes an nginx configuration for streaming to several instances (the same settings as
# deploy/nginx.conf) with every path inside <dir>.
_write_nginx_conf() {  # <dir> <port> <upstream port>...
  local dir="$1" port="$2" p t
  shift 2
  {
    [ "$(id -u)" -eq 0 ] && echo "user root;"
    echo "worker_processes 1;"
    echo "pid $dir/nginx.pid;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  access_log off;"
    for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $dir/tmp/$t;"; done
    echo "  upstream chatstream {"
    for p in "$@"; do echo "    server 127.0.0.1:$p max_fails=0;"; done
    echo "    keepalive 64;"
    echo "  }"
    echo "  server {"
    echo "    listen 127.0.0.1:$port;"
    echo "    location / {"
    echo "      proxy_pass http://chatstream;"
    echo "      proxy_http_version 1.1;"
    echo "      proxy_set_header Connection \"\";"
    echo "      proxy_set_header Host \$host;"
    echo "      proxy_buffering off;"
    echo "      proxy_read_timeout 1h;"
    echo "    }"
    echo "  }"
    echo "}"
  } >"$dir/nginx.conf"
}

start_nginx() {  # <dir> <port> <upstream port>...
  local dir="${1:?usage: start_nginx <dir> <port> <upstream port>...}" port="${2:?}" i
  shift 2
  [ $# -gt 0 ] || { echo "services.sh: start_nginx needs upstream ports" >&2; return 1; }
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { echo "services.sh: nginx not installed" >&2; return 1; }
  if _port_busy "$port"; then echo "services.sh: port $port is taken" >&2; return 1; fi
  mkdir -p "$dir/tmp" || return 1
  dir=$(cd "$dir" && pwd)
  _write_nginx_conf "$dir" "$port" "$@"
  /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' \
    >"$dir/nginx.out" 2>&1 &
  CHATSTREAM_NGINX_PID=$!
  for i in $(seq 1 100); do
    _port_busy "$port" && break
    kill -0 "$CHATSTREAM_NGINX_PID" 2>/dev/null || break
    sleep 0.05
  done
  if ! kill -0 "$CHATSTREAM_NGINX_PID" 2>/dev/null || ! _port_busy "$port"; then
    echo "services.sh: nginx did not start on port $port (see $dir/error.log)" >&2
    tail -5 "$dir/error.log" "$dir/nginx.out" >&2 2>/dev/null
    stop_nginx
    return 1
  fi
  export CHATSTREAM_NGINX_PID
  echo "services.sh: nginx on 127.0.0.1:$port in front of $*"
}

stop_nginx() {
  local pid="${CHATSTREAM_NGINX_PID:-}" i
  [ -n "$pid" ] || return 0
  kill -QUIT "$pid" 2>/dev/null || true  # graceful: workers finish their requests
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset CHATSTREAM_NGINX_PID
  return 0
}
