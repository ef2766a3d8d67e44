#!/usr/bin/env bash
# Scale-out on one machine: N gateway instances (default 2) sharing one PostgreSQL database,
# behind HAProxy in TCP mode (the platforms' mutual TLS passes through to the instances). It
# publishes an announcement as Shanghai through the balancer, reads the feed as Jiangsu directly
# from an instance that did not take the publication, shows it there, and stops everything.
#
#   ops/deploy/scale-out.sh            # N=2; KEEP=1 keeps it running until Ctrl-C
#
# Needs: cargo, curl, python3, the Debian PostgreSQL cluster (started when stopped, and stopped
# again at the end), haproxy (installed with apt-get when missing, as root). Ports: balancer
# LB_PORT (8443), instance i API_BASE+i (8444...) and metrics METRICS_BASE+i (9464..., the
# targets in ops/prometheus/prometheus.yml), HAProxy statistics STATS_PORT (8404).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

N=${N:-2}
LB_PORT=${LB_PORT:-8443}
API_BASE=${API_BASE:-8444}
METRICS_BASE=${METRICS_BASE:-9464}
STATS_PORT=${STATS_PORT:-8404}
KEEP=${KEEP:-0}
PGHOST=/var/run/postgresql
export PGHOST
DB="gateway_scaleout_$(date +%s)_$$"
WORK=$(mktemp -d /tmp/gateway-scale-out.XXXXXX)

log() { printf '\n== %s\n' "$*"; }
die() { printf 'scale-out: %s\n' "$*" >&2; exit 1; }

[ "$N" -ge 2 ] || die "N must be at least 2 (publish through one instance, read through another)"

