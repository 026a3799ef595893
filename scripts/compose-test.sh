#!/usr/bin/env bash
# npm run test:compose: the docker-compose stack built and brought up for real, then exercised through
# nginx's published port (scripts/compose-test-probe.ts), crashed and restarted, taken down and up again;
# then one integration suite runs through the test kit's testcontainers path on the same engine.
#
# Without a Docker engine answering (CI), it installs Debian's docker.io, docker-compose and debootstrap,
# runs its own dockerd (own data root and socket) and builds every image locally, since no container
# registry is reachable: the engine runs in the host's network namespace, bridge-less, for the builds
# (they fetch from Debian's mirrors and the npm registry), then inside a private network namespace for
# the stack, so its published ports cannot collide with this machine's own services. With an engine
# already answering (a developer's laptop) it uses that engine and its compose, and only builds the
# project image. It fails loudly, and tears everything down whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then CACHE=/var/cache/pneumatic-compose; else CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pneumatic-compose"; fi
CACHE=${COMPOSE_TEST_CACHE:-$CACHE}
mkdir -p "$CACHE"
NETNS=pneumatic-compose
OWN_SOCKET=/run/pneumatic-docker.sock
DATA_ROOT=/var/lib/pneumatic-docker
EXEC_ROOT=/run/pneumatic-docker
# Its own project name: `down -v` at the end must never touch a developer's own `pneumatic` stack.
export COMPOSE_PROJECT_NAME=pneumatic-compose-test
export BIND_ADDRESS=127.0.0.1
# The stack runs in production mode, where auth needs a signing key: one per run, kept across down and up.
AUTH_SIGNING_KEY=$(node -e "const { generateKeyPairSync } = require('node:crypto');
process.stdout.write(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }))")
export AUTH_SIGNING_KEY
BASE_IMAGE=pneumatic-debian:bookworm
STATE="$CACHE/probe-state.json"

log() { echo "compose-test: $*"; }
fail() { echo "compose-test: FAILED: $*" >&2; exit 1; }

# --- stage timing -------------------------------------------------------------------------------
TIMES=()
stage_name=''
stage_started=0
stage() {
  stage_end
  stage_name=$1
  stage_started=$(date +%s%N)
  log "== $1"
}
stage_end() {
  [ -n "$stage_name" ] || return 0
  TIMES+=("$(printf '%7.1f s  %s' "$(( ($(date +%s%N) - stage_started) / 1000000 ))e-3" "$stage_name")")
  stage_name=''
}
print_times() {
  stage_end
  log "stage times:"
  printf '  %s\n' "${TIMES[@]}"
}

# --- the engine ----------------------------------------------------------------------------------
OWN_ENGINE=''
DOCKER=(docker)
compose() { "${COMPOSE[@]}" "$@"; }
docker() { command "${DOCKER[@]}" "$@"; }
in_stack_netns() { if [ -n "$OWN_ENGINE" ]; then nsenter --net="/run/netns/$NETNS" "$@"; else "$@"; fi; }

install_tools() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || fail "no Docker engine answers and ${missing[*]} missing: install them, or start an engine"
  log "installing ${missing[*]} (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null
}

# where: host (for builds: no bridge, no iptables, no forwarding, so the host's network is untouched)
# or netns (for the stack: the private namespace gets the bridge and the NAT rules).
start_engine() {
  local where=$1 prefix=() flags=()
  if [ "$where" = netns ]; then
    prefix=(nsenter --net="/run/netns/$NETNS")
  else
    flags=(--bridge=none --iptables=false --ip-forward=false --ip-masq=false)
  fi
  mkdir -p "$DATA_ROOT" "$EXEC_ROOT" "$CACHE"
  "${prefix[@]}" dockerd --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT/exec" --pidfile "$EXEC_ROOT/dockerd.pid" \
    -H "unix://$OWN_SOCKET" "${flags[@]}" >>"$CACHE/dockerd.log" 2>&1 &
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  tail -30 "$CACHE/dockerd.log" >&2
  fail "dockerd ($where) did not answer on $OWN_SOCKET within 60 s (log: $CACHE/dockerd.log)"
}

