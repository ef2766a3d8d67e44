#!/usr/bin/env bash
# POST /v1/certificates/verify over mutual TLS with oha, per demo province (SM2, RSA, ECDSA):
# cold (verdict cache off: every request validates the path and checks the CRLs) and cached,
# against the in-process rate of the same verification measured in the same run
# (`cargo run --release -p gateway --example verify_rate`). See ops/bench/README.md.
#
# Knobs (environment): DURATION (10s per run), CONCURRENCY (16), SECONDS_INPROC (3).
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-16}
SECONDS_INPROC=${SECONDS_INPROC:-3}
log() { printf '\n== %s\n' "$*" >&2; }

command -v oha >/dev/null || { log "installing oha"; cargo install oha --locked; }
log "building the gateway and the in-process baseline (release)"
cargo build --release -q -p gateway --bin gateway --example verify_rate
target="${CARGO_TARGET_DIR:-target}/release"

work=$(mktemp -d)
gateway_pid=
cleanup() { [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_gateway() { # $1: verdict cache entries
  api=$(free_port); metrics=$(free_port)
  GATEWAY_RATE_LIMIT_RPS=0 GATEWAY_BRIDGE_VERDICT_CACHE_ENTRIES="$1" GATEWAY_LOG_LEVEL=warn \
    "$target/gateway" serve --demo --data-dir "$work/data" \
    --listen "127.0.0.1:$api" --metrics-listen "127.0.0.1:$metrics" 2>>"$work/gateway.log" &
  gateway_pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$metrics/readyz" >/dev/null && return 0
    sleep 0.1
  done
  cat "$work/gateway.log" >&2; return 1
}
stop_gateway() { kill "$gateway_pid"; wait "$gateway_pid" 2>/dev/null || true; gateway_pid=; }

log "in-process baseline, load:$(uptime | sed 's/.*load average//')"
"$target/examples/verify_rate" "$SECONDS_INPROC" | tee "$work/inproc.jsonl"

for mode in cold cached; do
  entries=0; [ "$mode" = cached ] && entries=10000
  start_gateway "$entries"
  pki="$work/data/pki"
  for province in shanghai jiangsu zhejiang; do
    python3 -c 'import json,sys; print(json.dumps({"certificate": open(sys.argv[1]).read()}))' \
      "seeds/pki/bidders/$province/valid.pem" >"$work/body.json"
    log "$mode $province: oha -z $DURATION -c $CONCURRENCY, load:$(uptime | sed 's/.*load average//')"
    oha -z "$DURATION" -c "$CONCURRENCY" --no-tui --output-format json -m POST -T application/json \
      -D "$work/body.json" --cacert "$pki/server-ca.pem" \
      --cert "$pki/platforms/jiangsu.pem" --key "$pki/platforms/jiangsu.key" \
      "https://127.0.0.1:$api/v1/certificates/verify" >"$work/$mode-$province.json"
  done
  stop_gateway
done

python3 - "$work" <<'PY'
import json, sys, pathlib
work = pathlib.Path(sys.argv[1])
inproc = {j["province"]: j for j in map(json.loads, (work / "inproc.jsonl").read_text().split("\n")[:-1])}
failed = False
print(f'{"province":10} {"algorithm":11} {"in-process/s":>12} {"mode":7} {"HTTP req/s":>10} {"p50 ms":>7} {"p99 ms":>7} {"HTTP/in-proc":>12}')
for mode in ("cold", "cached"):
    for province in ("shanghai", "jiangsu", "zhejiang"):
        r = json.loads((work / f"{mode}-{province}.json").read_text())
        codes = r.get("statusCodeDistribution", {})
        if set(codes) - {"200"}:
            failed = True
            print(f"non-200 answers in {mode} {province}: {codes}", file=sys.stderr)
        rps = r["summary"]["requestsPerSec"]
        p = r["latencyPercentiles"]
        base = inproc[province]["verifies_per_sec"]
        print(f'{province:10} {inproc[province]["algorithm"]:11} {base:12.0f} {mode:7} {rps:10.0f} {p["p50"]*1000:7.2f} {p["p99"]*1000:7.2f} {rps/base:12.2f}')
        print(json.dumps({"bench": "certificates-verify", "mode": mode, "province": province, "http_rps": round(rps), "p50_ms": round(p["p50"]*1000, 3), "p99_ms": round(p["p99"]*1000, 3), "inprocess_per_sec": base, "ratio": round(rps/base, 3)}), file=sys.stderr)
sys.exit(1 if failed else 0)
PY
