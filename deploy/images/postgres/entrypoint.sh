#!/bin/bash
# First start: initdb with POSTGRES_USER / POSTGRES_PASSWORD, then POSTGRES_DB; every start: postgres as
# user postgres, listening on every interface, with password authentication for remote clients (or
# POSTGRES_HOST_AUTH_METHOD=trust, as the test kit's testcontainers path asks). As the official image,
# the first start logs "ready to accept connections" twice (the initialising server, then the real one).
set -euo pipefail
if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}" "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
  echo "postgres: POSTGRES_PASSWORD is required (or POSTGRES_HOST_AUTH_METHOD=trust)" >&2; exit 1
fi
as_postgres() { runuser -u postgres -- "$@"; }

if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  password=()
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    pwfile=$(mktemp); printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"; chown postgres "$pwfile"; password=(--pwfile="$pwfile")
  fi
  as_postgres initdb -D "$PGDATA" -U "$POSTGRES_USER" "${password[@]}" --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" >/dev/null
  rm -f "${pwfile:-}"
  echo "host all all all $POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"
  as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
  if [ "$POSTGRES_DB" != postgres ]; then
    as_postgres psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -q -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "postgres: initialised $PGDATA"
fi
[ $# -gt 0 ] && shift
# setpriv execs (runuser would stay as PID 1 and not pass SIGINT, the fast-shutdown signal, on).
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*' "$@"
