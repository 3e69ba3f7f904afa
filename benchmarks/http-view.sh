#!/usr/bin/env bash
# View throughput over HTTP against a bare endpoint of the same vaultd binary, in one run.
#
#   benchmarks/http-view.sh [PEOPLE] [SECONDS]      (defaults 3000 people, 15 s per load)
#
# Starts the release vaultd with the demo dataset and --bench-routes on a free loopback port,
# picks a subject with at least 12 fields from 3 sources, then loads with wrk (2 threads, 32
# connections): first GET /bench/bare (fixed JSON of a view's size, no vault work), then
# GET /v1/subjects/{id} as the support role (auth, database read, decryption, policy, audit),
# then the same view at random over every subject of the store (the spread load), then two
# people with 3 and 1,000 page views (a view's cost must not grow with the history).
# Prints req/s, p50/p99 and the ratio; with PV_JSON=1 also one JSON line for benchmarks/run.
# Then the view's steps, each answering the same fixed body (admin token, BenchFloorController):
# authentication alone, + the store read, + opening (decryption, survivorship): what each
# step costs against the bare route, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
people="${1:-3000}"; seconds="${2:-15}"
vaultd=.build/release/vaultd
[ -x "$vaultd" ] || { echo "build first: swift build -c release" >&2; exit 1; }
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo; $sudo apt-get install -y -q wrk >/dev/null; }

work=$(mktemp -d); log="$work/vaultd.out"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$vaultd" --demo --demo-people "$people" --bench-routes --port 0 --data-dir "$work/data" --policies policies \
    --lookups-per-minute 1000000 --log-level warning > "$log" 2>"$work/vaultd.err" &
pid=$!
for _ in $(seq 1 600); do grep -q "vaultd listening on" "$log" && break; sleep 0.2; done
port=$(grep -o "127.0.0.1:[0-9]*" "$log" | head -1 | cut -d: -f2)
[ -n "$port" ] || { echo "vaultd did not start" >&2; cat "$work/vaultd.err" >&2; exit 1; }
token() { grep " $1 " "$log" | awk '{print $NF}' | head -1; }
support=$(token demo-support); compliance=$(token demo-compliance)
admin=$(grep -o "Admin token (shown once; store it safely): [^ ]*" "$log" | awk '{print $NF}')
base="http://127.0.0.1:$port"

# A subject seen by support with >= 12 fields, merged from >= 3 sources.
subject=$(curl -sf -X POST "$base/v1/segments/query" -H "Authorization: Bearer $compliance" -H "X-Purpose: essential" \
    -H "Content-Type: application/json" -d '{"filter": {"field": "iban", "exists": true}, "limit": 1000}' |
    python3 -c '
import json, sys
views = [json.loads(line) for line in sys.stdin if line.strip()]
best = max(views, key=lambda v: (len(v["sources"]) >= 3, len(v["fields"])))
print(best["subject_id"], len(best["fields"]), len(best["sources"]))')
read -r id fields sources <<< "$subject"
shown=$(curl -sf "$base/v1/subjects/$id" -H "Authorization: Bearer $support" -H "X-Purpose: essential.service.operations.support" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["fields"]))')

