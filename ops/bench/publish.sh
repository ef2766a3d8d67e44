#!/usr/bin/env bash
# The publishing benchmark (issue 4) on SQLite, then on PostgreSQL: `loadgen publish` builds the
# gateway in-process on a fresh database, POSTs distinct announcements over mutual TLS, then times
# the same inserts through diesel without HTTP. See ops/bench/README.md.
#
# Knobs (environment): REQUESTS (2000), WARMUP (200), CONCURRENCY (a list, "1 16"), ROUNDS (3),
# BACKENDS ("sqlite postgres sqlite-nosync postgres-nosync"; `-nosync` adds `--no-sync`; also
# `sqlite-normal`, which adds `--sqlite-normal-sync`), RESULTS (a file the JSON lines are appended
# to; default none).
# Builds into CARGO_TARGET_DIR if set; LOADGEN_BIN=PATH uses that binary instead of building.
# Exits 1 if any run failed (a non-201 answer or an insert that did not create a notice).
set -euo pipefail
cd "$(dirname "$0")/../.."

REQUESTS=${REQUESTS:-2000}
CONCURRENCY=${CONCURRENCY:-1 16}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-200}
BACKENDS=${BACKENDS:-sqlite postgres sqlite-nosync postgres-nosync}
RESULTS=${RESULTS:-}

log() { printf '\n== %s\n' "$*" >&2; }

# PostgreSQL 15 as on these machines: start the cluster, create the role of the current user once.
# loadgen connects to the `postgres` database only to CREATE (and afterwards DROP) its own fresh
# databases, one for the HTTP run and one for the baseline.
start_postgres() {
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if ! pg_isready -q -h /var/run/postgresql; then
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h /var/run/postgresql && break
    sleep 1
  done
  local me
  me=$(id -un)
  if ! runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$me'" | grep -q 1; then
    runuser -u postgres -- createuser -s "$me"
  fi
  export LOADGEN_POSTGRES_URL="postgres:///postgres?host=/var/run/postgresql"
}

if [ -n "${LOADGEN_BIN:-}" ]; then
  bin=$LOADGEN_BIN
else
  log "building loadgen (release)"
  cargo build --release -q -p loadgen
  bin="${CARGO_TARGET_DIR:-target}/release/loadgen"
fi

results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
for backend in $BACKENDS; do
  case "$backend" in
    sqlite) flags=(--backend sqlite) ;;
    sqlite-normal) flags=(--backend sqlite --sqlite-normal-sync) ;;
    sqlite-nosync) flags=(--backend sqlite --no-sync) ;;
    postgres) flags=(--backend postgres) ;;
    postgres-nosync) flags=(--backend postgres --no-sync) ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  case "$backend" in postgres*) start_postgres ;; esac
  for c in $CONCURRENCY; do
    for round in $(seq 1 "$ROUNDS"); do
      log "$backend, concurrency $c, round $round: $(date -u +%FT%TZ), load $(uptime | sed 's/.*load average: //')"
      "$bin" publish "${flags[@]}" --requests "$REQUESTS" --concurrency "$c" --warmup "$WARMUP" |
        tee >(grep '^{' >>"$results") || status=1
    done
  done
done
sleep 1 # let the last `tee >(...)` finish writing
[ -n "$RESULTS" ] && cat "$results" >>"$RESULTS"
log "done, load $(uptime | sed 's/.*load average: //'); medians over the rounds:"
# One Markdown row per backend and concurrency: medians of the rounds, HTTP and baseline failures summed.
python3 - "$results" <<'PY'
import collections, json, statistics, sys
runs = collections.OrderedDict()
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault((r["backend"], r["concurrency"]), []).append(r)
print("| backend | C | rounds | HTTP req/s | p50 ms | p99 ms | max ms | failed | raw 1 conn/s | raw pool/s "
      "| HTTP/raw 1 conn | HTTP/raw pool | prepare/s |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for (backend, c), rs in runs.items():
    med = lambda f: statistics.median(f(r) for r in rs)
    failed = sum(r[k]["failed"] for r in rs for k in ("http", "raw_sequential", "raw_pooled"))
    print(f'| {backend} | {c} | {len(rs)} | {med(lambda r: r["http"]["per_sec"]):.0f} '
          f'| {med(lambda r: r["http"]["p50_ms"]):.1f} | {med(lambda r: r["http"]["p99_ms"]):.1f} '
          f'| {med(lambda r: r["http"]["max_ms"]):.0f} | {failed} '
          f'| {med(lambda r: r["raw_sequential"]["per_sec"]):.0f} | {med(lambda r: r["raw_pooled"]["per_sec"]):.0f} '
          f'| {med(lambda r: r["ratio_http_raw_sequential"]):.2f} | {med(lambda r: r["ratio_http_raw_pooled"]):.2f} '
          f'| {med(lambda r: r["prepare_per_sec"]):.0f} |')
PY
exit $status
