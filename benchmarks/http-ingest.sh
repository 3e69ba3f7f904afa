#!/usr/bin/env bash
# Ingest over HTTP against raw inserts of the same records, in one run.
#
#   benchmarks/http-ingest.sh [PEOPLE]              (default 8000 people, ~20,800 records)
#   CLIENTS=2 benchmarks/http-ingest.sh [PEOPLE]    (two requests in flight, as two source systems)
#
# vaultbench writes the demo's records as request bodies of 500 records of one source (crm
# first) and measures the baseline: the same records' JSON inserted as rows with raw GRDB,
# 500 per transaction. Then the release vaultd (fresh data directory, free loopback port)
# receives every batch through POST /v1/sources/{source}/records with that source's ingest
# token, one request at a time unless CLIENTS says otherwise (validate, normalize, blind-index,
# resolve, seal, audit).
set -euo pipefail
cd "$(dirname "$0")/.."
people="${1:-8000}"
vaultd=.build/release/vaultd; bench=.build/release/vaultbench
[ -x "$vaultd" ] && [ -x "$bench" ] || { echo "build first: swift build -c release" >&2; exit 1; }

work=$(mktemp -d)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
baseline=$("$bench" ingest-batches "$work/batches" "$people")
read -r records raw_rps <<< "$(echo "$baseline" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["records"], d["raw_rps"])')"

admin="bench-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PROFILEVAULT_ROOT_TOKEN="$admin" "$vaultd" --port 0 --data-dir "$work/data" --policies policies --log-level warning \
    > "$work/vaultd.out" 2> "$work/vaultd.err" &
pid=$!
for _ in $(seq 1 600); do grep -q "vaultd listening on" "$work/vaultd.out" && break; sleep 0.2; done
port=$(grep -o "127.0.0.1:[0-9]*" "$work/vaultd.out" | head -1 | cut -d: -f2)
[ -n "$port" ] || { echo "vaultd did not start" >&2; cat "$work/vaultd.err" >&2; exit 1; }
base="http://127.0.0.1:$port"
declare -A tokens
for source in crm billing support web; do
    tokens[$source]=$(curl -sf -X POST "$base/v1/tokens" -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
        -d "{\"principal\": \"bench-$source\", \"source\": \"$source\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
done

# CLIENTS (default 1) requests in flight at once, as several source systems pushing at once.
clients="${CLIENTS:-1}"
for source in crm billing support web; do export "token_$source=${tokens[$source]}"; done
export base
post() {
    local file=$1 source token status
    source=$(basename "$file" .json | cut -d- -f2); token=token_$source
    status=$(curl -s -o /dev/null -w "%{http_code}" -X POST "$base/v1/sources/$source/records" \
        -H "Authorization: Bearer ${!token}" -H "Content-Type: application/json" --data-binary "@$file")
    [ "$status" = 200 ] || { echo "batch $(basename "$file") answered $status" >&2; return 1; }
}
export -f post
start=$(date +%s.%N)
# One source after the other (crm first, so later sources link to existing people), each
# source's batches spread over the clients; xargs fails if any request does.
for source in crm billing support web; do
    ls "$work"/batches/*-"$source".json | xargs -P "$clients" -I{} bash -c 'post "$1" || exit 255' _ {}
done
end=$(date +%s.%N)
python3 - "$records" "$raw_rps" "$start" "$end" "$clients" <<'PY'
import sys
records, raw, start, end, clients = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
rate = records / (end - start)
print(f"ingest over HTTP, {records} records in batches of 500 of one source, {clients} request(s) at a time")
print(f"  raw GRDB inserts of the records' JSON (baseline): {raw:8.0f} records/s")
print(f"  POST /v1/sources/{{source}}/records:               {rate:8.0f} records/s   ratio {rate / raw:.3f}")
PY
