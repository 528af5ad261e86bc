#!/usr/bin/env bash
# The benchmark, one command: builds the release binaries, seeds 100,000 open needs and
# 1,000 merchants on PostgreSQL and on SQLite, and prints markdown tables:
#   - matching: choosing alert recipients and a merchant's score-ordered first page;
#   - the limit: pgbench (PostgreSQL) and the SQLite library running the claim transaction
#     at 1, 16 and 64 clients, uniform over the needs and on 10 hot needs;
#   - the service: POST /api/v1/needs/{id}/claims under wrk at the same concurrencies, and
#     the ratio service ÷ limit; p99 at about half the peak; the API's first page of needs;
#   - email dispatch and bot updates a second; memory (RSS) idle and at peak; start-up time.
# Settings (environment): BENCH_SECONDS (per run, default 10), BENCH_NEEDS (100000),
# BENCH_MERCHANTS (1000), BENCH_PG (admin URL, default the local server), BENCH_DIR (work
# directory, default a fresh temporary one), BENCH_ONLY ("matching" to stop after it, "claims" for the claims and listing only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SECS=${BENCH_SECONDS:-10}
NEEDS=${BENCH_NEEDS:-100000}
MERCHANTS=${BENCH_MERCHANTS:-1000}
PG_ADMIN=${BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/relay-bench.XXXXXX)}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/charity-relay/target}"
CLIENTS=(1 16 64)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v pgbench >/dev/null || need+=(postgresql-client)
  command -v sqlite3 >/dev/null || need+=(sqlite3)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

log() { echo "== $*" >&2; }
log "building release binaries (work dir $WORK)"
cargo build --release --locked -q -p charity-relay -p relay-bench
RELAY="$CARGO_TARGET_DIR/release/charity-relay"
BENCH="$CARGO_TARGET_DIR/release/relay-bench"
mkdir -p "$WORK"
RESULTS="$WORK/results.tsv"
: > "$RESULTS"
record() { printf '%s\n' "$(IFS=$'\t'; echo "$*")" >> "$RESULTS"; }

PG_DB=relay_bench
PG_URL="${PG_ADMIN%/*}/$PG_DB"
SQLITE_FILE="$WORK/sqlite/relay.db"
SQLITE_URL="sqlite://$SQLITE_FILE?mode=rwc"
psql_admin() { psql -q -v ON_ERROR_STOP=1 "$PG_ADMIN" "$@"; }
q() { psql -At -v ON_ERROR_STOP=1 "$PG_URL" -c "$1"; }

# --- data ---------------------------------------------------------------------------
seed() { # <name> <database url>
  local dir="$WORK/$1"
  mkdir -p "$dir"
  log "seeding $1: demo data, $MERCHANTS merchants, $NEEDS open needs"
  DATABASE_URL="$2" RELAY_DATA_DIR="$dir" "$RELAY" demo > /dev/null
  DATABASE_URL="$2" "$BENCH" seed --needs "$NEEDS" --merchants "$MERCHANTS" --out "$dir/out"
}
psql_admin -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB"
seed pg "$PG_URL"
seed sqlite "$SQLITE_URL"
q "VACUUM ANALYZE"

# --- issue 7: matching --------------------------------------------------------------
MATCHING="$WORK/matching.md"
if [ "${BENCH_ONLY:-}" = claims ]; then
  echo "(skipped: BENCH_ONLY=claims)" > "$MATCHING"
else
  log "matching: choosing alert recipients and first pages"
  {
    echo "| operation | database | samples | p50 ms | p99 ms | max ms |"
    echo "|---|---|---:|---:|---:|---:|"
    "$BENCH" matching --database-url "$PG_URL" --out "$WORK/pg/out" --label PostgreSQL
    "$BENCH" matching --database-url "$SQLITE_URL" --out "$WORK/sqlite/out" --label SQLite
  } > "$MATCHING"
fi
if [ "${BENCH_ONLY:-}" = matching ]; then cat "$MATCHING"; exit 0; fi

