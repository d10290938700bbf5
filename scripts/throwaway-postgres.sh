#!/usr/bin/env bash
# Start a throwaway PostgreSQL for the tests: a fresh cluster in a temp dir
# on a free loopback port, trust auth, no data kept. Prints the URL to use as
# SSOGATE_TEST_DATABASE_URL on stdout; the cluster directory is in $PGTMP.
# Stop it with: scripts/throwaway-postgres.sh stop DIR
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "no PostgreSQL binaries under /usr/lib/postgresql (apt-get install -y postgresql)" >&2; exit 1; }

# initdb refuses to run as root; run the cluster as the postgres user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "${1:-}" = stop ]; then
  as_pg "$bindir/pg_ctl" -D "$2/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$2"
  exit 0
fi

dir=$(mktemp -d /tmp/ssogate-pg.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
  else
    # No python: a random high port; pg_ctl below fails loudly if it is taken.
    echo $((20000 + RANDOM % 40000))
  fi
}
port=$(free_port)
as_pg "$bindir/initdb" -D "$dir/data" -U ssogate --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U ssogate ssogate_test
echo "postgres://ssogate@127.0.0.1:$port/ssogate_test?sslmode=disable"
echo "$dir" >&2
