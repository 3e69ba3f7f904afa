#!/usr/bin/env bash
# The peer of the benchmarks issue: a homemade vault on PostgreSQL + pgcrypto. The same
# profiles (12 fields, each pgp_sym_encrypt'ed with one passphrase, pgcrypto's defaults)
# are loaded, then read and decrypted by id with pgbench; the same read without decryption
# is the peer's own baseline, so the cost of pgcrypto is visible.
#
#   benchmarks/pgcrypto-peer.sh [PROFILES] [--json]   (default 10000 profiles)
#   env: PEER_CLIENTS=8  PEER_SECONDS=20  PEER_JSON=1 (same as --json: one JSON line at the end)
#
# A throwaway cluster is created in a temp dir (initdb + pg_ctl, as the postgres user, or
# nobody, when started as root), listens on 127.0.0.1 only on a free port, and is stopped
# and deleted on exit whatever happens. About 1 minute at the defaults on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

profiles=10000; json="${PEER_JSON:-0}"
for arg in "$@"; do
    case "$arg" in
        --json) json=1 ;;
        ''|*[!0-9]*) echo "usage: $0 [PROFILES] [--json]" >&2; exit 2 ;;
        *) profiles="$arg" ;;
    esac
done
clients="${PEER_CLIENTS:-8}"; seconds="${PEER_SECONDS:-20}"
[ "$profiles" -ge 1 ] || { echo "PROFILES must be at least 1" >&2; exit 2; }
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo

# PostgreSQL's own binaries (not Debian's pg_wrapper, which wants a registered cluster):
# the directory of `initdb` on PATH, else Debian's 15, else the newest installed, else install.
find_bin() {
    local d
    if d=$(command -v initdb 2>/dev/null); then
        d=$(dirname "$(readlink -f "$d")")
        [ -x "$d/pg_ctl" ] && [ -x "$d/pgbench" ] && [ -x "$d/psql" ] && { echo "$d"; return 0; }
    fi
    for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/pgbench" ] && [ -x "$d/psql" ] && { echo "$d"; return 0; }
    done
    return 1
}
if ! bin=$(find_bin); then
    t0=$(date +%s)
    echo "PostgreSQL not found: apt-get install postgresql postgresql-contrib ..." >&2
    $sudo apt-get update -q >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql postgresql-contrib >/dev/null
    echo "  installed in $(( $(date +%s) - t0 )) s" >&2
    bin=$(find_bin)
fi

# initdb refuses to run as root: the server runs as an existing unprivileged user.
as=(); owner=""
if [ "$(id -u)" -eq 0 ]; then
    for u in postgres nobody; do id -u "$u" >/dev/null 2>&1 && { owner=$u; break; }; done
    [ -n "$owner" ] || { echo "no unprivileged user (postgres, nobody) to run the server" >&2; exit 1; }
    as=(runuser -u "$owner" --)
fi
work=$(mktemp -d /tmp/pgcrypto-peer.XXXXXX); chmod 755 "$work"
[ -z "$owner" ] || chown "$owner" "$work"
bench_pid=""
cleanup() {
    local rc=$?
    [ -z "$bench_pid" ] || kill "$bench_pid" 2>/dev/null || true
    if [ -f "$work/data/postmaster.pid" ]; then
        "${as[@]}" "$bin/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ "$rc" -ne 0 ] && [ -f "$work/server.log" ]; then
        echo "--- server log (last 20 lines)" >&2; tail -20 "$work/server.log" >&2 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT; trap 'exit 143' TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as[@]}" "$bin/initdb" -D "$work/data" -U bench --auth=trust -E UTF8 --locale=C -N >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$work/data" -w -t 60 -l "$work/server.log" start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c shared_buffers=256MB -c fsync=on -c max_connections=50" >/dev/null

psql=(env PGOPTIONS="-c client_min_messages=warning" "$bin/psql" -X -h 127.0.0.1 -p "$port" -U bench -d postgres -v ON_ERROR_STOP=1 -q)
pg_version=$("${psql[@]}" -At -c 'SHOW server_version')
"${psql[@]}" -c 'CREATE EXTENSION pgcrypto' \
    || { echo "CREATE EXTENSION pgcrypto failed: install postgresql-contrib" >&2; exit 1; }
"${psql[@]}" -f "$here/pgcrypto/schema.sql"

