#!/usr/bin/env bash
# The hardening tests a plain `cargo test` leaves out (they take minutes and run servers of
# their own): the real server killed with SIGKILL twenty times under claim load
# (tests/crash.rs), and failing neighbours (tests/faults.rs) — PostgreSQL restarted and the
# network to it cut, the SMTP server and the Bot API slow or resetting connections; and the
# login-flood memory check (tests/login_flood.rs): 200 parallel sign-ins against the release
# binary hash at most five passwords and keep its peak RSS under 200 MB. On SQLite, and
# again on PostgreSQL when one answers on 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."

# The PostgreSQL outage tests stop and start a cluster of their own, made with the
# server's own tools, never the shared server other suites use.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "PostgreSQL server tools (/usr/lib/postgresql/*/bin/initdb) are missing: install Debian's postgresql"
  exit 1
fi

# The login-flood check measures the release binary, as deployed.
# In a target dir of its own when RELEASE_TARGET_DIR says so (CI builds it there in the
# background while the other tests run), next to the debug build otherwise.
echo "== release binary for the login-flood memory check"
if [ -n "${RELEASE_TARGET_DIR:-}" ]; then
  cargo build --locked --release --bin charity-relay --target-dir "$RELEASE_TARGET_DIR"
  export RELAY_RELEASE_BIN="$RELEASE_TARGET_DIR/release/charity-relay"
else
  cargo build --locked --release --bin charity-relay
fi

# One test at a time: the fault tests time the web's answers, which other tests' load
# on the same two cores would distort.
echo "== hardening on SQLite (and PostgreSQL outages on a private cluster)"
env -u TEST_DATABASE_URL cargo test --locked --test crash --test faults --test login_flood -- --ignored --test-threads=1

PG_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "== hardening on PostgreSQL"
  # The outage tests ran above already: they use their own cluster whatever the URL.
  TEST_DATABASE_URL="$PG_URL" cargo test --locked --test crash --test faults --test login_flood -- --ignored --test-threads=1 \
    --skip postgresql
else
  echo "== no PostgreSQL on 127.0.0.1:5432: skipping the PostgreSQL run (CI always has one)"
fi
