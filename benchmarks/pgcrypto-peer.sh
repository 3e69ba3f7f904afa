#!/usr/bin/env bash
# The peer of the benchmarks issue: a homemade vault on PostgreSQL + pgcrypto, the same
# profiles (12 fields, each pgp_sym_encrypt'ed) read and decrypted by id with pgbench.
#
#   benchmarks/pgcrypto-peer.sh [PROFILES]     (default 10000; PEER_CLIENTS=8, PEER_SECONDS=20)
#
# A throwaway cluster (initdb + pg_ctl in a temp dir, 127.0.0.1, a free port, run as the
# postgres user when started as root) is created and removed. PEER_JSON=1 adds a JSON line.
set -euo pipefail
cd "$(dirname "$0")"
profiles="${1:-10000}"; clients="${PEER_CLIENTS:-8}"; seconds="${PEER_SECONDS:-20}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/pgbench" ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q postgresql postgresql-contrib >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
as=(); [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
work=$(mktemp -d); chmod 755 "$work"; [ "$(id -u)" -eq 0 ] && chown postgres "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { "${as[@]}" "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
"${as[@]}" "$bin/initdb" -D "$work/data" -U bench --auth=trust >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$work/data" -w -l "$work/log" -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c shared_buffers=256MB -c fsync=on" start >/dev/null
psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U bench -d postgres -v ON_ERROR_STOP=1 -q)
key="homemade-vault-passphrase-1"
"${psql[@]}" -f pgcrypto/schema.sql
start=$(date +%s.%N)
"${psql[@]}" -v key="$key" -v n="$profiles" -f pgcrypto/load.sql
load=$(python3 -c "print($profiles / ($(date +%s.%N) - $start))")

bench() {
    # pgbench has no psql-style :'var' quoting: put the passphrase into a copy of the script.
    sed "s/:'key'/'$key'/g" "$1" > "$work/$2.sql"
    "$bin/pgbench" -h 127.0.0.1 -p "$port" -U bench -n -f "$work/$2.sql" -c "$clients" -j 2 -T "$seconds" \
        -D profiles="$profiles" -l --log-prefix="$work/$2" postgres > "$work/$2.out" 2>&1 || { cat "$work/$2.out" >&2; exit 1; }
}
stats() { python3 - "$work" "$1" <<'PY'
import glob, re, sys
text = open(f"{sys.argv[1]}/{sys.argv[2]}.out").read()
tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", text).group(1))
lat = sorted(int(line.split()[2]) for f in glob.glob(f"{sys.argv[1]}/{sys.argv[2]}.[0-9]*") for line in open(f))
print("%.0f %.2f %.2f" % (tps, lat[len(lat) // 2] / 1000, lat[len(lat) * 99 // 100] / 1000))
PY
}
bench pgcrypto/read_profile.sql dec; read -r dec_tps dec_p50 dec_p99 <<< "$(stats dec)"
bench pgcrypto/read_raw.sql raw; read -r raw_tps raw_p50 raw_p99 <<< "$(stats raw)"
echo "pgcrypto peer: $profiles profiles, 12 fields each (pgp_sym_encrypt, pgcrypto defaults), $clients clients, ${seconds}s, $(nproc) cores"
python3 -c "print('  load: %.0f profiles/s (%.0f field encryptions/s)' % ($load, $load * 12))"
echo "  read by id + decrypt 12 fields:  $dec_tps profiles/s   p50 $dec_p50 ms   p99 $dec_p99 ms"
echo "  read by id, no decryption:       $raw_tps profiles/s   p50 $raw_p50 ms   p99 $raw_p99 ms"
if [ "${PEER_JSON:-0}" = 1 ]; then
    echo "{\"profiles\": $profiles, \"load_pps\": $load, \"read_decrypt_pps\": $dec_tps, \"read_decrypt_p50_ms\": $dec_p50, \"read_raw_pps\": $raw_tps}"
fi