cat > "$work/view.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $support"
wrk.headers["X-Purpose"] = "essential.service.operations.support"
LUA
cat > "$work/admin.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $admin"
LUA
run() { wrk -t2 -c32 -d"${seconds}s" --latency "$@" 2>&1; }
parse() { python3 -c '
import re, sys
text = sys.stdin.read()
def ms(label):
    m = re.search(r"^\s+" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
p50, p99 = ms("50%"), ms("99%")
print("%.0f %.2f %.2f %s" % (rps, p50, p99, non2xx.group(1) if non2xx else 0))'; }
# Spread: views at random over every subject of the store (a cache could not make this figure).
curl -sf "$base/v1/bench/subject-ids?limit=1000000" -H "Authorization: Bearer $admin" > "$work/ids.txt"
subjects=$(wc -l < "$work/ids.txt")
cat > "$work/spread.lua" <<LUA
local ids = {}
for line in io.lines("$work/ids.txt") do ids[#ids + 1] = line end
math.randomseed(7)
wrk.headers["Authorization"] = "Bearer $support"
wrk.headers["X-Purpose"] = "essential.service.operations.support"
request = function() return wrk.format("GET", "/v1/subjects/" .. ids[math.random(#ids)]) end
LUA
# History: two new people of the web source, one with 3 page views and one with 1,000; a view's
# cost should not depend on which.
web=$(token demo-web-sync)
post() { curl -sf -X POST "$base/v1/sources/web/$1" -H "Authorization: Bearer $web" -H "Content-Type: application/json" -d @- ; }
history_ids=()
for who in few many; do
    history_ids+=("$(printf '{"records": [{"key": "bench-%s", "observed_at": "2026-01-01T00:00:00Z", "fields": {"email": "bench.%s@example.com", "first_name": "Bench"}}]}' "$who" "$who" |
        post records | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["subject_id"])')")
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def events(who, n, start):
    return [{"id": f"{who}-{i}", "key": f"bench-{who}", "type": "page_view", "occurred_at": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
             "attributes": {"url": f"/p/{i}"}} for i in range(start, start + n)]
json.dump({"events": events("few", 3, 0)}, open(f"{work}/few.json", "w"))
for part in range(2):
    json.dump({"events": events("many", 500, part * 500)}, open(f"{work}/many-{part}.json", "w"))
PY
post events < "$work/few.json" > /dev/null
for part in 0 1; do post events < "$work/many-$part.json" > /dev/null; done

read -r bare_rps bare_p50 bare_p99 bare_bad <<< "$(run "$base/bench/bare" | parse)"
read -r view_rps view_p50 view_p99 view_bad <<< "$(run -s "$work/view.lua" "$base/v1/subjects/$id" | parse)"
read -r spread_rps spread_p50 spread_p99 spread_bad <<< "$(run -s "$work/spread.lua" "$base/v1/subjects/$id" | parse)"
read -r few_rps few_p50 few_p99 few_bad <<< "$(run -s "$work/view.lua" "$base/v1/subjects/${history_ids[0]}" | parse)"
read -r many_rps many_p50 many_p99 many_bad <<< "$(run -s "$work/view.lua" "$base/v1/subjects/${history_ids[1]}" | parse)"
read -r auth_rps auth_p50 auth_p99 auth_bad <<< "$(run -s "$work/admin.lua" "$base/v1/bench/authenticated" | parse)"
read -r stored_rps stored_p50 stored_p99 stored_bad <<< "$(run -s "$work/admin.lua" "$base/v1/bench/stored/$id" | parse)"
read -r opened_rps opened_p50 opened_p99 opened_bad <<< "$(run -s "$work/admin.lua" "$base/v1/bench/opened/$id" | parse)"
audited=$(curl -sf "$base/v1/audit/verify" -H "Authorization: Bearer $compliance" | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])')
ratio=$(python3 -c "print(f'{$view_rps / $bare_rps:.2f}')")

echo "HTTP view vs bare endpoint (wrk -t2 -c32 -d${seconds}s, loopback, vaultd and wrk on the same $(nproc) cores)"
echo "  subject: $fields fields from $sources sources (support sees $shown); store: $people demo people"
printf "  GET /bench/bare (baseline):       %8s req/s   p50 %6s ms   p99 %6s ms   non-2xx %s\n" "$bare_rps" "$bare_p50" "$bare_p99" "$bare_bad"
printf "  GET /v1/subjects/{id} (support):  %8s req/s   p50 %6s ms   p99 %6s ms   non-2xx %s   ratio %s\n" "$view_rps" "$view_p50" "$view_p99" "$view_bad" "$ratio"
printf "  GET /v1/subjects/{random of %s}:  %8s req/s   p50 %6s ms   p99 %6s ms   non-2xx %s   ratio %s\n" "$subjects" "$spread_rps" "$spread_p50" "$spread_p99" "$spread_bad" \
    "$(python3 -c "print(f'{$spread_rps / $bare_rps:.2f}')")"
printf "  a person with 3 page views:       %8s req/s   p50 %6s ms   p99 %6s ms   non-2xx %s\n" "$few_rps" "$few_p50" "$few_p99" "$few_bad"
printf "  a person with 1,000 page views:   %8s req/s   p50 %6s ms   p99 %6s ms   non-2xx %s   ratio to 3 %s\n" "$many_rps" "$many_p50" "$many_p99" "$many_bad" \
    "$(python3 -c "print(f'{$many_rps / $few_rps:.2f}')")"
echo "  the view's steps, each answering the bare route's body (admin token; not audited, nothing is disclosed):"
step() { printf "  %-34s %8s req/s   p50 %6s ms   p99 %6s ms   non-2xx %s   ratio %s\n" "$1" "$2" "$3" "$4" "$5" \
    "$(python3 -c "print(f'{$2 / $bare_rps:.2f}')")"; }
step "authentication" "$auth_rps" "$auth_p50" "$auth_p99" "$auth_bad"
step "+ store read of the sealed profile" "$stored_rps" "$stored_p50" "$stored_p99" "$stored_bad"
step "+ opening (decrypt, survivorship)" "$opened_rps" "$opened_p50" "$opened_p99" "$opened_bad"
step "+ policy, audit, view JSON (view)" "$view_rps" "$view_p50" "$view_p99" "$view_bad"
echo "  audit chain after the run: $audited entries"
if [ "${PV_JSON:-0}" = 1 ]; then
    echo "{\"bare_rps\": $bare_rps, \"view_rps\": $view_rps, \"spread_rps\": $spread_rps, \"history_ratio\": $(python3 -c "print(f'{$many_rps / $few_rps:.2f}')"), \"view_p50_ms\": $view_p50, \"view_p99_ms\": $view_p99, \"ratio\": $ratio, \"authenticated_rps\": $auth_rps, \"stored_rps\": $stored_rps, \"opened_rps\": $opened_rps}"
fi
