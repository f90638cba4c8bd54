# Start/stop a throwaway PostgreSQL cluster with the machine's initdb/pg_ctl, as a non-root user,
# on a free port, data in a temp directory. Sourced by .ci/run and `make test-pg`.

_pg_bin() {
  local found
  found=$(command -v initdb 2>/dev/null || true)
  if [ -z "$found" ]; then
    found=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
  fi
  [ -n "$found" ] || { echo "initdb not found: install postgresql" >&2; return 1; }
  dirname "$found"
}

_as_pg_user() {
  if [ "$(id -u)" = "0" ]; then
    id jixiao_pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin jixiao_pg
    runuser -u jixiao_pg -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  PG_BIN=$(_pg_bin)
  PG_DIR=$(mktemp -d /tmp/jixiao-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  [ "$(id -u)" = "0" ] && { id jixiao_pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin jixiao_pg; chown jixiao_pg "$PG_DIR"; }
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  _as_pg_user "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  _as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
  export PG_BIN PG_DIR PG_PORT PG_URL
  echo "PostgreSQL on port $PG_PORT ($PG_DIR)"
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  _as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
