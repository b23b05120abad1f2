#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the load harness: `bench/pg.sh start` prints a connection string, `bench/pg.sh stop` removes it.
# initdb/postgres refuse root, so they run as the postgres user on a temp data dir it owns, trust auth, loopback only.
# Environment: METRONOME_BENCH_PG_DIR (default /tmp/metronome-bench-pg), PG_BIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail
dir=${METRONOME_BENCH_PG_DIR:-/tmp/metronome-bench-pg}
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }

case "${1:-}" in
  start)
    if [ -f "$dir/port" ] && as_pg "$bin/pg_ctl -D '$dir/data' status" >/dev/null 2>&1; then
      echo "Host=127.0.0.1;Port=$(cat "$dir/port");Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=64"; exit 0
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "$bin/initdb -D '$dir/data' -U postgres --auth=trust -E UTF8 >'$dir/initdb.log' 2>&1"
    # Durable defaults (fsync=on, synchronous_commit=on); more connections for the peers' pools.
    as_pg "$bin/pg_ctl -D '$dir/data' -l '$dir/server.log' -w -o \"-h 127.0.0.1 -p $port -k '$dir' -c max_connections=300 -c shared_buffers=256MB\" start >/dev/null"
    echo "$port" > "$dir/port"
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=64"
    ;;
  stop)
    [ -d "$dir/data" ] && as_pg "$bin/pg_ctl -D '$dir/data' stop -m fast >/dev/null" || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
