#!/usr/bin/env bash
# SQLite against PostgreSQL, the same ingest and views on each (vaultbench backends):
#
#   benchmarks/backends.sh [PEOPLE] [VIEWS]     (defaults 5000 people, 20000 views)
#
# Starts a throwaway PostgreSQL cluster with fsync ON (durable, like SQLite's WAL commits),
# on 127.0.0.1 and a free port, and stops it on exit. Needs a release build of vaultbench.
set -euo pipefail
cd "$(dirname "$0")/.."
people="${1:-5000}"; views="${2:-20000}"
dir=$(mktemp -d /tmp/pv-bench-pg.XXXXXX)
trap 'scripts/postgres-cluster stop "$dir"' EXIT
url=$(PG_DURABLE=1 scripts/postgres-cluster start "$dir")
swift build -c release --product vaultbench >/dev/null
PROFILEVAULT_BENCH_POSTGRES="$url" .build/release/vaultbench backends "$people" "$views"