# --- what this script started, undone on exit -----------------------------------------------
PIDS=()
STARTED_POSTGRES=""
CREATED_DB=""
cleanup() {
  local status=$?
  set +e
  log "stopping"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  [ -n "$CREATED_DB" ] && dropdb --if-exists "$DB" && echo "dropped database $DB"
  if [ -n "$STARTED_POSTGRES" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$STARTED_POSTGRES" main stop && echo "stopped PostgreSQL $STARTED_POSTGRES"
  fi
  if [ "$status" -eq 0 ]; then rm -rf "$WORK"; else echo "logs kept in $WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$LB_PORT" "$STATS_PORT" $(seq "$API_BASE" $((API_BASE + N - 1))) \
  $(seq "$METRICS_BASE" $((METRICS_BASE + N - 1))); do
  port_free "$port" || die "port $port is in use (set LB_PORT, API_BASE, METRICS_BASE, STATS_PORT)"
done

# --- tools -----------------------------------------------------------------------------------
if ! command -v haproxy >/dev/null; then
  log "installing haproxy (Debian)"
  [ "$(id -u)" -eq 0 ] || die "haproxy is missing: apt-get install haproxy (as root)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends haproxy >/dev/null ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends haproxy >/dev/null; }
fi
haproxy -v | head -n 1

log "building the gateway (release)"
cargo build --release -q -p gateway
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/gateway"
[ -x "$BIN" ] || die "no binary at $BIN"

# --- PostgreSQL: the local cluster, a role for this user, a fresh database --------------------
VERSION=$(ls /etc/postgresql | sort -V | tail -n 1)
if ! pg_isready -q; then
  log "starting PostgreSQL $VERSION"
  pg_ctlcluster --skip-systemctl-redirect "$VERSION" main start
  STARTED_POSTGRES=$VERSION
  for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
fi
pg_isready
ME=$(id -un)
if ! runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ME'" | grep -q 1; then
  runuser -u postgres -- createuser -s "$ME"
fi
createdb "$DB"
CREATED_DB=1
URL="postgres:///$DB?host=$PGHOST"
echo "database: $URL"

# --- the instances ---------------------------------------------------------------------------
wait_ready() { # metrics port
  for _ in $(seq 1 60); do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0
    sleep 1
  done
  return 1
}
# One after the other: the first applies the migrations (the others would wait on the advisory
# lock) and seeds the demo data; each writes the same demo PKI into its own data directory.
for i in $(seq 0 $((N - 1))); do
  api=$((API_BASE + i)) metrics=$((METRICS_BASE + i))
  log "starting instance gw$i: api 127.0.0.1:$api, metrics 127.0.0.1:$metrics"
  "$BIN" serve --demo --data-dir "$WORK/gw$i" --database-url "$URL" \
    --listen "127.0.0.1:$api" --metrics-listen "127.0.0.1:$metrics" \
    >"$WORK/gw$i.out" 2>"$WORK/gw$i.log" &
  PIDS+=($!)
  wait_ready "$metrics" || { tail -n 20 "$WORK/gw$i.log"; die "gw$i did not become ready"; }
  cat "$WORK/gw$i.out"
  curl -sS "http://127.0.0.1:$metrics/readyz"; echo
done

# --- the balancer ----------------------------------------------------------------------------
# TCP mode: HAProxy never sees the TLS session, so each instance checks the platform's client
# certificate itself. Health checks ask each instance's /readyz on its metrics listener.
{
  cat <<EOF
global
  log stdout format raw local0
  maxconn 1000

defaults
  mode tcp
  log global
  option tcplog
  timeout connect 5s
  timeout client 60s
  timeout server 60s

frontend gateway_api
  bind 127.0.0.1:$LB_PORT
  default_backend gateways

backend gateways
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 2s fall 2 rise 2
EOF
  for i in $(seq 0 $((N - 1))); do
    echo "  server gw$i 127.0.0.1:$((API_BASE + i)) check port $((METRICS_BASE + i))"
  done
  cat <<EOF

listen stats
  mode http
  bind 127.0.0.1:$STATS_PORT
  stats enable
  stats uri /
EOF
} >"$WORK/haproxy.cfg"
haproxy -c -q -f "$WORK/haproxy.cfg"
log "starting HAProxy on 127.0.0.1:$LB_PORT"
haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
PIDS+=($!)
up=0
for _ in $(seq 1 30); do
  sleep 1
  up=$( (curl -s "http://127.0.0.1:$STATS_PORT/;csv" || true) | awk -F, '$1 == "gateways" && $18 == "UP"' | wc -l)
  [ "$up" -eq "$N" ] && break
done
[ "$up" -eq "$N" ] || die "only $up of $N instances are UP in HAProxy"
echo "HAProxy: $up of $N instances UP"

# --- publish through the balancer, read through another instance -----------------------------
PKI="$WORK/gw0/pki"
as() { # platform, then curl arguments
  local who=$1
  shift
  curl -sS --cacert "$PKI/server-ca.pem" --cert "$PKI/platforms/$who.pem" \
    --key "$PKI/platforms/$who.key" "$@"
}
LB="https://127.0.0.1:$LB_PORT"

log "whoami through the balancer, as Shanghai"
as shanghai "$LB/v1/whoami"
echo

log "Shanghai publishes seeds/announcements/shanghai/ok/07-procurement-tender.xml through the balancer"
RESPONSE=$(as shanghai -w '\n%{http_code}' -H 'content-type: application/xml' \
  --data-binary @seeds/announcements/shanghai/ok/07-procurement-tender.xml "$LB/v1/announcements")
STATUS=${RESPONSE##*$'\n'}
BODY=${RESPONSE%$'\n'*}
echo "$STATUS $BODY"
[ "$STATUS" = 201 ] || die "publication answered $STATUS"
ID=$(printf '%s' "$BODY" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')

# Which instance took it: its own request counter says so (and HAProxy's log).
SERVED=""
for i in $(seq 0 $((N - 1))); do
  count=$(curl -s "http://127.0.0.1:$((METRICS_BASE + i))/metrics" |
    awk '/^gateway_http_requests_total\{/ && /method="POST"/ && /route="\/v1\/announcements"/ && /status="201"/ { s += $NF } END { print s + 0 }')
  echo "gw$i published: $count"
  [ "$count" -gt 0 ] && SERVED=$i
done
[ -n "$SERVED" ] || die "no instance counted the publication"
sleep 1
grep -h 'gateways/' "$WORK/haproxy.log" || true
OTHER=$(((SERVED + 1) % N))

log "Jiangsu reads the feed directly from gw$OTHER (127.0.0.1:$((API_BASE + OTHER))), not through gw$SERVED"
as jiangsu "https://127.0.0.1:$((API_BASE + OTHER))/v1/feed?limit=100" >"$WORK/feed.json"
python3 - "$WORK/feed.json" "$ID" <<'PY' || die "announcement $ID is not in gw$OTHER's feed"
import json, sys
feed = json.load(open(sys.argv[1]))
events = feed["events"]
print(len(events), "events in the feed, next_cursor", feed.get("next_cursor"))
hits = [e for e in events if sys.argv[2] in json.dumps(e)]
for e in hits:
    print("found:", json.dumps(e, ensure_ascii=False)[:600])
sys.exit(0 if hits else 1)
PY
echo "announcement $ID published through gw$SERVED is in the feed of gw$OTHER"

if [ "$KEEP" = 1 ]; then
  log "running (KEEP=1): balancer $LB, statistics http://127.0.0.1:$STATS_PORT/, Ctrl-C stops"
  wait "${PIDS[0]}"
fi