# Load: one INSERT ... SELECT, 12 pgp_sym_encrypt calls per row, timed around the statement.
key="homemade-vault-passphrase-1"
t0=$(date +%s.%N)
"${psql[@]}" -v key="$key" -v n="$profiles" -f "$here/pgcrypto/load.sql"
t1=$(date +%s.%N)
"${psql[@]}" -c 'ANALYZE profiles'
load_pps=$(python3 -c "print('%.1f' % ($profiles / ($t1 - $t0)))")
# What the defaults chose, read from the packets (RFC 4880 symmetric-key session key packet).
read -r s2k_cipher s2k_digest s2k_min s2k_max <<< "$("${psql[@]}" -At -F ' ' -f "$here/pgcrypto/s2k.sql")"

# Reads: pgbench over TCP, prepared statements, the passphrase and the id as bind parameters.
bench() {  # script name; in the background so that a signal stops the run at once
    "$bin/pgbench" -h 127.0.0.1 -p "$port" -U bench -n -M prepared -f "$here/pgcrypto/$1.sql" \
        -c "$clients" -j 2 -T "$seconds" -D profiles="$profiles" -D key="$key" \
        -l --log-prefix="$work/$1" postgres > "$work/$1.out" 2>&1 &
    bench_pid=$!
    wait "$bench_pid" || { cat "$work/$1.out" >&2; exit 1; }
    bench_pid=""
}
stats() {  # script name -> "tps lat_avg_ms p50_ms p99_ms failed"
    python3 - "$work" "$1" <<'PY'
import glob, re, sys
work, name = sys.argv[1], sys.argv[2]
text = open(f"{work}/{name}.out").read()
tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", text).group(1))
avg = float(re.search(r"latency average = ([\d.]+) ms", text).group(1))
m = re.search(r"number of failed transactions: (\d+)", text)
failed = int(m.group(1)) if m else 0
# pgbench --log: one line per transaction, the third field is its latency in microseconds.
lat = sorted(int(line.split()[2]) for f in glob.glob(f"{work}/{name}.[0-9]*") for line in open(f))
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] / 1000
print("%.1f %.2f %.2f %.2f %d" % (tps, avg, pct(0.50), pct(0.99), failed))
PY
}
bench read_profile; read -r dec_tps dec_avg dec_p50 dec_p99 dec_failed <<< "$(stats read_profile)"
bench read_raw;     read -r raw_tps raw_avg raw_p50 raw_p99 raw_failed <<< "$(stats read_raw)"
[ "$dec_failed" -eq 0 ] && [ "$raw_failed" -eq 0 ] || echo "warning: failed transactions: $dec_failed (decrypt), $raw_failed (raw)" >&2

python3 - <<PY
load, dec, raw = $load_pps, $dec_tps, $raw_tps
print("pgcrypto peer: $profiles profiles, 12 fields each (pgp_sym_encrypt, pgcrypto defaults: cipher $s2k_cipher, "
      "iterated+salted S2K $s2k_digest, %s..%s bytes hashed per field)" % (format($s2k_min, ","), format($s2k_max, ",")))
print("  PostgreSQL $pg_version, $(nproc) cores, pgbench -M prepared -c $clients -j 2 -T $seconds over 127.0.0.1")
print("  load:                            %.0f profiles/s (%.0f field encryptions/s)" % (load, load * 12))
print("  read by id + decrypt 12 fields:  %.0f profiles/s (avg $dec_avg ms, p50 $dec_p50 ms, p99 $dec_p99 ms)" % dec)
print("  read by id, no decryption:       %.0f profiles/s (avg $raw_avg ms, p50 $raw_p50 ms, p99 $raw_p99 ms)" % raw)
print("  decryption costs: raw read / read + decrypt = %.1fx" % (raw / dec))
PY
if [ "$json" = 1 ]; then
    python3 - <<PY
import json
print(json.dumps({
    "profiles": $profiles, "fields": 12, "clients": $clients, "seconds": $seconds, "cores": $(nproc),
    "pg_version": "$pg_version", "s2k_cipher": "$s2k_cipher", "s2k_digest": "$s2k_digest",
    "s2k_count_min": $s2k_min, "s2k_count_max": $s2k_max,
    "load_pps": $load_pps, "load_field_encryptions_ps": round($load_pps * 12, 1),
    "read_decrypt_pps": $dec_tps, "read_decrypt_avg_ms": $dec_avg,
    "read_decrypt_p50_ms": $dec_p50, "read_decrypt_p99_ms": $dec_p99,
    "read_raw_pps": $raw_tps, "read_raw_avg_ms": $raw_avg,
    "read_raw_p50_ms": $raw_p50, "read_raw_p99_ms": $raw_p99,
    "raw_over_decrypt": round($raw_tps / $dec_tps, 2),
}))
PY
fi
