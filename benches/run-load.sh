#!/usr/bin/env bash
# Ostiary load run: builds the release binaries, then runs `ostiary-load-suite`, which measures the
# Argon2id hash rate and a hello-world baseline, starts `ostiary serve --seed` (a client and users
# created at start) on a fresh store on a free loopback port, runs every workload at concurrency 1,
# 8 and 32, samples the server's RSS after each, and prints one table.
#
#   benches/run-load.sh [--postgres] [--memory] [--no-sqlite] [--duration 10] [--warmup 2] [SUITE FLAGS…]
#
# --postgres   also run on PostgreSQL: starts a throwaway cluster (DESIGN.md's recipe; needs root and
#              /usr/lib/postgresql/*/bin) on a free port, removed afterwards.
# --memory     also run on the in-memory store (`memory:`; nothing persisted).
# --no-sqlite  skip the default SQLite store.
# Other flags go to ostiary-load-suite (see `target/release/ostiary-load-suite --help`), e.g.
# --workload sso,password  --concurrency 1,8  --json report.json  --allow-errors.
set -euo pipefail

cd "$(dirname "$0")/.."
postgres=0
sqlite=1
suite_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --postgres) postgres=1 ;;
        --no-sqlite) sqlite=0 ;;
        *) suite_args+=("$1") ;;
    esac
    shift
done
if [[ $sqlite == 1 ]]; then
    suite_args+=(--sqlite)
fi

cargo build --release -p ostiary -p ostiary-benches --bins

pgdir=""
cleanup() {
    if [[ -n "$pgdir" ]]; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$pgdir"
    fi
}
trap cleanup EXIT

if [[ $postgres == 1 ]]; then
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [[ -z "$PGBIN" ]]; then
        echo "run-load.sh: --postgres needs PostgreSQL (apt-get install -y postgresql)" >&2
        exit 2
    fi
    pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    pgdir=$(mktemp -d)
    chown postgres:postgres "$pgdir"
    runuser -u postgres -- "$PGBIN/initdb" -D "$pgdir/data" -A trust -U postgres --no-sync >/dev/null
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
        -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1" start >/dev/null
    export OSTIARY_LOAD_POSTGRES_URL="postgres://postgres@127.0.0.1:$pgport/postgres"
fi

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
"$target_dir/release/ostiary-load-suite" --ostiary "$target_dir/release/ostiary" "${suite_args[@]}"