# --- the limit ----------------------------------------------------------------------
first() { head -n1 "$1"; }
last() { tail -n1 "$1"; }
OUT_PG="$WORK/pg/out"
M_LO=$(first "$OUT_PG/merchants.txt"); M_HI=$(last "$OUT_PG/merchants.txt")
T_LO=$(q "SELECT id FROM api_tokens WHERE merchant_id = $M_LO")
for load in uniform hot; do
  if [ $load = hot ]; then file=hot.txt; else file=needs.txt; fi
  N_LO=$(first "$OUT_PG/$file"); N_HI=$(last "$OUT_PG/$file")
  for c in "${CLIENTS[@]}"; do
    "$BENCH" reset --database-url "$PG_URL" --out "$OUT_PG"
    log "pgbench $load, $c clients"
    out=$(pgbench -n -M prepared -c "$c" -j 2 -T "$SECS" -r -f "$ROOT/bench/claim.pgbench.sql" \
      -D m_lo="$M_LO" -D m_hi="$M_HI" -D t_lo="$T_LO" -D n_lo="$N_LO" -D n_hi="$N_HI" \
      "$PG_URL" 2>&1) || { echo "$out" >&2; exit 1; }
    tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
    failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
    record limit PostgreSQL "$load" "$c" "${tps%.*}" "$lat" "-" "${failed:-0}"
  done
done

OUT_SQ="$WORK/sqlite/out"
for load in uniform hot; do
  flag=""; [ $load = hot ] && flag="--hot"
  for c in "${CLIENTS[@]}"; do
    "$BENCH" reset --database-url "$SQLITE_URL" --out "$OUT_SQ"
    log "sqlite3 library $load, $c clients"
    IFS=$'\t' read -r _ tps p50 p99 errors < <("$BENCH" sqlite-limit --file "$SQLITE_FILE" --out "$OUT_SQ" \
      --clients "$c" --seconds "$SECS" $flag)
    record limit SQLite "$load" "$c" "$tps" "$p50" "$p99" "$errors"
  done
done

# --- the service --------------------------------------------------------------------
PORT=18480
SERVE_PID=""
start_serve() { # <name> <database url> [extra env...]
  local name=$1 url=$2
  shift 2
  local t0
  t0=$(date +%s%N)
  env DATABASE_URL="$url" RELAY_DATA_DIR="$WORK/$name" RELAY_BIND="127.0.0.1:$PORT" RELAY_LOG_FORMAT=json \
    "$@" "$RELAY" serve >> "$WORK/$name/serve.log" 2>&1 &
  SERVE_PID=$!
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$PORT/readyz" > /dev/null; then
      STARTUP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
      return 0
    fi
    sleep 0.05
  done
  echo "the service did not become ready; see $WORK/$name/serve.log" >&2
  exit 1
}
stop_serve() {
  [ -n "$SERVE_PID" ] || return 0
  kill -TERM "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=""
}
# Whatever fails, no server or load helper is left running.
trap 'stop_serve; kill $(jobs -p) 2>/dev/null || true' EXIT
rss_mb() { awk -v f="$1" '$1 == f":" { printf "%.1f", $2 / 1024 }' "/proc/$SERVE_PID/status"; }
wrk_run() { # <out dir> <mode> <needs file> <clients> [delay ms]
  wrk -t"$(( $4 < 2 ? $4 : 2 ))" -c"$4" -d"${SECS}s" --timeout 10s -s "$ROOT/bench/wrk.lua" "http://127.0.0.1:$PORT" -- \
    "$1" "$2" "$3" "${5:-0}" | sed -n 's/^RESULT\t//p'
}

