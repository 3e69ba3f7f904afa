#!/usr/bin/env bash
# View latency, ingest rate, erasure latency and vaultd's memory as the store grows, in one run.
#
#   benchmarks/scale.sh [PEOPLE ...]          (default: 10000 100000 1000000; SECONDS_PER_LOAD=10)
#
# Grows one SQLite vault in a temporary directory to each size in turn (vaultbench scale:
# fill through the ingest pipelines, then in-process view latency, ingest rate of the last
# chunk, erasure latency), then starts the release vaultd on that store and loads it over
# loopback with wrk (2 threads, 16 connections): GET /bench/bare, then support views of 1,000
# random subjects. Prints vaultd's resident memory after the load (VmRSS) and its peak (VmHWM).
# The store takes about 7.4 KiB per person on disk: 1M people need ~8 GB free in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
seconds="${SECONDS_PER_LOAD:-10}"
vaultd=.build/release/vaultd; bench=.build/release/vaultbench
[ -x "$vaultd" ] && [ -x "$bench" ] || { echo "build first: swift build -c release" >&2; exit 1; }
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo; $sudo apt-get install -y -q wrk >/dev/null; }

# SCALE_DIR=DIR keeps the store there (and grows an existing one) instead of a throwaway directory.
work=$(mktemp -d); data="${SCALE_DIR:-$work/data}"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

rps() { grep -o "Requests/sec: *[0-9.]*" | awk '{printf "%.0f", $2}'; }
p50() { awk '$1 == "50%" {print $2}'; }
for people in "${sizes[@]}"; do
    echo "== $people people"
    PV_JSON=0 "$bench" scale "$data" "$people"
    "$vaultd" --bench-routes --port 0 --data-dir "$data" --policies policies --log-level warning > "$work/vaultd.out" 2> "$work/vaultd.err" &
    pid=$!
    for _ in $(seq 1 600); do grep -q "vaultd listening on" "$work/vaultd.out" && break; sleep 0.2; done
    port=$(grep -o "127.0.0.1:[0-9]*" "$work/vaultd.out" | head -1 | cut -d: -f2)
    [ -n "$port" ] || { echo "vaultd did not start" >&2; cat "$work/vaultd.err" >&2; exit 1; }
    base="http://127.0.0.1:$port"
    {
        echo "wrk.headers[\"Authorization\"] = \"Bearer $(cat "$data/support-token")\""
        echo 'wrk.headers["X-Purpose"] = "essential.service.operations.support"'
        echo 'ids = {}'
        echo "for line in io.lines(\"$data/sample-ids.txt\") do ids[#ids + 1] = line end"
        echo 'request = function() return wrk.format("GET", "/v1/subjects/" .. ids[math.random(#ids)]) end'
    } > "$work/views.lua"
    bare=$(wrk -t2 -c16 -d"${seconds}s" --latency "$base/bench/bare" 2>&1)
    views=$(wrk -t2 -c16 -d"${seconds}s" --latency -s "$work/views.lua" "$base" 2>&1)
    non2xx=$(echo "$views" | grep -o "Non-2xx or 3xx responses: [0-9]*" | awk '{print $NF}' || true); non2xx=${non2xx:-0}
    rss=$(awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$pid/status"); hwm=$(awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    bare_rps=$(echo "$bare" | rps); view_rps=$(echo "$views" | rps)
    printf "  vaultd over HTTP: bare %s req/s; support views of random subjects %s req/s, p50 %s (ratio %s, non-2xx %s); vaultd RSS %s MiB after the load, peak %s MiB\n" \
        "$bare_rps" "$view_rps" "$(echo "$views" | p50)" "$(python3 -c "print(f'{$view_rps / $bare_rps:.2f}')")" "$non2xx" "$rss" "$hwm"
done
