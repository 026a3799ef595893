#!/usr/bin/env bash
# Makes sure PostgreSQL, NATS (with JetStream) and Redis answer on their local ports, starting
# (and, where missing and we are root, installing from Debian's packages) whichever does not.
# Skipped when the URLs point elsewhere: set DATABASE_URL / NATS_URL / REDIS_URL and start them yourself.
set -euo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # port name
  for _ in $(seq 1 60); do answers "$1" && return 0; sleep 0.5; done
  echo "ensure-services: $2 did not come up on :$1" >&2; return 1
}
apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "ensure-services: $* missing; install it (needs root)" >&2; return 1; fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  answers 5432 && return 0
  echo "ensure-services: starting PostgreSQL"
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  local version; version=$(ls /etc/postgresql | sort -V | tail -1)
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  # Local development and CI only: trust connections from this machine.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
  wait_for 5432 PostgreSQL
}

ensure_nats() {
  answers 4222 && return 0
  echo "ensure-services: starting NATS with JetStream"
  command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || apt_install nats-server
  local bin; bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  mkdir -p /var/lib/nats-server 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec "$bin" -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_for 4222 NATS
}

ensure_redis() {
  answers 6379 && return 0
  echo "ensure-services: starting Redis"
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for 6379 Redis
}

ensure_postgres
ensure_nats
ensure_redis