stop_engine() {
  local pid
  pid=$(cat "$EXEC_ROOT/dockerd.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  fail "dockerd ($pid) did not stop within 30 s"
}

make_netns() {
  ip netns del "$NETNS" 2>/dev/null || true
  ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
}

choose_engine() {
  if command -v docker >/dev/null && command docker info >/dev/null 2>&1; then
    log "using the Docker engine that answers ($(command docker info --format '{{.ServerVersion}}'))"
    if command docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
    return 0
  fi
  install_tools
  OWN_ENGINE=1
  # Debian's client, matching its engine (a newer client elsewhere on the PATH may want BuildKit).
  DOCKER=(/usr/bin/docker -H "unix://$OWN_SOCKET")
  export DOCKER_HOST="unix://$OWN_SOCKET" DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
  COMPOSE=(docker-compose)
  stop_engine
  start_engine host
}

# --- images --------------------------------------------------------------------------------------
has_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The tag docker-compose.yml gives an image of this repository (e.g. postgres -> postgres:16.4-alpine).
compose_tag() {
  local tag
  tag=$(grep -oE "image: $1:[^ \"]+" docker-compose.yml | head -1 | cut -d' ' -f2)
  [ -n "$tag" ] || fail "docker-compose.yml names no $1 image"
  echo "$tag"
}

build_base() {
  has_image "$BASE_IMAGE" && return 0
  local rootfs="$CACHE/rootfs"
  rm -rf "$rootfs"
  log "debootstrap --variant=minbase bookworm"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; fail "debootstrap (log: $CACHE/debootstrap.log)"; }
  # The point releases and security updates too, as this machine has them.
  rm -f "$rootfs/etc/apt/sources.list"
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    >"$rootfs/etc/apt/sources.list.d/debian.sources"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

# Cached: a tag built from the recipe as it is now (its hash in a label) is not built again.
build_recipe() { # tag recipe-directory [context]
  local recipe
  recipe=$( (cat "deploy/images/$2"/*; node --version) | sha256sum | cut -c1-16)
  if [ "$(docker image inspect -f '{{index .Config.Labels "pneumatic.recipe"}}' "$1" 2>/dev/null)" = "$recipe" ]; then
    log "$1: cached"
    return 0
  fi
  log "$1 from deploy/images/$2"
  build "$2" --build-arg "BASE=$BASE_IMAGE" --label "pneumatic.recipe=$recipe" -t "$1" -f "deploy/images/$2/Dockerfile" "${3:-deploy/images/$2}"
}

# Host networking: the builds reach Debian's mirrors and the npm registry without the engine's bridge.
build() { # log-name docker-build-arguments...
  local name=$1 output="$CACHE/build-$1.log"
  shift
  docker build --network host "$@" >"$output" 2>&1 || { tail -40 "$output" >&2; fail "building $name (log: $output)"; }
}

# The Dockerfile's FROM: Debian plus this machine's Node 20 and npm.
build_node() {
  local tag node npm context
  tag=$(grep -m1 -oE '^FROM [^ ]+' Dockerfile | cut -d' ' -f2)
  node=$(readlink -f "$(command -v node)")
  [[ "$("$node" --version)" == v20.* ]] || fail "$tag needs Node 20 on this machine, found $("$node" --version)"
  npm=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  context=$(mktemp -d)
  cp "$node" "$context/node"
  cp -a "$npm" "$context/npm"
  mkdir "$context/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$context/certs/" 2>/dev/null || touch "$context/certs/ca-certificates.crt"
  build_recipe "$tag" node "$context"
  rm -rf "$context"
}

build_images() {
  build_base
  build_node
  # In parallel: each is mostly waiting on Debian's mirrors.
  local pids=() recipe repository
  for recipe in postgres nats redis nginx prometheus; do
    repository=$recipe
    [ "$recipe" = prometheus ] && repository=prom/prometheus
    build_recipe "$(compose_tag "$repository")" "$recipe" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || fail "an image did not build"; done
}

build_project() {
  local tag
  tag=$(compose_tag pneumatic)
  build project -t "$tag" .
}

# --- the stack -----------------------------------------------------------------------------------
container() { compose ps -q "$1"; }

# Every container of the project healthy (running, for one without a health check).
wait_healthy() {
  local deadline=$((SECONDS + ${1:-180})) waiting ids
  while :; do
    waiting=()
    ids=$(compose ps -q)
    [ -n "$ids" ] || fail "no containers in the project"
    for id in $ids; do
      state=$(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}healthy{{end}} {{or .HostConfig.RestartPolicy.Name "no"}}' "$id")
      [[ "$state" == *" running healthy "* ]] || waiting+=("$state")
      [[ "$state" == *" exited "*" no" ]] && fail "${state%% *} exited and nothing restarts it"
    done
    [ ${#waiting[@]} -eq 0 ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      printf '  not healthy: %s\n' "${waiting[@]}" >&2
      fail "the stack did not become healthy"
    fi
    sleep 1
  done
}

probe() { # phase
  local gateways
  gateways="gateway-1=$(container gateway-1),gateway-2=$(container gateway-2)"
  in_stack_netns env COMPOSE_TEST_URL=http://127.0.0.1:8000 COMPOSE_TEST_PROMETHEUS=http://127.0.0.1:9090 \
    COMPOSE_TEST_STATE="$STATE" COMPOSE_TEST_GATEWAYS="$gateways" COMPOSE_TEST_DOCKER="${DOCKER[*]}" \
    node scripts/dist/compose-test-probe.js "$1"
}

# A crash, not a stop: the service's own process killed (the init's child), so the restart policy acts.
crash() { # service
  local id before
  id=$(container "$1")
  before=$(docker inspect -f '{{.RestartCount}}' "$id")
  docker exec "$id" sh -c 'kill -9 $(cat /proc/1/task/1/children)'
  for _ in $(seq 1 60); do
    [ "$(docker inspect -f '{{.RestartCount}}' "$id")" -gt "$before" ] && return 0
    sleep 0.5
  done
  fail "$1 was not restarted after kill -9"
}

# --- one integration suite through testcontainers ----------------------------------------------
TESTCONTAINERS_SUITE=services/conversations/src/store/conversation-store.int.test.ts

# The test kit's images (its GenericContainer names) as the locally built ones: no registry to pull from.
tag_testkit_images() {
  local wanted
  for wanted in $(grep -oE "GenericContainer\('[^']+'\)" libs/testkit/src/infrastructure.ts | cut -d"'" -f2); do
    docker tag "$(compose_tag "${wanted%%:*}")" "$wanted"
  done
}

testkit_containers() { docker ps -aq --filter label=org.testcontainers=true; }

# The test kit made to start its own Postgres, NATS and Redis (TEST_INFRASTRUCTURE=containers). With our
# engine: Ryuk (the reaper) is off, since its image cannot be pulled, so this removes the containers,
# after checking all three were started; jest runs in the private namespace, where their ports are published.
run_testcontainers_suite() {
  local status=0 started
  if [ -n "$OWN_ENGINE" ]; then
    tag_testkit_images
    docker rm -f $(testkit_containers) >/dev/null 2>&1 || true
  fi
  in_stack_netns env TEST_INFRASTRUCTURE=containers ${OWN_ENGINE:+TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1} \
    npx jest "$TESTCONTAINERS_SUITE" --selectProjects integration || status=$?
  [ -n "$OWN_ENGINE" ] || { [ $status -eq 0 ] || fail "$TESTCONTAINERS_SUITE through testcontainers"; return 0; }
  started=$(testkit_containers | wc -l)
  docker rm -f $(testkit_containers) >/dev/null 2>&1 || true
  [ $status -eq 0 ] || fail "$TESTCONTAINERS_SUITE through testcontainers"
  [ "$started" -eq 3 ] || fail "testcontainers started $started containers, not Postgres, NATS and Redis"
}

# --- teardown, whatever happened -----------------------------------------------------------------
teardown() {
  local status=$?
  set +e
  stage_end
  if [ $status -ne 0 ] && [ ${#COMPOSE[@]} -gt 0 ] && [ -n "$(compose ps -q 2>/dev/null)" ]; then
    compose ps >&2
    compose logs --no-color --tail 40 >&2
  fi
  stage "teardown"
  [ ${#COMPOSE[@]} -gt 0 ] && compose down -v --remove-orphans -t 5 >/dev/null 2>&1
  if [ -n "$OWN_ENGINE" ]; then
    stop_engine
    ip netns del "$NETNS" 2>/dev/null
  fi
  rm -f "$STATE"
  print_times
  if [ $status -ne 0 ]; then log "FAILED (exit $status)"; else log "passed"; fi
  exit $status
}
COMPOSE=()
trap teardown EXIT
trap 'exit 130' INT TERM

stage "engine"
choose_engine
stage "images"
[ -n "$OWN_ENGINE" ] && build_images
stage "project image"
build_project
stage "build: probe and test kit"
npx tsc -b scripts libs/testkit services/conversations
if [ -n "$OWN_ENGINE" ]; then
  stage "engine in a private network namespace"
  stop_engine
  make_netns
  start_engine netns
fi
stage "compose up"
compose down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
compose up -d --no-build
wait_healthy
stage "probe: sign-ups, conversation, two gateways, retry, history, scrape"
probe first
stage "kill -9 messages"
crash messages
stage "restart postgres, nats, redis"
compose restart postgres nats redis
wait_healthy
probe again
stage "down, volumes kept"
compose down -t 30
stage "up again: the same users and history"
compose up -d --no-build
wait_healthy
probe again
stage "down: the stack's CPU freed for the suite"
compose down -v -t 30
stage "testcontainers: ${TESTCONTAINERS_SUITE##*/} against the local images"
run_testcontainers_suite
