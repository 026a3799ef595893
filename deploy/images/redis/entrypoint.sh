#!/bin/sh
# As the official image: flags alone run redis-server; without a config file it listens on every
# interface (protected mode off) and runs as user redis (setpriv: redis-server is PID 1, signals reach it).
set -e
case "${1:-}" in -*) set -- redis-server "$@" ;; esac
if [ "${1:-}" = redis-server ]; then
  shift
  exec setpriv --reuid=redis --regid=redis --init-groups redis-server --bind '* -::*' --protected-mode no --dir /data "$@"
fi
exec "$@"