for db in pg sqlite; do
  if [ $db = pg ]; then url=$PG_URL; label=PostgreSQL; else url=$SQLITE_URL; label=SQLite; fi
  out="$WORK/$db/out"
  "$BENCH" reset --database-url "$url" --out "$out"
  start_serve "$db" "$url"
  record startup "$label" "$STARTUP_MS"
  sleep 2
  record rss_idle "$label" "$(rss_mb VmRSS)"
  for load in uniform hot; do
    if [ $load = hot ]; then file=hot.txt; else file=needs.txt; fi
    for c in "${CLIENTS[@]}"; do
      "$BENCH" reset --database-url "$url" --out "$out"
      log "HTTP claims on $label, $load, $c clients"
      IFS=$'\t' read -r rps p50 p99 ok refused limited failed sock < <(wrk_run "$out" claim "$file" "$c")
      record service "$label" "$load" "$c" "$rps" "$p50" "$p99" "$((refused + limited + failed + sock))"
      if [ $load = uniform ] && [ "$c" = 16 ]; then PEAK16=$rps; fi
    done
  done
  # About half the peak at 16 clients: each connection waits between requests.
  "$BENCH" reset --database-url "$url" --out "$out"
  delay=$(( 16 * 1000 * 2 / (PEAK16 > 0 ? PEAK16 : 1) ))
  log "HTTP claims on $label at about half the peak (16 clients, ${delay} ms apart)"
  IFS=$'\t' read -r rps p50 p99 ok refused limited failed sock < <(wrk_run "$out" claim needs.txt 16 "$delay")
  record half "$label" uniform 16 "$rps" "$p50" "$p99" "$((refused + limited + failed + sock))"
  # The listing starts from the same state too, not beside the claims' email backlog.
  "$BENCH" reset --database-url "$url" --out "$out"
  log "HTTP first page of needs on $label, 16 clients"
  IFS=$'\t' read -r rps p50 p99 ok refused limited failed sock < <(wrk_run "$out" list needs.txt 16)
  record list "$label" "-" 16 "$rps" "$p50" "$p99" "$((refused + limited + failed + sock))"
  delay=$(( 16 * 1000 * 2 / (rps > 0 ? rps : 1) ))
  log "HTTP first page of needs on $label at about half its peak (${delay} ms apart)"
  IFS=$'\t' read -r rps p50 p99 ok refused limited failed sock < <(wrk_run "$out" list needs.txt 16 "$delay")
  record list_half "$label" "-" 16 "$rps" "$p50" "$p99" "$((refused + limited + failed + sock))"
  record rss_peak "$label" "$(rss_mb VmHWM)"
  stop_serve
done

if [ "${BENCH_ONLY:-}" != claims ]; then
  # Email: 5,000 messages queued, then the service started with an SMTP server on loopback.
  "$BENCH" reset --database-url "$PG_URL" --out "$OUT_PG"
  "$BENCH" queue-emails --database-url "$PG_URL" --count 5000
  "$BENCH" smtp-sink --port 18425 --expect 5000 > "$WORK/email.rate" &
  SINK=$!
  start_serve pg "$PG_URL" RELAY_SMTP_URL=smtp://127.0.0.1:18425
  log "email dispatch into a local SMTP server"
  wait "$SINK"
  record email PostgreSQL "$(cat "$WORK/email.rate")"
  stop_serve

  # Bot: 3,000 updates from the merchants' chats, served by the fake Bot API.
  "$BENCH" bot --database-url "$PG_URL" --port 18490 --merchants "$MERCHANTS" --updates 3000 > "$WORK/bot.rate" &
  FAKE=$!
  sleep 0.5
  start_serve pg "$PG_URL" RELAY_TELEGRAM_TOKEN=123456:TEST-token-for-the-fake RELAY_TELEGRAM_API_URL=http://127.0.0.1:18490
  log "bot updates from the fake Bot API"
  wait "$FAKE"
  record bot PostgreSQL "$(cat "$WORK/bot.rate")"
  stop_serve
fi

# --- the tables -----------------------------------------------------------------------
echo "## Matching (100,000 open needs, 1,000 merchants)"
echo
cat "$MATCHING"
echo
awk -F'\t' -f "$ROOT/bench/report.awk" "$RESULTS"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo);" \
  "$(psql -At "$PG_ADMIN" -c 'SHOW server_version') PostgreSQL; SQLite $(sqlite3 --version | cut -d' ' -f1);" \
  "$SECS s a run. Raw results: $RESULTS"
