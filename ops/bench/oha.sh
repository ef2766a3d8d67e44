#!/usr/bin/env bash
# Extra data points with a real load tool presenting client certificates (`oha`, mutual TLS):
#   1. the idempotent re-publish path: the same Jiangsu announcement POSTed again and again
#      (every answer must be 200, nothing is stored);
#   2. GET /v1/feed?limit=10 read by Zhejiang (translation of each event into Zhejiang's format).
# oha sends one fixed body, so it cannot measure new inserts: that is `loadgen publish`
# (ops/bench/publish.sh). See ops/bench/README.md.
#
# Needs `oha` on PATH (`cargo install oha --locked`). Knobs (environment): BACKEND (sqlite|postgres),
# REQUESTS (20000), CONCURRENCY (16). Builds the gateway into CARGO_TARGET_DIR if set;
# GATEWAY_BIN=PATH uses that binary instead of building.
set -euo pipefail
cd "$(dirname "$0")/../.."

BACKEND=${BACKEND:-sqlite}
REQUESTS=${REQUESTS:-20000}
CONCURRENCY=${CONCURRENCY:-16}

log() { printf '\n== %s\n' "$*" >&2; }
command -v oha >/dev/null || { echo "oha is not installed: cargo install oha --locked" >&2; exit 2; }

if [ -n "${GATEWAY_BIN:-}" ]; then
  bin=$GATEWAY_BIN
else
  log "building gateway (release)"
  cargo build --release -q -p gateway
  bin="${CARGO_TARGET_DIR:-target}/release/gateway"
fi

work=$(mktemp -d)
pid=
db=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$db" ] && dropdb -h /var/run/postgresql --if-exists --force "$db" || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$BACKEND" = postgres ]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_isready -q -h /var/run/postgresql || pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h /var/run/postgresql && break; sleep 1; done
  me=$(id -un)
  runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$me'" | grep -q 1 ||
    runuser -u postgres -- createuser -s "$me"
  db="oha_bench_$(date +%s)_$$"
  createdb -h /var/run/postgresql "$db"
  export GATEWAY_DATABASE_URL="postgres:///$db?host=/var/run/postgresql"
fi

# The demo gateway on free ports, rate limit off (the default 100 req/s per platform is a policy,
# not the capacity being measured).
GATEWAY_RATE_LIMIT_RPS=0 GATEWAY_LOG_LEVEL=warn "$bin" serve --demo --data-dir "$work/data" \
  --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 >"$work/stdout" 2>"$work/stderr" &
pid=$!
api=
for _ in $(seq 1 300); do
  api=$(sed -n 's/^listening api=//p' "$work/stdout")
  [ -n "$api" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/stderr" >&2; exit 1; }
  sleep 0.1
done
[ -n "$api" ] || { echo "the gateway did not start" >&2; exit 1; }

pki="$work/data/pki"
as() { echo "--cacert $pki/server-ca.pem --cert $pki/platforms/$1.pem --key $pki/platforms/$1.key"; }
doc=seeds/announcements/jiangsu/ok/07-procurement-tender.json

# Publish once (201, or 200 if the demo seeded it), so that every request below is a re-publish.
first=$(curl -s -o /dev/null -w '%{http_code}' $(as jiangsu) -H 'content-type: application/json' \
  --data-binary @"$doc" "$api/v1/announcements")
case "$first" in 200|201) ;; *) echo "first publish answered $first" >&2; exit 1 ;; esac

# oha JSON on stdin -> one JSON line (req/s, p50, p99, max in ms, status codes); fails unless every
# answer had status $5.
summary() {
  python3 -c '
import json, sys
r = json.load(sys.stdin); s = r["summary"]; p = r["latencyPercentiles"]
ms = lambda x: round((x or 0) * 1000, 2)
print(json.dumps({"bench": sys.argv[1], "backend": sys.argv[2], "requests": int(sys.argv[3]),
  "concurrency": int(sys.argv[4]), "per_sec": round(s["requestsPerSec"], 1), "p50_ms": ms(p["p50"]),
  "p99_ms": ms(p["p99"]), "max_ms": ms(s["slowest"]), "status": r["statusCodeDistribution"],
  "errors": r.get("errorDistribution", {})}))
sys.exit(0 if set(r["statusCodeDistribution"]) == {sys.argv[5]} and not r.get("errorDistribution") else 1)' "$@"
}

log "$BACKEND: idempotent re-publish, load $(uptime | sed 's/.*load average: //')"
oha --no-tui --output-format json -n "$REQUESTS" -c "$CONCURRENCY" $(as jiangsu) \
  -m POST -T application/json -D "$doc" "$api/v1/announcements" |
  summary republish "$BACKEND" "$REQUESTS" "$CONCURRENCY" 200

log "$BACKEND: GET /v1/feed?limit=10 as zhejiang, load $(uptime | sed 's/.*load average: //')"
oha --no-tui --output-format json -n "$REQUESTS" -c "$CONCURRENCY" $(as zhejiang) \
  "$api/v1/feed?limit=10" |
  summary feed "$BACKEND" "$REQUESTS" "$CONCURRENCY" 200
